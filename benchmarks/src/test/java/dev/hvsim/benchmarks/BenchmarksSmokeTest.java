package dev.hvsim.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.StopReason;
import org.junit.jupiter.api.Test;

/** Runs each JMH benchmark method once outside JMH, so a broken benchmark fails the build, not a JMH run. */
class BenchmarksSmokeTest {

    @Test
    void guestMipsBenchmarkRunsTheLoopToItsExit() throws Exception {
        GuestMipsBenchmark b = new GuestMipsBenchmark();
        b.profile = "amd-zen";
        b.setUp();
        assertThat(b.computeLoop()).isEqualTo(GuestMipsBenchmark.INSTRUCTIONS);
        assertThat(b.computeLoop()).isEqualTo(ComputeLoop.instructions(GuestMipsBenchmark.ITERATIONS));
    }

    @Test
    void bench64BenchmarkCountsExactlyTheInstructionsItRunsWithAndWithoutTranslation() throws Exception {
        for (String jit : new String[] {"on", "off"}) {
            Bench64Benchmark b = new Bench64Benchmark();
            b.jit = jit;
            b.setUp();
            assertThat(b.benchSmall()).as(jit).isEqualTo(Bench64Benchmark.INSTRUCTIONS);
        }
    }

    @Test
    void stepBenchmarkSpins() throws Exception {
        StepBenchmark b = new StepBenchmark();
        b.setUp();
        assertThat(b.runBatch()).isEqualTo(StopReason.INSTRUCTION_LIMIT);
        assertThat(b.singleStep()).isNull();
    }

    @Test
    void decodeBenchmarkDecodesEveryParameter() {
        for (String hex : new String[] {"01c8", "8b0500000040", "83e901", "0f85f6ffffff", "66b82a00", "f00144b308"}) {
            DecodeBenchmark b = new DecodeBenchmark();
            b.bytes = hex;
            b.setUp();
            assertThat(b.decode().length).as(hex).isEqualTo(hex.length() / 2);
        }
    }
}
