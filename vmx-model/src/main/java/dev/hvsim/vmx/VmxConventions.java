package dev.hvsim.vmx;

import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;

/**
 * The RFLAGS conventions of the VMX instructions (SDM Vol. 3C 31.2 "Conventions"): VMsucceed clears
 * CF, PF, AF, ZF, SF and OF; VMfailInvalid sets CF and clears the others; VMfailValid(n) sets ZF, clears the
 * others and stores n in the VM-instruction error field of the current VMCS. VMfail(n) is VMfailValid(n)
 * when there is a current VMCS, else VMfailInvalid.
 */
final class VmxConventions {
    private VmxConventions() {}

    static void succeed(CpuState s) {
        s.setRflags(s.rflags() & ~Flags.OSZAPC);
    }

    static void failInvalid(CpuState s) {
        s.setRflags((s.rflags() & ~Flags.OSZAPC) | Flags.CF);
    }

    static void failValid(CpuState s) {
        s.setRflags((s.rflags() & ~Flags.OSZAPC) | Flags.ZF);
    }
}
