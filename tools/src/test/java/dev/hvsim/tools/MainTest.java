package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.benchmarks.BenchResult;
import dev.hvsim.benchmarks.BenchRunner;
import dev.hvsim.benchmarks.ComputeLoop;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class MainTest {

    @Test
    void versionAndHelp() {
        Cli v = Cli.run("--version");
        assertThat(v.status).isZero();
        assertThat(v.out).startsWith("hvsim ").contains("Java ");
        Cli h = Cli.run("help");
        assertThat(h.status).isZero();
        assertThat(h.out).contains("run").contains("demo").contains("bench");
        Cli hr = Cli.run("help", "run");
        assertThat(hr.out).contains("--max-insns").contains("--timeout").contains("--load").contains("Exit status");
        assertThat(Cli.run("run", "--help").status).isZero();
        assertThat(Cli.run("bench", "--help").out).contains("--seconds").contains("--json").contains("--guest").contains("--jit");
    }

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("kaboom\nsecond line");
        }
    }

    @Test
    void unexpectedErrorsAreOneLineAndStatus70() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Terminal term = new Terminal(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        CommandLine cmd = Main.commandLine(term);
        cmd.addSubcommand("boom", new Boom());
        assertThat(cmd.execute("boom")).isEqualTo(70);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("hvsim: IllegalStateException: kaboom (internal error; please report)\n");
    }

    @Test
    void demoAndBenchNameGuestsThatAreNotBuilt() {
        if (!GuestImages.isBuilt("hello")) {
            Cli d = Cli.run("demo");
            assertThat(d.status).isEqualTo(6);
            assertThat(d.err).startsWith("hvsim: guest hello is not built");
        }
        Cli b = Cli.run("bench", "--guest", "no-such-guest");
        assertThat(b.status).isEqualTo(6);
        assertThat(b.oneErrorLine()).isTrue();
        assertThat(b.err).startsWith("hvsim: guest no-such-guest is not built (");
        assertThat(Cli.run("bench", "--guest", "../etc/passwd").err).contains("invalid guest name");
        assertThat(Cli.run("bench", "--seconds", "0").status).isEqualTo(6);
        Cli w = Cli.run("bench", "--warmup", "-1");
        assertThat(w.status).isEqualTo(6);
        assertThat(w.oneErrorLine()).isTrue();
        assertThat(w.err).contains("--warmup must be a number of seconds from 0");
    }

    @Test
    void demoExplainsTheHelloGuestWhenItIsBuilt() {
        if (GuestImages.isBuilt("hello")) {
            Cli d = Cli.run("demo");
            assertThat(d.out).contains("What happened").contains("instructions").contains("hvsim run");
        }
    }

    @Test
    void benchReportsAsTextAndJson() throws Exception {
        BenchRunner runner = new BenchRunner(CpuProfile.load("intel-core"),
                new BenchRunner.Options(Duration.ZERO, 1, 3, 3, RunLimits.none()));
        BenchResult r = runner.run("loop", m -> m.loadFlat(ComputeLoop.image(1000), ComputeLoop.LOAD_ADDRESS, -1));
        assertThat(BenchCommand.text(r)).contains("3 measured after 1 warm-up (").contains("median").contains("best")
                .contains("JVM:").contains("CPU:");
        JsonNode json = new ObjectMapper().readTree(BenchCommand.json(r, false));
        assertThat(json.get("jit").asBoolean(true)).isFalse();
        assertThat(json.get("guest").asText()).isEqualTo("loop");
        assertThat(json.get("runs").asInt()).isEqualTo(3);
        assertThat(json.get("instructionsPerRun").asLong()).isEqualTo(ComputeLoop.instructions(1000));
        assertThat(json.get("medianMips").asDouble()).isPositive();
        assertThat(json.get("runMips")).hasSize(3);
        assertThat(json.get("warmupRuns").asInt()).isEqualTo(1);
        assertThat(json.get("warmupSeconds").asDouble()).isPositive()
                .isEqualTo(r.warmup().get(0).wallNanos() / 1e9);
        assertThat(json.get("jvm").asText()).isNotBlank();
    }

    @Test
    void benchOfAHypervisorGuestReportsTheExitRoundTrip() throws Exception {
        // one measured run of svm-exit-loop (AMD chosen for svm-* guests): 200,000 CPUID #VMEXITs + the final VMMCALL
        Cli b = Cli.run("bench", "--guest", "svm-exit-loop", "--seconds", "0.001", "--json");
        assertThat(b.status).as(b.err).isEqualTo(0);
        JsonNode json = new ObjectMapper().readTree(b.out);
        assertThat(json.get("profile").asText()).isEqualTo("amd-zen");
        assertThat(json.get("vmExitsPerRun").asLong()).isEqualTo(200_001);
        assertThat(json.get("medianMicrosPerExit").asDouble()).isPositive();
        assertThat(json.get("exitsPerCpuSecond").asDouble()).isPositive();
        assertThat(json.get("medianMips").asDouble()).isPositive(); // the existing keys are still there
        Cli wrong = Cli.run("bench", "--guest", "svm-exit-loop", "--vendor", "intel", "--seconds", "0.001");
        assertThat(wrong.status).as("the guest ends with v = 2 (no SVM): status 5").isEqualTo(5);
        assertThat(Cli.run("bench", "--vendor", "via").status).isEqualTo(6);
    }

    @Test
    void benchTextHasAVmExitLineOnlyForAGuestWithExits() {
        BenchResult r = new BenchResult("g", "p", java.util.List.of(), java.util.List.of(
                new BenchResult.Sample(1000, 1, 4_000_000, 2_000_000, 1000)), dev.hvsim.benchmarks.HostInfo.current());
        assertThat(BenchCommand.text(r)).contains("VM exits:    1,000 per run; median 4.000 µs per round trip (wall time), "
                + "2.000 µs against the thread's CPU time (500,000 exits/s)");
        BenchResult none = new BenchResult("g", "p", java.util.List.of(), java.util.List.of(
                new BenchResult.Sample(1000, 1, 4_000_000, 2_000_000)), dev.hvsim.benchmarks.HostInfo.current());
        assertThat(BenchCommand.text(none)).doesNotContain("VM exits");
    }

    @Test
    void benchTextAndJsonReportThePageWalkFigures() throws Exception {
        dev.hvsim.benchmarks.PagingStats p = new dev.hvsim.benchmarks.PagingStats(700, 300, 7300, 300, 7200, 4);
        BenchResult r = new BenchResult("g", "p", java.util.List.of(), java.util.List.of(
                new BenchResult.Sample(1000, 1, 4_000_000, 2_000_000, 1, p)), dev.hvsim.benchmarks.HostInfo.current());
        assertThat(BenchCommand.text(r)).contains("TLB:         700 hits, 300 misses (walks) per run, miss rate 0.3000")
                .contains("page walks:  7,300 references per run, 24.33 per walk, 29,200 cycles (4 per reference)")
                .contains("nested:      300 walks under EPT / nested paging, 7,200 references, 24.00 per walk");
        JsonNode json = new ObjectMapper().readTree(BenchCommand.json(r, true));
        assertThat(json.get("tlbHitsPerRun").asLong()).isEqualTo(700);
        assertThat(json.get("tlbMissesPerRun").asLong()).isEqualTo(300);
        assertThat(json.get("walkReferencesPerRun").asLong()).isEqualTo(7300);
        assertThat(json.get("walkCyclesPerRun").asLong()).isEqualTo(29_200);
        assertThat(json.get("nestedWalksPerRun").asLong()).isEqualTo(300);
        assertThat(json.get("referencesPerNestedWalk").asDouble()).isEqualTo(24.0);
        assertThat(json.get("vmExitsPerRun").asLong()).isEqualTo(1); // the existing keys stay
        BenchResult flat = new BenchResult("g", "p", java.util.List.of(), java.util.List.of(new BenchResult.Sample(1000, 1,
                4_000_000, 2_000_000, 0, new dev.hvsim.benchmarks.PagingStats(10, 2, 8, 0, 0, 4))),
                dev.hvsim.benchmarks.HostInfo.current());
        assertThat(BenchCommand.text(flat)).contains("TLB:").doesNotContain("nested:");
    }
}
