package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hvsim run --virt vmx|svm|none [--trace-exits FILE|-] [--exit-stats]} (issue 7 item 3). */
class VirtCliTest {
    @TempDir
    Path dir;

    private String guest(String name) throws IOException {
        return Cli.guestFile(dir, name);
    }

    @Test
    void sameOutputAndStatusBareAndUnderBothVendors() throws IOException {
        String hello = guest("hello");
        Cli bare = Cli.run("run", hello);
        Cli none = Cli.run("run", "--virt", "none", hello);
        Cli vmx = Cli.run("run", "--virt", "vmx", hello);
        Cli svm = Cli.run("run", "--virt", "svm", hello);
        assertThat(bare.status).isEqualTo(1);
        for (Cli c : List.of(none, vmx, svm)) {
            assertThat(c.status).as(c.toString()).isEqualTo(bare.status);
            assertThat(c.out).as(c.toString()).isEqualTo(bare.out);
            assertThat(c.err).as(c.toString()).isEmpty();
        }
    }

    /** Nested SVM: the x86 hypervisor guest runs as bare; its guest's exits are in the trace with "level": 2. */
    @Test
    void svmHypervisorGuestRunsUnderTheVmmWithItsGuestsExitsMarked() throws IOException {
        Path trace = dir.resolve("nested.jsonl");
        Cli bare = Cli.run("run", "--vendor", "amd", guest("svm-hv"));
        Cli r = Cli.run("run", "--virt", "svm", "--trace-exits", trace.toString(), guest("svm-hv"));
        assertThat(r.status).as(r.toString()).isEqualTo(bare.status).isEqualTo(1);
        assertThat(r.out).isEqualTo(bare.out).contains("svm-hv: DONE status 0");
        int reflected = 0, l1 = 0;
        for (String l : Files.readAllLines(trace)) {
            JsonNode n = new ObjectMapper().readTree(l);
            if (n.has("level")) {
                assertThat(n.get("level").asInt()).isEqualTo(2);
                reflected += n.get("handled").asText().equals("reflected") ? 1 : 0;
            } else {
                l1++;
            }
        }
        // svm-hv's summary: CPUID 4, IOIO 75, HLT 1, VMMCALL 2 exits reach it
        assertThat(reflected).isEqualTo(4 + 75 + 1 + 2);
        assertThat(l1).isPositive();
    }

    @Test
    void traceExitsWritesOneJsonObjectPerExitToAFile() throws IOException {
        Path trace = dir.resolve("trace.jsonl");
        Cli r = Cli.run("run", "--virt", "svm", "--trace-exits", trace.toString(), guest("hello"));
        assertThat(r.status).as(r.toString()).isEqualTo(1);
        List<String> lines = Files.readAllLines(trace);
        assertThat(lines).isNotEmpty();
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertThat(first.get("seq").asLong()).isEqualTo(1);
        assertThat(first.get("vendor").asText()).isEqualTo("amd");
        // the first exit is the nested page fault of the first instruction fetch: memory is backed lazily
        assertThat(first.get("kind").asText()).isEqualTo("nested_page_fault");
        assertThat(first.get("raw").get("exitcode").asText()).isEqualTo("0x400");
        assertThat(first.get("handled").asText()).isEqualTo("mapped");
        JsonNode io = null;
        for (String l : lines) {
            JsonNode n = new ObjectMapper().readTree(l);
            if (n.get("kind").asText().equals("io")) {
                io = n;
                break;
            }
        }
        assertThat(io).isNotNull();
        assertThat(io.get("raw").get("exitcode").asText()).isEqualTo("0x7b");
        assertThat(io.get("handled").asText()).isEqualTo("forwarded");
        Cli again = Cli.run("run", "--virt", "svm", "--trace-exits", dir.resolve("again.jsonl").toString(), guest("hello"));
        assertThat(again.status).isEqualTo(1);
        assertThat(Files.readAllBytes(dir.resolve("again.jsonl"))).isEqualTo(Files.readAllBytes(trace));
    }

    @Test
    void traceExitsDashGoesToStdoutAndExitStatsToStderr() throws IOException {
        Cli r = Cli.run("run", "--virt", "vmx", "--trace-exits", "-", "--exit-stats", guest("hello"));
        assertThat(r.status).as(r.toString()).isEqualTo(1);
        // the guest's bytes and the trace lines share stdout: a trace line may come in the middle of a guest line
        assertThat(r.out).contains("\"vendor\":\"intel\"").contains("\"kind\":\"io\"").contains("Hello from an hvsim");
        assertThat(r.out.lines().filter(l -> l.contains("\"seq\":")).count()).isGreaterThan(100);
        assertThat(r.err).contains("exit kind").contains("io").contains("nested_page_fault").contains("total");
    }

    @Test
    void badCombinationsAreBadInput() throws IOException {
        String hello = guest("hello");
        Cli wrongVendor = Cli.run("run", "--virt", "vmx", "--vendor", "amd", hello);
        assertThat(wrongVendor.status).isEqualTo(6);
        assertThat(wrongVendor.err).contains("--virt vmx needs an intel CPU");
        assertThat(Cli.run("run", "--virt", "kvm", hello).status).isEqualTo(6);
        Cli noVirt = Cli.run("run", "--exit-stats", hello);
        assertThat(noVirt.status).isEqualTo(6);
        assertThat(noVirt.err).contains("--exit-stats needs --virt vmx or svm");
        assertThat(Cli.run("run", "--trace-exits", "-", hello).status).isEqualTo(6);
    }

    @Test
    void benchReportsExitsUnderTheVmm() throws IOException {
        Cli r = Cli.run("bench", "--virt", "svm", "--guest", "exits", "--seconds", "0.01", "--json");
        assertThat(r.status).as(r.toString()).isEqualTo(0);
        JsonNode n = new ObjectMapper().readTree(r.out);
        assertThat(n.get("virt").asText()).isEqualTo("svm");
        assertThat(n.get("vmExitsPerRun").asLong()).as("CPUID, OUT and TIME per iteration, plus the prints")
                .isGreaterThanOrEqualTo(60_000);
        assertThat(n.get("exitsPerCpuSecond").asDouble()).isPositive();
        assertThat(n.get("medianMicrosPerExit").asDouble()).isPositive();
        assertThat(n.get("medianCpuMicrosPerExit").asDouble()).isPositive();
        assertThat(n.get("medianMips")).isNotNull();
    }
}
