package dev.hvsim.machine;

import dev.hvsim.machine.bus.Ram;
import dev.hvsim.x86core.CpuProfile;
import java.io.OutputStream;
import java.util.Objects;

/**
 * How to build a {@link Machine}.
 *
 * @param profile   the CPU model (vendor, CPUID, latencies)
 * @param memoryMiB RAM size in MiB (1 .. 1,048,576); RAM is sparse, so a large size costs nothing until touched
 * @param console   where the serial port and the debug console write guest output
 */
public record MachineConfig(CpuProfile profile, long memoryMiB, OutputStream console) {
    /** RAM size when none is given: 128 MiB, as QEMU. */
    public static final long DEFAULT_MEMORY_MIB = 128;

    public MachineConfig {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(console, "console");
        if (memoryMiB <= 0 || memoryMiB > (Ram.MAX_SIZE >>> 20)) {
            throw new IllegalArgumentException("memory size must be 1.." + (Ram.MAX_SIZE >>> 20) + " MiB, not "
                    + memoryMiB);
        }
    }

    /** {@link #DEFAULT_MEMORY_MIB} of RAM with this profile, writing guest output to {@code console}. */
    public static MachineConfig of(CpuProfile profile, OutputStream console) {
        return new MachineConfig(profile, DEFAULT_MEMORY_MIB, console);
    }

    /** This configuration with {@code mib} MiB of RAM. */
    public MachineConfig withMemoryMiB(long mib) {
        return new MachineConfig(profile, mib, console);
    }
}
