package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --intercept LIST} and {@code --exit-cycles N}: the Java VMM's intercept policy from the command line. */
class InterceptCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String guest(String name) throws IOException {
        return Cli.guestFile(dir, name);
    }

    /** Exit kinds and their counts in a JSON-lines trace. */
    private static Map<String, Integer> kinds(Path trace) throws IOException {
        Map<String, Integer> m = new TreeMap<>();
        Files.readAllLines(trace).forEach(l -> {
            try {
                m.merge(JSON.readTree(l).get("kind").asText(), 1, Integer::sum);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return m;
    }

    @Test
    void interruptsMakeExternalInterruptsExitAndTheGuestStillPasses() throws IOException {
        String apic = guest("apic");
        for (String virt : new String[] {"vmx", "svm"}) {
            Path passThrough = dir.resolve(virt + "-default.jsonl");
            Path owned = dir.resolve(virt + "-interrupts.jsonl");
            Cli d = Cli.run("run", "--virt", virt, "--trace-exits", passThrough.toString(), apic);
            Cli i = Cli.run("run", "--virt", virt, "--intercept", "io,hlt,mmio,interrupts", "--trace-exits",
                    owned.toString(), apic);
            assertThat(d.status).as(d.toString()).isEqualTo(1);
            assertThat(i.status).as(i.toString()).isEqualTo(1);
            assertThat(i.out).as(virt).isEqualTo(d.out);
            assertThat(kinds(passThrough)).as(virt).doesNotContainKey("external_interrupt");
            assertThat(kinds(owned)).as(virt).containsKey("external_interrupt");
        }
    }

    @Test
    void noneLeavesOnlyTheAlwaysInterceptedExits() throws IOException {
        String hello = guest("hello");
        Path trace = dir.resolve("none.jsonl");
        Cli bare = Cli.run("run", hello);
        Cli r = Cli.run("run", "--virt", "vmx", "--intercept", "none", "--trace-exits", trace.toString(), hello);
        assertThat(r.status).as(r.toString()).isEqualTo(1);
        assertThat(r.out).isEqualTo(bare.out);
        Map<String, Integer> k = kinds(trace);
        assertThat(k).doesNotContainKeys("io", "hlt").containsKey("nested_page_fault");
        Path withIo = dir.resolve("io.jsonl");
        assertThat(Cli.run("run", "--virt", "vmx", "--intercept", "IO", "--trace-exits", withIo.toString(), hello)
                .status).isEqualTo(1);
        assertThat(kinds(withIo)).containsKey("io");
    }

    @Test
    void msrInterceptsEveryRdmsrAndWrmsr() throws IOException {
        String apic = guest("apic"); // programs the APIC base and TSC-deadline MSRs
        Path d = dir.resolve("d.jsonl");
        Path m = dir.resolve("m.jsonl");
        assertThat(Cli.run("run", "--virt", "vmx", "--trace-exits", d.toString(), apic).status).isEqualTo(1);
        assertThat(Cli.run("run", "--virt", "vmx", "--intercept", "io,msr,hlt,mmio", "--trace-exits", m.toString(),
                apic).status).isEqualTo(1);
        int msrDefault = kinds(d).getOrDefault("msr_read", 0) + kinds(d).getOrDefault("msr_write", 0);
        int msrAll = kinds(m).getOrDefault("msr_read", 0) + kinds(m).getOrDefault("msr_write", 0);
        assertThat(msrAll).isGreaterThan(msrDefault);
    }

    @Test
    void exitCyclesAreChargedPerExit() throws IOException {
        Cli zero = Cli.run("bench", "--virt", "svm", "--guest", "exits", "--seconds", "0.01", "--json");
        Cli hundred = Cli.run("bench", "--virt", "svm", "--guest", "exits", "--seconds", "0.01", "--json",
                "--exit-cycles", "100");
        assertThat(zero.status).as(zero.toString()).isZero();
        assertThat(hundred.status).as(hundred.toString()).isZero();
        JsonNode z = JSON.readTree(zero.out);
        JsonNode h = JSON.readTree(hundred.out);
        long exits = z.get("vmExitsPerRun").asLong();
        assertThat(h.get("vmExitsPerRun").asLong()).isEqualTo(exits);
        assertThat(h.get("cyclesPerRun").asLong() - z.get("cyclesPerRun").asLong()).isEqualTo(100 * exits);
    }

    @Test
    void badListsAndValuesAreOneLineErrors() throws IOException {
        String hello = guest("hello");
        Cli unknown = Cli.run("run", "--virt", "vmx", "--intercept", "io,cpuid", hello);
        assertThat(unknown.status).isEqualTo(6);
        assertThat(unknown.err).contains("unknown intercept 'cpuid'").contains("io, msr, hlt, mmio, interrupts");
        assertThat(unknown.err.strip().lines().count()).isEqualTo(1);
        Cli twice = Cli.run("run", "--virt", "svm", "--intercept", "hlt,hlt", hello);
        assertThat(twice.status).isEqualTo(6);
        assertThat(twice.err).contains("hlt is named twice");
        assertThat(Cli.run("run", "--virt", "svm", "--intercept", "io,,hlt", hello).status).isEqualTo(6);
        Cli negative = Cli.run("run", "--virt", "svm", "--exit-cycles", "-1", hello);
        assertThat(negative.status).isEqualTo(6);
        assertThat(negative.err).contains("--exit-cycles must be 0..1000000");
        Cli noVirt = Cli.run("run", "--intercept", "io", hello);
        assertThat(noVirt.status).isEqualTo(6);
        assertThat(noVirt.err).contains("--intercept needs --virt vmx or svm");
        assertThat(Cli.run("bench", "--exit-cycles", "5", "--seconds", "0.01").status).isEqualTo(6);
        assertThat(Cli.run("gdb", "--intercept", "io", hello).status).isEqualTo(6);
    }

    @Test
    void compareTakesTheSamePolicyOnBothVendors() throws IOException {
        String demo = guest("compare-demo");
        Cli msrFlag = Cli.run("compare", "--msr", demo);
        Cli msrList = Cli.run("compare", "--intercept", "io,msr,hlt,mmio", demo);
        assertThat(msrFlag.status).as(msrFlag.toString()).isZero();
        assertThat(msrList.out).isEqualTo(msrFlag.out);
        assertThat(Cli.run("compare", "--intercept", "bogus", demo).status).isEqualTo(6);
    }
}
