package dev.hvsim.svm;

import java.util.List;

/**
 * One #VMEXIT as the VMM sees it (APM Vol. 2 15.6): the values written to the VMCB's EXITCODE, EXITINFO1,
 * EXITINFO2, EXITINTINFO and NRIP, the guest RIP saved, and for VMEXIT_INVALID the VMRUN rules that failed. This is
 * what {@code Cpu.lastVmExit()} holds after {@code StopReason.VM_EXIT}; the host state is already loaded.
 *
 * @param exitCode    EXITCODE (-1 for VMEXIT_INVALID)
 * @param exitInfo1   EXITINFO1
 * @param exitInfo2   EXITINFO2
 * @param exitIntInfo EXITINTINFO (0: no event was being delivered)
 * @param nextRip     NRIP (next sequential RIP; 0 where the APM defines none)
 * @param guestRip    the guest RIP saved in the VMCB (0 for VMEXIT_INVALID: nothing saved)
 * @param violations  the failed VMRUN rules (empty unless exitCode is VMEXIT_INVALID)
 */
public record SvmExit(long exitCode, long exitInfo1, long exitInfo2, long exitIntInfo, long nextRip, long guestRip,
        List<VmrunViolation> violations) {
    public boolean invalid() {
        return exitCode == ExitCode.INVALID;
    }
}
