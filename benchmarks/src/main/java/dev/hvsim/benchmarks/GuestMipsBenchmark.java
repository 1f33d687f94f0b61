package dev.hvsim.benchmarks;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.CpuProfile;
import java.io.OutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Guest MIPS of the {@link ComputeLoop}: one operation is one guest instruction, and the score is in
 * operations per microsecond, i.e. millions of guest instructions per second. Each invocation reloads
 * the loop (resetting the CPU) and runs it to its debug-exit.
 */
public class GuestMipsBenchmark extends MipsBenchmark {
    static final int ITERATIONS = 250_000;
    /** {@link ComputeLoop#instructions} of {@link #ITERATIONS}, as a compile-time constant. */
    static final int INSTRUCTIONS = 1 + 4 * ITERATIONS + 2;

    @Param({"intel-core", "amd-zen"})
    public String profile;

    private Machine machine;
    private byte[] image;

    @Setup
    public void setUp() {
        machine = new Machine(MachineConfig.of(CpuProfile.load(profile), OutputStream.nullOutputStream()));
        image = ComputeLoop.image(ITERATIONS);
    }

    @Benchmark
    @OperationsPerInvocation(INSTRUCTIONS)
    public long computeLoop() throws LoadException {
        machine.loadFlat(image, ComputeLoop.LOAD_ADDRESS, -1);
        RunOutcome o = machine.run(RunLimits.none());
        if (o.kind() != RunOutcome.Kind.GUEST_EXIT) {
            throw new IllegalStateException("compute loop did not exit: " + o.describe());
        }
        return o.stats().instructions();
    }
}
