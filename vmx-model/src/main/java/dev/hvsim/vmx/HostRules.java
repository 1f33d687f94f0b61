package dev.hvsim.vmx;

import static dev.hvsim.vmx.EntryRule.host;

import java.util.List;

/**
 * Checks on the host-state area (SDM Vol. 3C 28.2.2 host control registers and MSRs, 28.2.3 host segment and
 * descriptor-table registers, 28.2.4 address-space size). A violation fails VM entry with VMfailValid(8).
 */
final class HostRules {
    private HostRules() {}

    static final long EFER_SCE = 1, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11;
    static final long CR4_PAE = 1L << 5, CR4_PCIDE = 1L << 17;

    /** A PAT value whose eight entries are all valid memory types 0, 1, 4, 5, 6, 7 (SDM Vol. 3A 12.12.2). */
    static boolean validPat(long pat) {
        for (int i = 0; i < 8; i++) {
            int t = (int) (pat >>> (8 * i)) & 0xff;
            if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7) {
                return false;
            }
        }
        return true;
    }

    /** EFER bits other than SCE, LME, LMA, NXE are reserved in this model's profiles. */
    static boolean eferReserved(long efer) {
        return (efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) != 0;
    }

    static final List<EntryRule> STATE = List.of(
        host("HOST-CR0-FIXED", "28.2.2", "HOST_CR0",
            "Set every host CR0 bit IA32_VMX_CR0_FIXED0 has set and clear every bit IA32_VMX_CR0_FIXED1 has clear.",
            s -> !s.context().caps().cr0Fixed().allows(s.get(F.HOST_CR0))),
        host("HOST-CR4-FIXED", "28.2.2", "HOST_CR4",
            "Set every host CR4 bit IA32_VMX_CR4_FIXED0 has set (VMXE) and clear the bits IA32_VMX_CR4_FIXED1 has clear.",
            s -> !s.context().caps().cr4Fixed().allows(s.get(F.HOST_CR4))),
        host("HOST-CR3-RSVD", "28.2.2", "HOST_CR3",
            "Clear host CR3 bits beyond the physical-address width.",
            s -> !s.inPhys(s.get(F.HOST_CR3))),
        host("HOST-SYSENTER-CANON", "28.2.2", "HOST_IA32_SYSENTER_ESP HOST_IA32_SYSENTER_EIP",
            "Make the host IA32_SYSENTER_ESP and IA32_SYSENTER_EIP fields canonical.",
            s -> !s.canonical(s.get(F.HOST_IA32_SYSENTER_ESP)) || !s.canonical(s.get(F.HOST_IA32_SYSENTER_EIP))),
        host("HOST-PAT", "28.2.2", "HOST_IA32_PAT",
            "With \"load IA32_PAT\" (exit), make each host PAT entry a valid memory type (0, 1, 4, 5, 6 or 7).",
            s -> s.exit(19) && !validPat(s.get(F.HOST_IA32_PAT))),
        host("HOST-EFER", "28.2.2", "HOST_IA32_EFER VM_EXIT_CONTROLS",
            "With \"load IA32_EFER\" (exit), clear reserved EFER bits and make LMA and LME equal \"host address-space size\".",
            s -> s.exit(21) && (eferReserved(s.get(F.HOST_IA32_EFER))
                    || ((s.get(F.HOST_IA32_EFER) & EFER_LMA) != 0) != s.host64()
                    || ((s.get(F.HOST_IA32_EFER) & EFER_LME) != 0) != s.host64())),
        host("HOST-SEL-RPL-TI", "28.2.3",
            "HOST_ES_SELECTOR HOST_CS_SELECTOR HOST_SS_SELECTOR HOST_DS_SELECTOR HOST_FS_SELECTOR HOST_GS_SELECTOR HOST_TR_SELECTOR",
            "Give host ES, CS, SS, DS, FS, GS and TR selectors RPL 0 and TI 0 (selector & 7 = 0).",
            s -> {
                for (var f : F.HOST_SEL) {
                    if ((s.get(f) & 7) != 0) {
                        return true;
                    }
                }
                return (s.get(F.HOST_TR_SELECTOR) & 7) != 0;
            }),
        host("HOST-CS-NONNULL", "28.2.3", "HOST_CS_SELECTOR",
            "Give a non-null host CS selector.",
            s -> s.get(F.HOST_CS_SELECTOR) == 0),
        host("HOST-TR-NONNULL", "28.2.3", "HOST_TR_SELECTOR",
            "Give a non-null host TR selector.",
            s -> s.get(F.HOST_TR_SELECTOR) == 0),
        host("HOST-SS-NONNULL", "28.2.3", "HOST_SS_SELECTOR VM_EXIT_CONTROLS",
            "With a 32-bit host (\"host address-space size\" = 0), give a non-null host SS selector.",
            s -> !s.host64() && s.get(F.HOST_SS_SELECTOR) == 0),
        host("HOST-BASES-CANON", "28.2.3", "HOST_FS_BASE HOST_GS_BASE HOST_TR_BASE HOST_GDTR_BASE HOST_IDTR_BASE",
            "Make the host FS, GS, TR, GDTR and IDTR bases canonical.",
            s -> !s.canonical(s.get(F.HOST_FS_BASE)) || !s.canonical(s.get(F.HOST_GS_BASE))
                    || !s.canonical(s.get(F.HOST_TR_BASE)) || !s.canonical(s.get(F.HOST_GDTR_BASE))
                    || !s.canonical(s.get(F.HOST_IDTR_BASE))));

    static final List<EntryRule> ADDRESS_SPACE = List.of(
        host("ASZ-OUTSIDE-IA32E", "28.2.4", "VM_ENTRY_CONTROLS VM_EXIT_CONTROLS",
            "Outside IA-32e mode, clear \"IA-32e mode guest\" (entry) and \"host address-space size\" (exit).",
            s -> !s.context().processorLma() && (s.ia32eGuest() || s.host64())),
        host("ASZ-IN-IA32E", "28.2.4", "VM_EXIT_CONTROLS",
            "In IA-32e mode, set \"host address-space size\" (exit control 9).",
            s -> s.context().processorLma() && !s.host64()),
        host("ASZ-HOST64-PAE", "28.2.4", "HOST_CR4 HOST_RIP",
            "With a 64-bit host, set host CR4.PAE and give a canonical host RIP.",
            s -> s.host64() && ((s.get(F.HOST_CR4) & CR4_PAE) == 0 || !s.canonical(s.get(F.HOST_RIP)))),
        host("ASZ-HOST32", "28.2.4", "HOST_CR4 HOST_RIP",
            "With a 32-bit host, clear host CR4.PCIDE and bits 63:32 of host RIP.",
            s -> !s.host64() && ((s.get(F.HOST_CR4) & CR4_PCIDE) != 0 || (s.get(F.HOST_RIP) >>> 32) != 0)));
}
