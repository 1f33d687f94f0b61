package dev.hvsim.vmx;

import static dev.hvsim.vmx.EntryRule.guest;

import java.util.List;

/**
 * Checks on guest control registers, debug registers and MSRs (SDM Vol. 3C 28.3.1.1), descriptor-table registers
 * (28.3.1.3) and RIP/RFLAGS (28.3.1.4). A violation is a VM-entry failure with exit reason 33, qualification 0.
 */
final class GuestRegisterRules {
    private GuestRegisterRules() {}

    static final long CR0_PE = 1, CR0_WP = 1L << 16, CR0_PG = 1L << 31, CR4_CET = 1L << 23;
    static final long RFLAGS_RESERVED = ~((1L << 22) - 1) | 1L << 15 | 1L << 5 | 1L << 3;

    /** CR0 fixed bits, except PE and PG with "unrestricted guest" (28.3.1.1). */
    private static boolean cr0Fixed(EntryState s) {
        long fixed0 = s.context().caps().cr0Fixed().fixed0();
        if (s.unrestricted()) {
            fixed0 &= ~(CR0_PE | CR0_PG);
        }
        long v = s.guestCr0();
        long fixed1 = s.context().caps().cr0Fixed().fixed1();
        return (v & fixed0) != fixed0 || (v & ~fixed1) != 0;
    }

    static final List<EntryRule> CONTROL_REGISTERS = List.of(
        guest("GUEST-CR0-FIXED", "28.3.1.1", "GUEST_CR0",
            "Set every guest CR0 bit IA32_VMX_CR0_FIXED0 has set (PE, NE, PG; PE/PG may be 0 with unrestricted guest) "
                + "and clear the bits IA32_VMX_CR0_FIXED1 has clear.",
            GuestRegisterRules::cr0Fixed),
        guest("GUEST-CR0-PG-PE", "28.3.1.1", "GUEST_CR0",
            "Set guest CR0.PE when CR0.PG is set.",
            s -> (s.guestCr0() & CR0_PG) != 0 && (s.guestCr0() & CR0_PE) == 0),
        guest("GUEST-CR4-FIXED", "28.3.1.1", "GUEST_CR4",
            "Set every guest CR4 bit IA32_VMX_CR4_FIXED0 has set (VMXE) and clear the bits IA32_VMX_CR4_FIXED1 has clear.",
            s -> !s.context().caps().cr4Fixed().allows(s.guestCr4())),
        guest("GUEST-CR4-CET-WP", "28.3.1.1", "GUEST_CR0 GUEST_CR4",
            "Set guest CR0.WP when guest CR4.CET is set.",
            s -> (s.guestCr4() & CR4_CET) != 0 && (s.guestCr0() & CR0_WP) == 0),
        guest("GUEST-DR7", "28.3.1.1", "GUEST_DR7",
            "With \"load debug controls\", clear guest DR7 bits 63:32.",
            s -> s.entry(2) && (s.get(F.GUEST_DR7) >>> 32) != 0),
        guest("GUEST-DEBUGCTL", "28.3.1.1", "GUEST_IA32_DEBUGCTL",
            "With \"load debug controls\", clear the reserved bits of guest IA32_DEBUGCTL (all but 0, 1, 6-15).",
            s -> s.entry(2) && (s.get(F.GUEST_IA32_DEBUGCTL) & ~0xffc3L) != 0),
        guest("GUEST-SYSENTER-CANON", "28.3.1.1", "GUEST_SYSENTER_ESP GUEST_SYSENTER_EIP",
            "Make the guest IA32_SYSENTER_ESP and IA32_SYSENTER_EIP fields canonical.",
            s -> !s.canonical(s.get(F.GUEST_SYSENTER_ESP)) || !s.canonical(s.get(F.GUEST_SYSENTER_EIP))),
        guest("GUEST-PAT", "28.3.1.1", "GUEST_IA32_PAT",
            "With \"load IA32_PAT\" (entry), make each guest PAT entry a valid memory type (0, 1, 4, 5, 6 or 7).",
            s -> s.entry(14) && !HostRules.validPat(s.get(F.GUEST_IA32_PAT))),
        guest("GUEST-EFER", "28.3.1.1", "GUEST_IA32_EFER VM_ENTRY_CONTROLS GUEST_CR0",
            "With \"load IA32_EFER\" (entry), clear reserved EFER bits, make LMA equal \"IA-32e mode guest\" and, "
                + "with CR0.PG set, LME too.",
            s -> {
                if (!s.entry(15)) {
                    return false;
                }
                long e = s.get(F.GUEST_IA32_EFER);
                boolean lma = (e & HostRules.EFER_LMA) != 0, lme = (e & HostRules.EFER_LME) != 0;
                return HostRules.eferReserved(e) || lma != s.ia32eGuest()
                        || (s.guestCr0() & CR0_PG) != 0 && lme != s.ia32eGuest();
            }),
        guest("GUEST-IA32E-PG-PAE", "28.3.1.1", "GUEST_CR0 GUEST_CR4 VM_ENTRY_CONTROLS",
            "With \"IA-32e mode guest\", set guest CR0.PG and CR4.PAE; without it, clear guest CR4.PCIDE.",
            s -> s.ia32eGuest() ? (s.guestCr0() & CR0_PG) == 0 || (s.guestCr4() & HostRules.CR4_PAE) == 0
                    : (s.guestCr4() & HostRules.CR4_PCIDE) != 0));

    static final List<EntryRule> DESCRIPTOR_TABLES = List.of(
        guest("GUEST-DT-BASE", "28.3.1.3", "GUEST_GDTR_BASE GUEST_IDTR_BASE",
            "Make the guest GDTR and IDTR bases canonical.",
            s -> !s.canonical(s.get(F.GUEST_GDTR_BASE)) || !s.canonical(s.get(F.GUEST_IDTR_BASE))),
        guest("GUEST-DT-LIMIT", "28.3.1.3", "GUEST_GDTR_LIMIT GUEST_IDTR_LIMIT",
            "Clear bits 31:16 of the guest GDTR and IDTR limits.",
            s -> (s.get(F.GUEST_GDTR_LIMIT) >>> 16) != 0 || (s.get(F.GUEST_IDTR_LIMIT) >>> 16) != 0));

    static final List<EntryRule> RIP_RFLAGS = List.of(
        guest("GUEST-RIP", "28.3.1.4", "GUEST_RIP GUEST_CS_AR_BYTES",
            "Clear guest RIP bits 63:32 unless the guest is in 64-bit mode (IA-32e mode guest and CS.L); "
                + "in 64-bit mode make it canonical.",
            s -> {
                long rip = s.get(F.GUEST_RIP);
                boolean l = (s.get(F.GUEST_CS_AR_BYTES) >>> 13 & 1) != 0;
                return s.ia32eGuest() && l ? !s.canonical(rip) : (rip >>> 32) != 0;
            }),
        guest("GUEST-RFLAGS-RSVD", "28.3.1.4", "GUEST_RFLAGS",
            "Clear guest RFLAGS bits 63:22, 15, 5 and 3 and set bit 1.",
            s -> (s.get(F.GUEST_RFLAGS) & RFLAGS_RESERVED) != 0 || (s.get(F.GUEST_RFLAGS) & 2) == 0),
        guest("GUEST-RFLAGS-VM", "28.3.1.4", "GUEST_RFLAGS VM_ENTRY_CONTROLS GUEST_CR0",
            "Clear guest RFLAGS.VM for an IA-32e mode guest or when guest CR0.PE is 0.",
            s -> s.v86() && (s.ia32eGuest() || (s.guestCr0() & CR0_PE) == 0)),
        guest("GUEST-RFLAGS-IF-INJ", "28.3.1.4", "GUEST_RFLAGS VM_ENTRY_INTR_INFO_FIELD",
            "Set guest RFLAGS.IF when injecting an external interrupt.",
            s -> s.injecting() && s.injectionType() == 0 && (s.get(F.GUEST_RFLAGS) & (1L << 9)) == 0));
}
