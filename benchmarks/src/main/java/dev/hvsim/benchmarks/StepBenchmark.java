package dev.hvsim.benchmarks;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.StopReason;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The step path with a warm decode cache: {@code jmp $} (eb fe) executed over and over, through
 * {@code Cpu.run} in batches (loop overhead amortised) and through single {@code Cpu.step} calls.
 * Scores are nanoseconds per guest instruction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StepBenchmark {
    static final int BATCH = 10_000;

    private Cpu cpu;

    @Setup
    public void setUp() throws LoadException {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), OutputStream.nullOutputStream()));
        m.loadFlat(new byte[] {(byte) 0xeb, (byte) 0xfe}, 0x100000, -1);
        cpu = m.cpu();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public StopReason runBatch() {
        return cpu.run(BATCH, Long.MAX_VALUE);
    }

    @Benchmark
    public StopReason singleStep() {
        return cpu.step();
    }
}
