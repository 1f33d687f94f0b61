package dev.hvsim.benchmarks;

import dev.hvsim.guests.Guests;
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
 * Guest MIPS of the 64-bit {@code bench-small} guest (the {@code hvsim bench} loop, 200,000 iterations,
 * booted from its ELF) with block translation on and off: one operation is one guest instruction, the
 * score is in operations per microsecond, i.e. millions of guest instructions per second. Each
 * invocation builds a fresh machine (empty decode cache and translations, as {@code hvsim bench} does).
 */
public class Bench64Benchmark extends MipsBenchmark {
    /** Instructions bench-small retires from its entry to its debug-exit (boot, loop, checksum print). */
    static final int INSTRUCTIONS = 2_016_212;

    @Param({"on", "off"})
    public String jit;

    private byte[] elf;
    private CpuProfile profile;

    @Setup
    public void setUp() {
        elf = Guests.bytes("bench-small");
        profile = CpuProfile.load("intel-core");
    }

    @Benchmark
    @OperationsPerInvocation(INSTRUCTIONS)
    public long benchSmall() throws LoadException {
        Machine m = new Machine(MachineConfig.of(profile, OutputStream.nullOutputStream()));
        m.loadElf(elf);
        m.cpus().forEach(c -> c.setJit("on".equals(jit)));
        RunOutcome o = m.run(RunLimits.none());
        if (!(o instanceof RunOutcome.GuestExit) || ((RunOutcome.GuestExit) o).value() != 0) {
            throw new IllegalStateException("bench-small did not pass: " + o.describe());
        }
        return o.stats().instructions();
    }
}
