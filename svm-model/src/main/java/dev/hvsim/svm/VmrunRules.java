package dev.hvsim.svm;

import static dev.hvsim.x86core.Cpu.CR0_CD;
import static dev.hvsim.x86core.Cpu.CR0_NW;
import static dev.hvsim.x86core.Cpu.CR0_PE;
import static dev.hvsim.x86core.Cpu.CR0_PG;
import static dev.hvsim.x86core.Cpu.CR4_PAE;
import static dev.hvsim.x86core.Cpu.EFER_LME;
import static dev.hvsim.x86core.Cpu.EFER_SVME;

import java.util.List;

/**
 * The VMRUN consistency checks of AMD APM Vol. 2 15.5.1 ("VMRUN ... checks the guest state ... illegal state
 * combinations cause a #VMEXIT with VMEXIT_INVALID") and 15.20 (EVENTINJ), one named rule per row of
 * {@code reference/svm-misc.csv}, in the order of that table; the nested-paging rules are APM 15.25.3 / 15.25.4.
 * Rows for features svm-model does not advertise (vNMI, AVIC) are not rules here: see DEVIATIONS.md.
 */
public final class VmrunRules {
    private VmrunRules() {}

    static final String S = "15.5.1";
    /** CS attrib (compressed): L is bit 9, D/B bit 10 (APM Vol. 2 Table B-2, vmcb-layout.csv SEG.ATTRIB). */
    static final int ATTR_L = 1 << 9, ATTR_DB = 1 << 10;

    /** NP_ENABLE (VMCB 0x090 bit 0). */
    static boolean nestedPaging(VmcbSnapshot v) {
        return (v.q(V.NESTED_CTL) & 1) != 0;
    }

    static boolean longModePaging(VmcbSnapshot v) {
        return (v.q(V.EFER) & EFER_LME) != 0 && (v.q(V.CR0) & CR0_PG) != 0;
    }

    /** Every implemented rule, in svm-misc.csv order. */
    public static final List<VmrunRule> ALL = List.of(
            VmrunRule.of("SVM-VMRUN-EFER-SVME", S, "save.EFER", "set guest EFER.SVME (bit 12)",
                    (v, c) -> (v.q(V.EFER) & EFER_SVME) == 0),
            VmrunRule.of("SVM-VMRUN-CR0-CDNW", S, "save.CR0", "CR0.NW = 1 needs CR0.CD = 1",
                    (v, c) -> (v.q(V.CR0) & CR0_CD) == 0 && (v.q(V.CR0) & CR0_NW) != 0),
            VmrunRule.of("SVM-VMRUN-CR0-HI", S, "save.CR0", "clear CR0[63:32]",
                    (v, c) -> (v.q(V.CR0) >>> 32) != 0),
            VmrunRule.of("SVM-VMRUN-CR3-MBZ", S, "save.CR3 save.EFER save.CR0",
                    "clear guest CR3 bits at or above MAXPHYADDR (bits 63:32 without long-mode paging)",
                    (v, c) -> longModePaging(v) ? c.beyond(v.q(V.CR3)) : (v.q(V.CR3) >>> 32) != 0),
            VmrunRule.of("SVM-VMRUN-CR4-MBZ", S, "save.CR4", "clear CR4 bits this CPU does not support",
                    (v, c) -> (v.q(V.CR4) & ~c.cr4Allowed()) != 0),
            VmrunRule.of("SVM-VMRUN-DR6-HI", S, "save.DR6", "clear DR6[63:32]", (v, c) -> (v.q(V.DR6) >>> 32) != 0),
            VmrunRule.of("SVM-VMRUN-DR7-HI", S, "save.DR7", "clear DR7[63:32]", (v, c) -> (v.q(V.DR7) >>> 32) != 0),
            VmrunRule.of("SVM-VMRUN-EFER-MBZ", S, "save.EFER", "clear EFER bits this CPU does not support",
                    (v, c) -> (v.q(V.EFER) & ~c.eferAllowed()) != 0),
            VmrunRule.of("SVM-VMRUN-LME-PG-NOPAE", S, "save.EFER save.CR0 save.CR4",
                    "EFER.LME = 1 with CR0.PG = 1 needs CR4.PAE = 1",
                    (v, c) -> longModePaging(v) && (v.q(V.CR4) & CR4_PAE) == 0),
            VmrunRule.of("SVM-VMRUN-LME-PG-NOPE", S, "save.EFER save.CR0",
                    "EFER.LME = 1 with CR0.PG = 1 needs CR0.PE = 1",
                    (v, c) -> longModePaging(v) && (v.q(V.CR0) & CR0_PE) == 0),
            VmrunRule.of("SVM-VMRUN-LONG-CS-LD", S, "save.EFER save.CR0 save.CR4 save.CS.attrib",
                    "in long mode CS.L and CS.D must not both be 1",
                    (v, c) -> longModePaging(v) && (v.q(V.CR4) & CR4_PAE) != 0
                            && (v.get(V.CS + 2, 2) & (ATTR_L | ATTR_DB)) == (ATTR_L | ATTR_DB)),
            VmrunRule.of("SVM-VMRUN-INTERCEPT", S, "control.INTERCEPT_VMRUN", "set the VMRUN intercept (word 4 bit 0)",
                    (v, c) -> !v.bit(V.MISC2, V.M2_VMRUN)),
            VmrunRule.of("SVM-VMRUN-BITMAP-PA", S, "control.IOPM_BASE_PA control.MSRPM_BASE_PA",
                    "the IOPM (12 KiB) and MSRPM (8 KiB) must lie below 2^MAXPHYADDR",
                    (v, c) -> c.beyond((v.q(V.IOPM_BASE) & ~0xfffL) + 0x3000 - 1)
                            || c.beyond((v.q(V.MSRPM_BASE) & ~0xfffL) + 0x2000 - 1)),
            VmrunRule.of("SVM-VMRUN-ASID0", S, "control.GUEST_ASID", "guest ASID 0 is the host's: use 1 or above",
                    (v, c) -> v.get(V.ASID, 4) == 0),
            VmrunRule.of("SVM-VMRUN-EVENTINJ", "15.20", "control.EVENTINJ save.EFER save.CR0 save.CS.attrib",
                    "EVENTINJ: TYPE 0, 2, 3 or 4; an exception (TYPE 3) needs vector 0-31 other than 2, and not #BR/#OF "
                            + "in 64-bit mode", VmrunRules::illegalEventInj),
            VmrunRule.of("SVM-VMRUN-NP-HOSTPG", "15.25.3", "control.NESTED_CTL",
                    "nested paging needs a host with paging on (host CR0.PG = 1 at VMRUN)",
                    (v, c) -> nestedPaging(v) && (c.hostCr0() & CR0_PG) == 0),
            VmrunRule.of("SVM-VMRUN-NP-GPAT", "15.25.4", "control.NESTED_CTL save.G_PAT",
                    "with nested paging every G_PAT byte must be a valid PAT type (0, 1, 4, 5, 6 or 7)",
                    (v, c) -> nestedPaging(v) && !validPat(v.q(V.G_PAT))),
            VmrunRule.of("SVM-VMRUN-NP-NCR3", "15.25.4", "control.NESTED_CTL control.N_CR3",
                    "with nested paging N_CR3 must have no bit set at or above MAXPHYADDR",
                    (v, c) -> nestedPaging(v) && c.beyond(v.q(V.N_CR3))),
            VmrunRule.of("SVM-VMRUN-PAE-PDPTE", S, "save.CR0 save.CR4 save.EFER save.CR3",
                    "legacy PAE paging: the four PDPTEs at CR3 must have no reserved bits set",
                    VmrunRules::badPdpte));

    static boolean illegalEventInj(VmcbSnapshot v, VmrunContext c) {
        long e = v.q(V.EVENTINJ);
        if ((e >>> 31 & 1) == 0) {
            return false;
        }
        int type = (int) (e >>> 8) & 7, vector = (int) e & 0xff;
        if (type == 1 || type > 4) {
            return true;
        }
        if (type != 3) {
            return false;
        }
        boolean mode64 = longModePaging(v) && (v.get(V.CS + 2, 2) & ATTR_L) != 0;
        return vector == 2 || vector > 31 || mode64 && (vector == 4 || vector == 5);
    }

    /** A PAT value whose eight entries are all valid memory types (PA0-PA7: 0, 1, 4, 5, 6, 7; APM Vol. 2 7.8.1). */
    static boolean validPat(long pat) {
        for (int i = 0; i < 8; i++) {
            int t = (int) (pat >>> 8 * i) & 0xff;
            if (t == 2 || t == 3 || t > 7) {
                return false;
            }
        }
        return true;
    }

    /**
     * PAE PDPTE reserved bits (APM Vol. 2 5.3.4 / SDM Vol. 3A 4.4.1): 2:1, 8:5, 63:MAXPHYADDR, when P = 1. Not with
     * nested paging: CR3 is then a guest-physical address and the PDPTEs are not checked at VMRUN (svm-misc.csv).
     */
    static boolean badPdpte(VmcbSnapshot v, VmrunContext c) {
        boolean pae = (v.q(V.CR0) & CR0_PG) != 0 && (v.q(V.CR4) & CR4_PAE) != 0 && (v.q(V.EFER) & EFER_LME) == 0
                && !nestedPaging(v);
        if (!pae) {
            return false;
        }
        long base = v.q(V.CR3) & 0xffffffe0L;
        long rsvd = 0x1e6L | (c.maxPhysAddr() < 64 ? -1L << c.maxPhysAddr() : 0);
        for (int i = 0; i < 4; i++) {
            long e = c.memory().applyAsLong(base + 8L * i, 8);
            if ((e & 1) != 0 && (e & rsvd) != 0) {
                return true;
            }
        }
        return false;
    }
}
