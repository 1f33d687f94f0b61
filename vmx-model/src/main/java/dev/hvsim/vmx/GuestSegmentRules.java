package dev.hvsim.vmx;

import static dev.hvsim.vmx.EntryRule.guest;

import dev.hvsim.vmcs.VmcsField;
import java.util.List;

/**
 * Checks on the guest segment registers (SDM Vol. 3C 28.3.1.2): selectors, bases, limits and access rights of
 * CS, SS, DS, ES, FS, GS, TR and LDTR. The access-rights format is 25.4.1 (Table 25-2): type 3:0, S 4, DPL 6:5,
 * P 7, AVL 12, L 13, D/B 14, G 15, unusable 16. A violation is a VM-entry failure with exit reason 33.
 */
final class GuestSegmentRules {
    private GuestSegmentRules() {}

    static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    private static final int[] DATA = {DS, ES, FS, GS};
    private static final String SEG_AR = "GUEST_ES_AR_BYTES GUEST_CS_AR_BYTES GUEST_SS_AR_BYTES GUEST_DS_AR_BYTES "
            + "GUEST_FS_AR_BYTES GUEST_GS_AR_BYTES";

    static long ar(EntryState s, int seg) { return s.get(F.GUEST_AR[seg]); }
    static long sel(EntryState s, int seg) { return s.get(F.GUEST_SEL[seg]); }
    static boolean usable(long ar) { return (ar >>> 16 & 1) == 0; }
    static int type(long ar) { return (int) ar & 0xf; }
    static int dpl(long ar) { return (int) (ar >>> 5) & 3; }

    /** The segments the usable-only checks apply to: CS always, the others when usable. */
    private static boolean checked(EntryState s, int seg) {
        return seg == CS || usable(ar(s, seg));
    }

    /** Any of CS..GS (outside virtual-8086 mode) that is checked and for which {@code bad} holds. */
    private static boolean anySeg(EntryState s, java.util.function.LongPredicate bad) {
        if (s.v86()) {
            return false;
        }
        for (int seg = ES; seg <= GS; seg++) {
            if (checked(s, seg) && bad.test(ar(s, seg))) {
                return true;
            }
        }
        return false;
    }

    /** Limit/granularity consistency (28.3.1.2): limit[11:0] not all 1 needs G = 0; limit[31:20] not 0 needs G = 1. */
    static boolean granularityBad(long limit, long ar) {
        boolean g = (ar >>> 15 & 1) != 0;
        return (limit & 0xfff) != 0xfff && g || (limit >>> 20) != 0 && !g;
    }

    private static boolean systemSegmentBad(long ar, long limit, boolean typeOk) {
        return !typeOk || (ar & 0x10) != 0 || (ar & 0x80) == 0 || (ar & 0xfffe0f00L) != 0 || granularityBad(limit, ar);
    }

    static final List<EntryRule> SEGMENTS = List.of(
        guest("GUEST-TR-TI", "28.3.1.2", "GUEST_TR_SELECTOR",
            "Clear the TI flag (bit 2) of the guest TR selector.",
            s -> (s.get(F.GUEST_TR_SELECTOR) & 4) != 0),
        guest("GUEST-LDTR-TI", "28.3.1.2", "GUEST_LDTR_SELECTOR GUEST_LDTR_AR_BYTES",
            "Clear the TI flag (bit 2) of the guest LDTR selector, or mark LDTR unusable.",
            s -> usable(s.get(F.GUEST_LDTR_AR_BYTES)) && (s.get(F.GUEST_LDTR_SELECTOR) & 4) != 0),
        guest("GUEST-SS-RPL", "28.3.1.2", "GUEST_SS_SELECTOR GUEST_CS_SELECTOR",
            "Give the guest SS selector the same RPL as the CS selector.",
            s -> !s.v86() && !s.unrestricted() && (sel(s, SS) & 3) != (sel(s, CS) & 3)),
        guest("GUEST-V86-SEGS", "28.3.1.2", "GUEST_CS_BASE GUEST_CS_LIMIT " + SEG_AR,
            "In virtual-8086 mode give CS, SS, DS, ES, FS and GS base = selector << 4, limit FFFFH and access rights F3H.",
            s -> {
                if (!s.v86()) {
                    return false;
                }
                for (int seg = ES; seg <= GS; seg++) {
                    if (s.get(F.GUEST_BASE[seg]) != sel(s, seg) << 4 || s.get(F.GUEST_LIMIT[seg]) != 0xffff
                            || ar(s, seg) != 0xf3) {
                        return true;
                    }
                }
                return false;
            }),
        guest("GUEST-BASES-CANON", "28.3.1.2", "GUEST_TR_BASE GUEST_FS_BASE GUEST_GS_BASE GUEST_LDTR_BASE "
                + "GUEST_CS_BASE GUEST_SS_BASE GUEST_DS_BASE GUEST_ES_BASE",
            "Make the guest TR, FS, GS (and usable LDTR) bases canonical, and clear bits 63:32 of the CS base and "
                + "of usable SS, DS and ES bases.",
            s -> !s.canonical(s.get(F.GUEST_TR_BASE)) || !s.canonical(s.get(F.GUEST_FS_BASE))
                    || !s.canonical(s.get(F.GUEST_GS_BASE))
                    || usable(s.get(F.GUEST_LDTR_AR_BYTES)) && !s.canonical(s.get(F.GUEST_LDTR_BASE))
                    || (s.get(F.GUEST_CS_BASE) >>> 32) != 0
                    || usable(ar(s, SS)) && (s.get(F.GUEST_SS_BASE) >>> 32) != 0
                    || usable(ar(s, DS)) && (s.get(F.GUEST_DS_BASE) >>> 32) != 0
                    || usable(ar(s, ES)) && (s.get(F.GUEST_ES_BASE) >>> 32) != 0),
        guest("GUEST-CS-TYPE", "28.3.1.2", "GUEST_CS_AR_BYTES",
            "Give guest CS an accessed code type (9, 11, 13 or 15; 3 only with unrestricted guest).",
            s -> !s.v86() && !(type(ar(s, CS)) == 9 || type(ar(s, CS)) == 11 || type(ar(s, CS)) == 13
                    || type(ar(s, CS)) == 15 || s.unrestricted() && type(ar(s, CS)) == 3)),
        guest("GUEST-SS-TYPE", "28.3.1.2", "GUEST_SS_AR_BYTES",
            "Give a usable guest SS type 3 or 7 (read/write, accessed data).",
            s -> !s.v86() && usable(ar(s, SS)) && type(ar(s, SS)) != 3 && type(ar(s, SS)) != 7),
        guest("GUEST-DATA-TYPE", "28.3.1.2", "GUEST_DS_AR_BYTES GUEST_ES_AR_BYTES GUEST_FS_AR_BYTES GUEST_GS_AR_BYTES",
            "Give usable guest DS, ES, FS and GS the accessed bit, and a readable type if they are code segments.",
            s -> {
                for (int seg : DATA) {
                    long a = ar(s, seg);
                    if (!s.v86() && usable(a) && ((a & 1) == 0 || (a & 8) != 0 && (a & 2) == 0)) {
                        return true;
                    }
                }
                return false;
            }),
        guest("GUEST-S-BIT", "28.3.1.2", SEG_AR,
            "Set S (bit 4, code/data descriptor) in the access rights of guest CS and of usable SS, DS, ES, FS, GS.",
            s -> anySeg(s, a -> (a & 0x10) == 0)),
        guest("GUEST-CS-DPL", "28.3.1.2", "GUEST_CS_AR_BYTES GUEST_SS_AR_BYTES",
            "Make guest CS.DPL equal SS.DPL for non-conforming code (type 9/11), at most SS.DPL for conforming code "
                + "(13/15), 0 for type 3.",
            s -> {
                if (s.v86()) {
                    return false;
                }
                int t = type(ar(s, CS)), cs = dpl(ar(s, CS)), ss = dpl(ar(s, SS));
                return t == 3 ? cs != 0 : t == 9 || t == 11 ? cs != ss : (t == 13 || t == 15) && cs > ss;
            }),
        guest("GUEST-SS-DPL", "28.3.1.2", "GUEST_SS_AR_BYTES GUEST_SS_SELECTOR GUEST_CR0",
            "Make guest SS.DPL equal the SS selector's RPL, and 0 when CS type is 3 or CR0.PE is 0.",
            s -> !s.v86() && (!s.unrestricted() && dpl(ar(s, SS)) != (sel(s, SS) & 3)
                    || (type(ar(s, CS)) == 3 || (s.guestCr0() & 1) == 0) && dpl(ar(s, SS)) != 0)),
        guest("GUEST-DATA-DPL", "28.3.1.2", "GUEST_DS_AR_BYTES GUEST_ES_AR_BYTES GUEST_FS_AR_BYTES GUEST_GS_AR_BYTES",
            "Give usable guest DS, ES, FS, GS (data or non-conforming code) a DPL not below their selector's RPL.",
            s -> {
                if (s.v86() || s.unrestricted()) {
                    return false;
                }
                for (int seg : DATA) {
                    long a = ar(s, seg);
                    if (usable(a) && type(a) <= 11 && dpl(a) < (sel(s, seg) & 3)) {
                        return true;
                    }
                }
                return false;
            }),
        guest("GUEST-PRESENT", "28.3.1.2", SEG_AR,
            "Set P (bit 7) in the access rights of guest CS and of usable SS, DS, ES, FS, GS.",
            s -> anySeg(s, a -> (a & 0x80) == 0)),
        guest("GUEST-AR-RSVD", "28.3.1.2", SEG_AR,
            "Clear access-rights bits 11:8 and 31:17 of guest CS and of usable SS, DS, ES, FS, GS.",
            s -> anySeg(s, a -> (a & 0xfffe0f00L) != 0)),
        guest("GUEST-AR-GRAN", "28.3.1.2", SEG_AR + " GUEST_ES_LIMIT GUEST_CS_LIMIT GUEST_SS_LIMIT GUEST_DS_LIMIT "
                + "GUEST_FS_LIMIT GUEST_GS_LIMIT",
            "Make G consistent with the limit: G = 0 unless limit[11:0] = FFFH, G = 1 if limit[31:20] is not 0.",
            s -> {
                if (s.v86()) {
                    return false;
                }
                for (int seg = ES; seg <= GS; seg++) {
                    if (checked(s, seg) && granularityBad(s.get(F.GUEST_LIMIT[seg]), ar(s, seg))) {
                        return true;
                    }
                }
                return false;
            }),
        guest("GUEST-CS-LD", "28.3.1.2", "GUEST_CS_AR_BYTES VM_ENTRY_CONTROLS",
            "For an IA-32e mode guest with CS.L = 1, clear CS.D/B.",
            s -> !s.v86() && s.ia32eGuest() && (ar(s, CS) & (1 << 13)) != 0 && (ar(s, CS) & (1 << 14)) != 0),
        guest("GUEST-TR-TYPE", "28.3.1.2", "GUEST_TR_AR_BYTES GUEST_TR_LIMIT",
            "Give guest TR a busy TSS type (11; 3 outside IA-32e mode), S = 0, P = 1, usable, reserved bits clear, "
                + "G consistent with the limit.",
            s -> {
                long a = s.get(F.GUEST_TR_AR_BYTES);
                boolean typeOk = type(a) == 11 || !s.ia32eGuest() && type(a) == 3;
                return !usable(a) || systemSegmentBad(a, s.get(F.GUEST_TR_LIMIT), typeOk);
            }),
        guest("GUEST-LDTR-TYPE", "28.3.1.2", "GUEST_LDTR_AR_BYTES GUEST_LDTR_LIMIT",
            "Give a usable guest LDTR type 2, S = 0, P = 1, reserved bits clear, G consistent with the limit.",
            s -> {
                long a = s.get(F.GUEST_LDTR_AR_BYTES);
                return usable(a) && systemSegmentBad(a, s.get(F.GUEST_LDTR_LIMIT), type(a) == 2);
            }));

    /** The segment fields by x86-core segment number, for the loaders. */
    static VmcsField[] arFields() {
        return F.GUEST_AR.clone();
    }
}
