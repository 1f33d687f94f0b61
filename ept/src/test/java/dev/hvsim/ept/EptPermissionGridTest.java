package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive EPT permission grid (SDM Vol. 3C 29.3.3.2 "EPT Violations", Table 28-7 exit qualification):
 * every R/W/X value of bits 2:0 (and bit 10, user-mode execute, under mode-based execute control) in the
 * entry at each level, for reads, writes, supervisor and user fetches, on guest paging-structure accesses
 * and on final accesses, for 4 KiB, 2 MiB and 1 GiB pages, with EPT A/D off and on. Each case asserts
 * misconfiguration / violation / translation and the exact exit qualification, computed here from the
 * SDM's rules independently of the walker.
 */
class EptPermissionGridTest {
    static final int MAXPHYS = 46;
    static final long GPA = 0x12_3456_7000L | 0x9ab, TARGET = 0x40_0000_0000L;

    /** One access of the grid. */
    record Case(Access access, boolean pagingStructure, boolean userPage) {}

    static final Case[] CASES = {
        new Case(Access.READ, true, false), new Case(Access.WRITE, true, false),
        new Case(Access.READ, false, false), new Case(Access.WRITE, false, false),
        new Case(Access.EXECUTE, false, false), new Case(Access.EXECUTE, false, true),
    };

    @Test
    void everyCombination() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (boolean mbec : new boolean[] {false, true}) {
            for (boolean ad : new boolean[] {false, true}) {
                for (int leafLevel = 1; leafLevel <= 3; leafLevel++) {
                    for (int level = 4; level >= leafLevel; level--) {
                        for (int rwx = 0; rwx < 8; rwx++) {
                            for (int xu = 0; xu <= (mbec ? 1 : 0); xu++) {
                                for (Case c : CASES) {
                                    cases++;
                                    String f = check(4, mbec, ad, leafLevel, level, rwx, xu == 1, c);
                                    if (f != null) {
                                        failures.add(f);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(2 * 2 * (4 + 3 + 2) * 8 * 6 + 2 * (4 + 3 + 2) * 8 * 6);
        assertThat(failures).as("first failures: %s", failures.subList(0, Math.min(10, failures.size()))).isEmpty();
    }

    private static String check(int levels, boolean mbec, boolean ad, int leafLevel, int level, int rwx, boolean xu, Case c) {
        Tables t = new Tables(0x1000_0000L);
        long root = t.table();
        EptFormat fmt = new EptFormat(Eptp.of(root, levels, ad), EptCapabilities.ALL, mbec, MAXPHYS);
        long full = 7 | (mbec ? EptFormat.XU : 0);
        long[] flags = Tables.flags(full, leafLevel, (6 << 3) | (leafLevel > 1 ? EptFormat.PS : 0));
        flags[level] = (flags[level] & ~(7L | EptFormat.XU)) | rwx | (xu ? EptFormat.XU : 0);
        t.map(fmt, root, GPA, leafLevel, TARGET, flags);
        AccessContext ctx = new AccessContext(c.pagingStructure(), c.pagingStructure() ? 2 : 0, true, 0x7000_1234L, false,
                c.userPage(), true, false, MemoryType.WB, false);
        WalkResult r = new TwoStageWalker(t.bus).translateGuestPhysical(fmt, GPA, c.access(), ctx, true);

        // expected, from the SDM
        boolean present = rwx != 0 || mbec && xu;
        boolean misconfig = present && ((rwx & 3) == 2); // write-only / write-execute (execute-only is supported here)
        Access eff = c.pagingStructure() && ad ? Access.WRITE : c.access();
        boolean rd = present && (rwx & 1) != 0, wr = present && (rwx & 2) != 0, xs = present && (rwx & 4) != 0;
        boolean xuEff = present && (mbec ? xu : (rwx & 4) != 0);
        boolean allowed = switch0(eff, rd, wr, mbec && c.userPage() ? xuEff : xs);
        String what = "levels=" + levels + " mbec=" + mbec + " ad=" + ad + " leaf=" + leafLevel + " level=" + level + " rwx=" + rwx + " xu=" + xu
                + " " + c + " -> " + r;
        if (misconfig) {
            return r instanceof Fault f && f.detail() instanceof FaultDetail.EptMisconfiguration m
                    && m.reason() == EntryStatus.BAD_PERMISSIONS && f.level() == level ? null : what;
        }
        if (!allowed) {
            long q = (c.access() == Access.READ || c.pagingStructure() && ad ? 1 : 0) | (eff == Access.WRITE ? 2 : 0)
                    | (c.access() == Access.EXECUTE ? 4 : 0) | (rd ? 8 : 0) | (wr ? 16 : 0) | (xs ? 32 : 0)
                    | (mbec && xuEff ? 64 : 0) | 128 | (c.pagingStructure() ? 0 : 256)
                    | (!c.pagingStructure() && c.userPage() ? 512 : 0) | (!c.pagingStructure() ? 1024 : 0);
            int faultLevel = present ? leafLevel : level;
            return r instanceof Fault f && f.detail() instanceof FaultDetail.EptViolation v
                    && v.qualification().raw() == q && f.stage() == Stage.NESTED && f.level() == faultLevel
                    && f.onGuestPagingStructure() == c.pagingStructure() && f.guestPhys() == GPA
                    ? null : what + " expected qualification 0x" + Long.toHexString(q);
        }
        if (!(r instanceof Translated tr)) {
            return what;
        }
        long mask = (1L << (12 + 9 * (leafLevel - 1))) - 1;
        if (tr.hostPhys() != (TARGET | (GPA & mask)) || tr.pageSize().shift() != 12 + 9 * (leafLevel - 1)) {
            return what;
        }
        // A/D: with A/D on every entry gets A, the leaf gets D exactly when the access counts as a write
        for (int l = levels; l >= leafLevel; l--) {
            long e = t.entry(fmt, root, GPA, l);
            boolean a = (e & EptFormat.A) != 0, d = (e & EptFormat.D) != 0;
            if (a != ad || d != (ad && l == leafLevel && eff == Access.WRITE)) {
                return what + " A/D at level " + l + ": " + Long.toHexString(e);
            }
        }
        return null;
    }

    /**
     * The fifth level's slice of the grid (5-level EPT, EPTP bits 5:3 = 4, IA32_VMX_EPT_VPID_CAP bit 7; SDM Vol. 3C
     * 29.3.2): every R/W/X (and XU) value in the PML5E, the other levels full, with the same accesses, leaf sizes, A/D
     * settings and exact qualifications as the 4-level grid. The PML4E-to-PTE rows are the 4-level grid's own code.
     */
    @Test
    void fifthLevelSlice() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (boolean mbec : new boolean[] {false, true}) {
            for (boolean ad : new boolean[] {false, true}) {
                for (int leafLevel = 1; leafLevel <= 3; leafLevel++) {
                    for (int rwx = 0; rwx < 8; rwx++) {
                        for (int xu = 0; xu <= (mbec ? 1 : 0); xu++) {
                            for (Case c : CASES) {
                                cases++;
                                String f = check(5, mbec, ad, leafLevel, 5, rwx, xu == 1, c);
                                if (f != null) {
                                    failures.add(f);
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(2 * 3 * 8 * 6 + 2 * 3 * 8 * 2 * 6);
        assertThat(failures).as("first failures: %s", failures.subList(0, Math.min(10, failures.size()))).isEmpty();
    }

    private static boolean switch0(Access a, boolean r, boolean w, boolean x) {
        return a == Access.READ ? r : a == Access.WRITE ? w : x;
    }

    @Test
    void executeOnlyWithoutTheCapabilityIsAMisconfiguration() {
        for (int level = 4; level >= 1; level--) {
            Tables t = new Tables(0x1000_0000L);
            long root = t.table();
            EptFormat fmt = new EptFormat(Eptp.of(root, 4, false), EptCapabilities.ALL.with(0, false), false, MAXPHYS);
            long[] flags = Tables.flags(7, 1, 6 << 3);
            flags[level] = (flags[level] & ~7L) | 4;
            t.map(fmt, root, GPA, 1, TARGET, flags);
            WalkResult r = new TwoStageWalker(t.bus).translateGuestPhysical(fmt, GPA, Access.EXECUTE,
                    AccessContext.finalAccess(0), true);
            assertThat(r).isInstanceOfSatisfying(Fault.class, f -> {
                assertThat(f.detail()).isEqualTo(new FaultDetail.EptMisconfiguration(EntryStatus.BAD_PERMISSIONS,
                        t.entry(fmt, root, GPA, f.level())));
            });
            assertThat(((Fault) r).level()).isEqualTo(level);
        }
    }

    @Test
    void advancedInformationOnlyWhereAdvertised() {
        Tables t = new Tables(0x1000_0000L);
        long root = t.table();
        EptFormat fmt = new EptFormat(Eptp.of(root, 4, false), EptCapabilities.ALL.with(22, false), false, MAXPHYS);
        t.map(fmt, root, GPA, 1, TARGET, Tables.flags(7, 1, 1 | 6 << 3 & ~7L));
        t.map(fmt, root, GPA, 1, TARGET, flagsReadOnlyLeaf());
        AccessContext c = new AccessContext(false, 0, true, 0x1000, true, true, true, true, MemoryType.WB, false);
        Fault f = (Fault) new TwoStageWalker(t.bus).translateGuestPhysical(fmt, GPA, Access.WRITE, c, true);
        EptViolationQualification q = ((FaultDetail.EptViolation) f.detail()).qualification();
        assertThat(q.raw()).isEqualTo(2 | 8 | 32 | 128 | 256); // W access; R and X allowed; gla valid, final
        assertThat(q.userLinear() || q.writableLinear() || q.nxLinear()).isFalse();
    }

    private static long[] flagsReadOnlyLeaf() {
        long[] f = Tables.flags(7, 1, 6 << 3);
        f[1] = 5 | 6 << 3; // R-X
        return f;
    }
}
