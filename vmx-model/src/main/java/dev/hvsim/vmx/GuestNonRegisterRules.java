package dev.hvsim.vmx;

import static dev.hvsim.vmx.EntryRule.guest;

import java.util.List;

/**
 * Checks on guest non-register state (SDM Vol. 3C 28.3.1.5: activity state, interruptibility state, pending debug
 * exceptions, VMCS link pointer) and on the PDPTEs of a PAE guest (28.3.1.6). A violation is a VM-entry failure
 * with exit reason 33; the qualification is 4 for the VMCS link pointer and 2 for the PDPTEs (28.8,
 * {@code reference/vmx-exit-qualifications.csv}).
 */
final class GuestNonRegisterRules {
    private GuestNonRegisterRules() {}

    static final int BLOCK_STI = 1, BLOCK_MOV_SS = 2, BLOCK_SMI = 4, BLOCK_NMI = 8;
    static final int ACTIVE = 0, HLT = 1, SHUTDOWN = 2, WAIT_FOR_SIPI = 3;

    private static boolean activitySupported(EntryState s, long a) {
        var misc = s.context().caps().misc();
        return a == ACTIVE || a == HLT && misc.activityHlt() || a == SHUTDOWN && misc.activityShutdown()
                || a == WAIT_FOR_SIPI && misc.activityWaitForSipi();
    }

    /**
     * 28.3.1.5: an injected event must be one the target activity state allows: in HLT external interrupts, NMIs,
     * hardware exceptions 1 (#DB) and 18 (#MC) and pending MTF VM exits (type 7, vector 0); in shutdown NMIs and #MC;
     * in wait-for-SIPI nothing.
     */
    private static boolean injectionBlockedByActivity(EntryState s) {
        if (!s.injecting()) {
            return false;
        }
        long a = s.get(F.GUEST_ACTIVITY_STATE);
        int t = s.injectionType(), v = s.injectionVector();
        if (a == HLT) {
            return !(t == 0 || t == 2 || t == 3 && (v == 1 || v == 18) || t == 7 && v == 0);
        }
        if (a == SHUTDOWN) {
            return !(t == 2 || t == 3 && v == 18);
        }
        return a == WAIT_FOR_SIPI;
    }

    private static boolean pendingDebugBad(EntryState s) {
        long p = s.get(F.GUEST_PENDING_DBG_EXCEPTIONS);
        // reserved 11:4, 13, 15, 63:16 (bit 16, RTM, is reserved too: the profiles do not advertise RTM)
        if ((p & (0xff0L | 1L << 13 | 1L << 15 | ~0xffffL)) != 0) {
            return true;
        }
        boolean blocked = (s.interruptibility() & (BLOCK_STI | BLOCK_MOV_SS)) != 0 || s.get(F.GUEST_ACTIVITY_STATE) == HLT;
        if (!blocked) {
            return false;
        }
        boolean tf = (s.get(F.GUEST_RFLAGS) >>> 8 & 1) != 0, btf = (s.get(F.GUEST_IA32_DEBUGCTL) >>> 1 & 1) != 0;
        boolean bs = (p >>> 14 & 1) != 0;
        return tf && !btf ? !bs : bs;
    }

    private static boolean linkPointerBad(EntryState s) {
        long p = s.get(F.VMCS_LINK_POINTER);
        if (p == -1L) {
            return false;
        }
        if (!s.pageAddrOk(p) || p == s.context().currentVmcs()) {
            return true; // outside SMM the link pointer must not be the current-VMCS pointer (28.3.1.5)
        }
        long header = s.context().memory().read(p, 4);
        boolean shadow = (header >>> 31 & 1) != 0;
        return (header & 0x7fffffffL) != s.context().caps().basic().revisionId() || shadow != s.proc2(14);
    }

    /** PAE paging for the guest (CR0.PG, CR4.PAE, not IA-32e) without EPT: the PDPTEs come from guest CR3. */
    private static boolean pdptesBad(EntryState s) {
        if ((s.guestCr0() & GuestRegisterRules.CR0_PG) == 0 || (s.guestCr4() & HostRules.CR4_PAE) == 0
                || s.ia32eGuest() || s.proc2(1)) {
            return false;
        }
        long base = s.get(F.GUEST_CR3) & 0xffffffe0L;
        for (int i = 0; i < 4; i++) {
            long e = s.context().memory().read(base + 8L * i, 8);
            if ((e & 1) != 0 && (e & (0x1e6L | ~s.physMask())) != 0) {
                return true;
            }
        }
        return false;
    }

    static final List<EntryRule> NON_REGISTER = List.of(
        guest("GUEST-ACTIVITY-RANGE", "28.3.1.5", "GUEST_ACTIVITY_STATE",
            "Use an activity state IA32_VMX_MISC[8:6] supports (0 active always; 1 HLT, 2 shutdown, 3 wait-for-SIPI).",
            s -> !activitySupported(s, s.get(F.GUEST_ACTIVITY_STATE))),
        guest("GUEST-ACTIVITY-HLT-DPL", "28.3.1.5", "GUEST_ACTIVITY_STATE GUEST_SS_AR_BYTES",
            "Use the HLT activity state only with SS.DPL = 0.",
            s -> s.get(F.GUEST_ACTIVITY_STATE) == HLT && GuestSegmentRules.dpl(s.get(F.GUEST_SS_AR_BYTES)) != 0),
        guest("GUEST-ACTIVITY-BLOCKING", "28.3.1.5", "GUEST_ACTIVITY_STATE GUEST_INTERRUPTIBILITY_INFO",
            "Use the active state when the interruptibility state shows blocking by STI or MOV SS.",
            s -> s.get(F.GUEST_ACTIVITY_STATE) != ACTIVE && (s.interruptibility() & (BLOCK_STI | BLOCK_MOV_SS)) != 0),
        guest("GUEST-ACTIVITY-INJ", "28.3.1.5", "GUEST_ACTIVITY_STATE VM_ENTRY_INTR_INFO_FIELD",
            "Inject only what the activity state allows (HLT: external interrupt, NMI, #DB, #MC, pending MTF; "
                + "shutdown: NMI, #MC; wait-for-SIPI: nothing).",
            GuestNonRegisterRules::injectionBlockedByActivity),
        guest("GUEST-ACTIVITY-SMM", "28.3.1.5", "GUEST_ACTIVITY_STATE VM_ENTRY_CONTROLS",
            "Do not use the wait-for-SIPI state with \"entry to SMM\".",
            s -> s.get(F.GUEST_ACTIVITY_STATE) == WAIT_FOR_SIPI && s.entry(10)),
        guest("GUEST-INTR-RSVD", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO",
            "Clear interruptibility-state bits 31:4 (no enclave interruption in this model).",
            s -> (s.interruptibility() & ~0xfL) != 0),
        guest("GUEST-INTR-STI-MOVSS", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO",
            "Do not set both blocking by STI and blocking by MOV SS.",
            s -> (s.interruptibility() & 3) == 3),
        guest("GUEST-INTR-STI-IF", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO GUEST_RFLAGS",
            "Clear blocking by STI when guest RFLAGS.IF is 0.",
            s -> (s.interruptibility() & BLOCK_STI) != 0 && (s.get(F.GUEST_RFLAGS) & (1L << 9)) == 0),
        guest("GUEST-INTR-EXTINT", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO VM_ENTRY_INTR_INFO_FIELD",
            "Clear blocking by STI and MOV SS when injecting an external interrupt.",
            s -> s.injecting() && s.injectionType() == 0 && (s.interruptibility() & 3) != 0),
        guest("GUEST-INTR-NMI-MOVSS", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO VM_ENTRY_INTR_INFO_FIELD",
            "Clear blocking by MOV SS when injecting an NMI.",
            s -> s.injecting() && s.injectionType() == 2 && (s.interruptibility() & BLOCK_MOV_SS) != 0),
        // 28.3.1.5 lets a processor require blocking by STI to be 0 when injecting an NMI (exit qualification 3). This
        // model does: its core holds NMIs back during the STI shadow (as interrupts), so an NMI injected under STI
        // blocking would be delivered while NMIs are blocked, and an NMI-window exit does not open under STI blocking.
        guest("GUEST-INTR-NMI-STI", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO VM_ENTRY_INTR_INFO_FIELD",
            "Clear blocking by STI when injecting an NMI (this processor requires it).",
            3, s -> s.injecting() && s.injectionType() == 2 && (s.interruptibility() & BLOCK_STI) != 0),
        guest("GUEST-INTR-SMI", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO VM_ENTRY_CONTROLS",
            "Clear blocking by SMI outside SMM (set it only with \"entry to SMM\").",
            s -> ((s.interruptibility() & BLOCK_SMI) != 0) != s.entry(10)),
        guest("GUEST-INTR-VNMI", "28.3.1.5", "GUEST_INTERRUPTIBILITY_INFO PIN_BASED_VM_EXEC_CONTROL",
            "With \"virtual NMIs\", clear blocking by NMI when injecting an NMI.",
            s -> s.pin(5) && s.injecting() && s.injectionType() == 2 && (s.interruptibility() & BLOCK_NMI) != 0),
        guest("GUEST-PENDING-DBG", "28.3.1.5", "GUEST_PENDING_DBG_EXCEPTIONS GUEST_RFLAGS GUEST_IA32_DEBUGCTL",
            "Clear reserved pending-debug bits; with STI/MOV-SS blocking or HLT, set BS exactly when RFLAGS.TF = 1 "
                + "and DEBUGCTL.BTF = 0.",
            GuestNonRegisterRules::pendingDebugBad),
        guest("GUEST-VMCS-LINK", "28.3.1.5", "VMCS_LINK_POINTER",
            "Set the VMCS link pointer to FFFFFFFF_FFFFFFFFH (or a 4-KiB-aligned VMCS other than the current one, with "
                + "this revision id and the shadow indicator equal to \"VMCS shadowing\").",
            4, GuestNonRegisterRules::linkPointerBad));

    static final List<EntryRule> PDPTES = List.of(
        guest("GUEST-PDPTE", "28.3.1.6", "GUEST_CR3 GUEST_CR0 GUEST_CR4",
            "For a PAE guest, clear the reserved bits (2:1, 8:5, beyond MAXPHYADDR) of every present PDPTE at guest CR3.",
            2, GuestNonRegisterRules::pdptesBad));
}
