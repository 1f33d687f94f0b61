package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive nested-paging permission grid (AMD APM Vol. 2 15.25.5 "Nested Table Walk", 15.25.6 "Nested
 * versus Guest Page Faults"): every P/RW/US/NX value in the nested entry at each level, with host EFER.NXE
 * off and on, for reads, writes and fetches, on guest page-table accesses and on final accesses, for
 * 4 KiB, 2 MiB and 1 GiB nested pages. Each case asserts #VMEXIT(NPF) or translation, the exact EXITINFO1
 * (#PF-style code, US always set since nested walks are user accesses, bit 32 final / bit 33 guest page
 * table) and EXITINFO2, and the nested A/D flags.
 */
class NptPermissionGridTest {
    static final int MAXPHYS = 46;
    static final long GPA = 0x12_3456_7000L | 0x9ab, TARGET = 0x40_0000_0000L;
    static final long P = 1, RW = 2, US = 4, NX = 1L << 63;

    record Case(Access access, boolean pagingStructure) {}

    static final Case[] CASES = {
        new Case(Access.READ, true), new Case(Access.WRITE, true),
        new Case(Access.READ, false), new Case(Access.WRITE, false), new Case(Access.EXECUTE, false),
    };

    @Test
    void everyCombination() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (boolean nxe : new boolean[] {false, true}) {
            for (int leafLevel = 1; leafLevel <= 3; leafLevel++) {
                for (int level = 4; level >= leafLevel; level--) {
                    for (int bits = 0; bits < 16; bits++) {
                        for (Case c : CASES) {
                            cases++;
                            String f = check(nxe, leafLevel, level, bits, c);
                            if (f != null) {
                                failures.add(f);
                            }
                        }
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(2 * 9 * 16 * 5);
        assertThat(failures).as("first failures: %s", failures.subList(0, Math.min(10, failures.size()))).isEmpty();
    }

    private static String check(boolean nxe, int leafLevel, int level, int bits, Case c) {
        Tables t = new Tables(0x1000_0000L);
        long root = t.table();
        X86PagingFormat host = new X86PagingFormat(X86PagingFormat.Mode.LONG4, nxe, true, true, MAXPHYS);
        NptFormat fmt = new NptFormat(root, host, NptFormat.DEFAULT_PAT, NptFormat.DEFAULT_PAT);
        long[] flags = Tables.flags(P | RW | US, leafLevel, leafLevel > 1 ? X86PagingFormat.PS : 0);
        long e = ((bits & 1) != 0 ? P : 0) | ((bits & 2) != 0 ? RW : 0) | ((bits & 4) != 0 ? US : 0) | ((bits & 8) != 0 ? NX : 0);
        flags[level] = (flags[level] & X86PagingFormat.PS) | e;
        t.map(host, root, GPA, leafLevel, TARGET, flags);
        AccessContext ctx = new AccessContext(c.pagingStructure(), 0, true, 0x7000_1234L, false, false, true, false,
                MemoryType.WB, false);
        WalkResult r = new TwoStageWalker(t.bus).translateGuestPhysical(fmt, GPA, c.access(), ctx, true);
        String what = "nxe=" + nxe + " leaf=" + leafLevel + " level=" + level + " P/RW/US/NX=" + Integer.toBinaryString(bits)
                + " " + c + " -> " + r;

        boolean present = (bits & 1) != 0;
        boolean reserved = present && (bits & 8) != 0 && !nxe;
        // guest page-table accesses are nested-checked as writes (Bochs BX_RW; kvm-unit-tests npt_rw_pfwalk)
        Access eff = c.pagingStructure() ? Access.WRITE : c.access();
        boolean allowed = present && !reserved && (bits & 4) != 0
                && (eff != Access.WRITE || (bits & 2) != 0)
                && (c.access() != Access.EXECUTE || (bits & 8) == 0);
        if (!allowed) {
            long info1 = (present ? 1 : 0) | (eff == Access.WRITE ? 2 : 0) | 4 | (reserved ? 8 : 0)
                    | (c.access() == Access.EXECUTE ? 16 : 0) | (c.pagingStructure() ? 1L << 33 : 1L << 32);
            int faultLevel = !present || reserved ? level : leafLevel;
            return r instanceof Fault f && f.detail() instanceof FaultDetail.NestedPageFault npf
                    && npf.exitInfo1().raw() == info1 && npf.exitInfo2() == GPA && f.level() == faultLevel
                    && f.onGuestPagingStructure() == c.pagingStructure()
                    ? null : what + " expected EXITINFO1 0x" + Long.toHexString(info1);
        }
        if (!(r instanceof Translated tr)) {
            return what;
        }
        long mask = (1L << (12 + 9 * (leafLevel - 1))) - 1;
        if (tr.hostPhys() != (TARGET | (GPA & mask))) {
            return what;
        }
        for (int l = 4; l >= leafLevel; l--) {
            long n = t.entry(host, root, GPA, l);
            if ((n & 0x20) == 0 || ((n & 0x40) != 0) != (l == leafLevel && eff == Access.WRITE)) {
                return what + " A/D at level " + l + ": " + Long.toHexString(n);
            }
        }
        return null;
    }
}
