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
 * @param cpus      number of logical processors, 1 .. {@link #MAX_CPUS} (APIC IDs 0 .. cpus - 1; CPU 0 is the BSP)
 */
public record MachineConfig(CpuProfile profile, long memoryMiB, OutputStream console, int cpus) {
    /** RAM size when none is given: 128 MiB, as QEMU. */
    public static final long DEFAULT_MEMORY_MIB = 128;
    /** Most CPUs a machine may have (xAPIC physical IDs below the broadcast ID 0xFF; QEMU's -smp limit differs). */
    public static final int MAX_CPUS = 64;

    public MachineConfig {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(console, "console");
        if (memoryMiB <= 0 || memoryMiB > (Ram.MAX_SIZE >>> 20)) {
            throw new IllegalArgumentException("memory size must be 1.." + (Ram.MAX_SIZE >>> 20) + " MiB, not "
                    + memoryMiB);
        }
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("number of CPUs must be 1.." + MAX_CPUS + ", not " + cpus);
        }
    }

    /** One CPU. */
    public MachineConfig(CpuProfile profile, long memoryMiB, OutputStream console) {
        this(profile, memoryMiB, console, 1);
    }

    /** {@link #DEFAULT_MEMORY_MIB} of RAM with this profile, writing guest output to {@code console}. */
    public static MachineConfig of(CpuProfile profile, OutputStream console) {
        return new MachineConfig(profile, DEFAULT_MEMORY_MIB, console, 1);
    }

    /** This configuration with {@code mib} MiB of RAM. */
    public MachineConfig withMemoryMiB(long mib) {
        return new MachineConfig(profile, mib, console, cpus);
    }

    /** This configuration with {@code n} CPUs. */
    public MachineConfig withCpus(int n) {
        return new MachineConfig(profile, memoryMiB, console, n);
    }
}
