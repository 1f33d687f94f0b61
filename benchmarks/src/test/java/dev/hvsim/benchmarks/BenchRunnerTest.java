package dev.hvsim.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BenchRunnerTest {
    private final CpuProfile intel = CpuProfile.load("intel-core");

    @Test
    void computeLoopRetiresTheCountedInstructions() throws Exception {
        BenchRunner r = new BenchRunner(intel, new BenchRunner.Options(Duration.ZERO, 0, 1, 1, RunLimits.none()));
        BenchResult res = r.run("loop", m -> m.loadFlat(ComputeLoop.image(1000), ComputeLoop.LOAD_ADDRESS, -1));
        assertThat(res.instructionsPerRun()).isEqualTo(ComputeLoop.instructions(1000));
        assertThat(res.cyclesPerRun()).isPositive();
    }

    @Test
    void warmUpThenAtLeastMinRunsWithMedianAndBest() throws Exception {
        BenchRunner r = new BenchRunner(intel, new BenchRunner.Options(Duration.ofMillis(100), 1, 3, 20,
                RunLimits.none()));
        BenchResult res = r.run("loop", m -> m.loadFlat(ComputeLoop.image(20_000), ComputeLoop.LOAD_ADDRESS, -1));
        assertThat(res.warmup()).hasSize(1);
        assertThat(res.runs()).hasSizeBetween(3, 20);
        assertThat(res.medianMips()).isPositive().isLessThanOrEqualTo(res.bestMips());
        assertThat(res.profile()).isEqualTo("intel-core");
        assertThat(res.host().jvm()).isNotBlank();
        assertThat(res.host().cores()).isPositive();
    }

    @Test
    void warmUpRunsGoOnWhileTheWarmUpTimeLasts() throws Exception {
        // once the classes are loaded, a run of the 1,000-iteration loop (machine included) takes a few
        // milliseconds: 200 ms of warm-up are several runs
        BenchRunner.GuestLoader loop = m -> m.loadFlat(ComputeLoop.image(1000), ComputeLoop.LOAD_ADDRESS, -1);
        new BenchRunner(intel, new BenchRunner.Options(Duration.ZERO, 0, 1, 1, RunLimits.none())).run("loop", loop);
        long t0 = System.nanoTime();
        BenchRunner r = new BenchRunner(intel, new BenchRunner.Options(Duration.ZERO, Duration.ofMillis(200), 1, 1, 1,
                RunLimits.none()));
        BenchResult res = r.run("loop", loop);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(200_000_000L);
        assertThat(res.warmup()).hasSizeGreaterThan(1);
        assertThat(res.runs()).hasSize(1);
        assertThat(BenchRunner.Options.forBudget(Duration.ofSeconds(8)).warmup()).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> new BenchRunner.Options(Duration.ZERO, Duration.ofMillis(-1), 0, 1, 1,
                RunLimits.none())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aGuestThatDoesNotExitCleanlyFailsTheBenchmark() {
        BenchRunner r = new BenchRunner(intel, new BenchRunner.Options(Duration.ZERO, 0, 1, 1,
                RunLimits.instructions(100)));
        assertThatThrownBy(() -> r.run("spin", m -> m.loadFlat(new byte[] {(byte) 0xeb, (byte) 0xfe}, 0x100000, -1)))
                .isInstanceOf(BenchException.class)
                .hasMessage("benchmark guest spin did not pass: instruction limit of 100 reached")
                .satisfies(e -> assertThat(((BenchException) e).outcome().kind())
                        .isEqualTo(RunOutcome.Kind.INSTRUCTION_LIMIT));
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        BenchResult res = new BenchResult("g", "p", java.util.List.of(), java.util.List.of(
                new BenchResult.Sample(1000, 1, 1000, 500), new BenchResult.Sample(3000, 1, 1000, 500),
                new BenchResult.Sample(2000, 1, 1000, 500), new BenchResult.Sample(4000, 1, 1000, 500)), HostInfo.current());
        assertThat(res.medianMips()).isEqualTo(2500.0);
        assertThat(res.bestMips()).isEqualTo(4000.0);
    }
}
