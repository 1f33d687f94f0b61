package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;

/**
 * RDMSR/WRMSR semantics without the instruction (no intercept, no CPL check): for an extension that loads or
 * stores MSRs as part of an architectural operation (e.g. the VM-entry MSR-load area, SDM Vol. 3C 28.4, whose
 * entries fail exactly where WRMSR at CPL 0 would #GP). Throws {@code ArchFault} (#GP(0)) as WRMSR would.
 */
public final class MsrAccess {
    private MsrAccess() {}

    public static long read(Cpu cpu, long index) {
        return Msrs.read(cpu, index);
    }

    public static void write(Cpu cpu, long index, long value) {
        Msrs.write(cpu, index, value);
    }

    /**
     * The CR4 bits a MOV to CR4 may set on this CPU (profile CPUID plus the installed extension's bits): for an
     * extension's consistency checks of a guest CR4 (e.g. AMD VMRUN's CR4 MBZ check, APM Vol. 2 15.5.1).
     */
    public static long cr4Allowed(Cpu cpu) {
        return ControlRegs.cr4Allowed(cpu);
    }

    /** The CR4 bits the profile alone makes writable (what {@link Cpu#cr4ProfileBits} caches). */
    public static long cr4ProfileBits(Cpu cpu) {
        return ControlRegs.cr4ProfileBits(cpu);
    }
}
