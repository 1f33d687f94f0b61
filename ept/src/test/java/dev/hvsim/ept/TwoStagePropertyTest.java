package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hvsim.x86core.testing.TestBus;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties over random pairs of page tables (a 4-level guest, a 4-level EPT with random permissions,
 * 4 KiB and 2 MiB pages at both stages, holes, write-only misconfigurations, A/D on or off):
 * <ol>
 * <li>the two-stage walker's outcome equals composing two straightforward reference walks written here
 * (guest walk whose every entry address and final address go through a reference EPT walk);</li>
 * <li>a guest never reaches a host-physical page that no EPT leaf maps.</li>
 * </ol>
 * QuickTheories draws one seed per scenario; the run's seed is fixed ({@code -Dhvsim.ept.seed}, default
 * below) so CI is reproducible, and every failure message names the scenario seed.
 */
class TwoStagePropertyTest {
    static final long SEED = Long.getLong("hvsim.ept.seed", 0x6876_7369_6d45_5054L);
    static final int CASES = Integer.getInteger("hvsim.ept.cases", 300);
    static final int MAXPHYS = 46;
    static final long GPA_SPACE = 0x40_0000L, HOST_4K = 0x2_0000_0000L, HOST_2M = 0x1_0000_0000L;

    @Test
    void twoStageWalkEqualsComposedReferenceWalksAndStaysInMappedHostPages() {
        qt().withFixedSeed(SEED).withExamples(CASES).forAll(longs().all()).checkAssert(TwoStagePropertyTest::check);
    }

    /** One random scenario. */
    static final class Scenario {
        final TestBus host = new TestBus();
        final Set<Long> mappedHostPages = new HashSet<>();
        long eptRoot;
        EptFormat ept;
        GuestPaging guest;
        long[] linears;
    }

    static Scenario build(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Scenario s = new Scenario();
        // guest tables in a scratch guest-physical memory, copied to the host where EPT maps them
        Tables g = new Tables(0x10000);
        long cr3 = g.table();
        X86PagingFormat gf = X86PagingFormat.long4(MAXPHYS);
        int n = 1 + r.nextInt(12);
        s.linears = new long[n + 4];
        for (int i = 0; i < n; i++) {
            boolean large = r.nextInt(4) == 0;
            long lin = (long) r.nextInt(3) << 39 | (long) r.nextInt(3) << 30 | (long) r.nextInt(4) << 21
                    | (large ? 0 : (long) r.nextInt(8) << 12);
            long target = large ? (long) (2 + r.nextInt(2)) << 21 : 0x20_0000L + ((long) r.nextInt(512) << 12);
            long[] flags = new long[6];
            for (int l = 1; l <= 4; l++) {
                flags[l] = (r.nextInt(10) != 0 ? 1 : 0) | (r.nextInt(10) < 7 ? 2 : 0) | (r.nextInt(10) < 7 ? 4 : 0)
                        | (r.nextInt(5) == 0 ? 1L << 63 : 0);
            }
            if (large) {
                flags[2] |= X86PagingFormat.PS;
            }
            g.map(gf, cr3, lin, large ? 2 : 1, target, flags);
            s.linears[i] = lin | r.nextInt(large ? 0x200000 : 0x1000);
        }
        for (int i = n; i < s.linears.length; i++) {
            s.linears[i] = (long) r.nextInt(3) << 39 | (long) r.nextInt(3) << 30 | (long) r.nextInt(4) << 21 | r.nextInt(0x8000);
        }
        s.guest = new GuestPaging(gf, cr3, true, false, NptFormat.DEFAULT_PAT, false);
        // EPT: each 2 MiB region either one large page or 4 KiB pages to a permutation of host pages, some holes
        Tables e = new Tables(s.host, 0x3_0000_0000L);
        s.eptRoot = e.table();
        s.ept = new EptFormat(Eptp.of(s.eptRoot, 4, r.nextBoolean()), EptCapabilities.ALL, false, MAXPHYS);
        int pages = (int) (GPA_SPACE >>> 12);
        int[] perm = new int[pages];
        for (int i = 0; i < pages; i++) {
            perm[i] = i;
        }
        for (int i = pages - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (long region = 0; region < GPA_SPACE; region += 0x200000) {
            boolean large = r.nextInt(4) == 0;
            for (long gpa = region; gpa < region + 0x200000; gpa += large ? 0x200000 : 0x1000) {
                if (!large && r.nextInt(8) == 0) {
                    continue; // hole
                }
                long hpa = large ? HOST_2M + region : HOST_4K + ((long) perm[(int) (gpa >>> 12)] << 12);
                long[] flags = new long[6];
                for (int l = 1; l <= 4; l++) {
                    flags[l] = r.nextInt(8) < 6 ? 7 : r.nextInt(8);
                }
                int leaf = large ? 2 : 1;
                flags[leaf] |= 6 << 3 | (large ? EptFormat.PS : 0);
                e.map(s.ept, s.eptRoot, gpa, leaf, hpa, flags);
                for (long off = 0; off < (large ? 0x200000 : 0x1000); off += 0x1000) {
                    s.mappedHostPages.add((hpa + off) >>> 12);
                    for (long q = 0; q < 0x1000; q += 8) {
                        long v = g.bus.read(gpa + off + q, 8);
                        if (v != 0) {
                            s.host.write(hpa + off + q, 8, v);
                        }
                    }
                }
            }
        }
        return s;
    }

    static void check(long seed) {
        Scenario s = build(seed);
        SplittableRandom r = new SplittableRandom(~seed);
        TwoStageWalker w = new TwoStageWalker(s.host);
        for (long lin : s.linears) {
            Access a = Access.values()[r.nextInt(3)];
            boolean user = r.nextBoolean();
            WalkResult got = w.translateLinear(s.guest, s.ept, lin, a, user, false);
            String expected = reference(s, lin, a, user);
            String what = "scenario seed " + seed + " (run seed " + SEED + "), lin 0x" + Long.toHexString(lin) + " " + a
                    + (user ? " user" : " supervisor") + ": walker " + got + ", reference " + expected;
            assertThat(describe(got)).as(what).isEqualTo(expected);
            if (got instanceof Translated t) {
                assertThat(s.mappedHostPages).as(what).contains(t.hostPhys() >>> 12);
            }
        }
    }

    static String describe(WalkResult r) {
        if (r instanceof Translated t) {
            return "hpa " + Long.toHexString(t.hostPhys());
        }
        Fault f = (Fault) r;
        if (f.stage() == Stage.GUEST) {
            return "guest #PF";
        }
        String kind = f.detail() instanceof FaultDetail.EptViolation ? "violation" : "misconfiguration";
        return (f.onGuestPagingStructure() ? "paging-structure " : "final ") + kind + " at gpa " + Long.toHexString(f.guestPhys());
    }

    // ------------------------------------------------------------------ the reference walks

    /** Reference guest walk (SDM Vol. 3A 4.5) composed with the reference EPT walk at every guest-physical address. */
    static String reference(Scenario s, long lin, Access a, boolean user) {
        long table = s.guest.cr3();
        boolean rw = true, us = true, nx = false;
        long gpa = 0;
        Access walkAccess = s.ept.eptp().accessedDirty() ? Access.WRITE : Access.READ;
        for (int level = 4; level >= 1; level--) {
            long ga = table + (((lin >>> (12 + 9 * (level - 1))) & 511) << 3);
            Object h = referenceEpt(s, ga, walkAccess);
            if (h instanceof String) {
                return "paging-structure " + h + " at gpa " + Long.toHexString(ga);
            }
            long e = s.host.read((Long) h, 8);
            if ((e & 1) == 0) {
                return "guest #PF";
            }
            rw &= (e & 2) != 0;
            us &= (e & 4) != 0;
            nx |= e < 0;
            long pageMask = (1L << (12 + 9 * (level - 1))) - 1;
            if (level == 1 || (e & 0x80) != 0) {
                gpa = (e & 0x000f_ffff_ffff_f000L & ~pageMask) | (lin & pageMask);
                break;
            }
            table = e & 0x000f_ffff_ffff_f000L;
        }
        boolean ok = user ? us && (a != Access.WRITE || rw) && (a != Access.EXECUTE || !nx)
                : (a != Access.WRITE || rw) && (a != Access.EXECUTE || !nx);
        if (!ok) {
            return "guest #PF";
        }
        Object h = referenceEpt(s, gpa, a);
        return h instanceof String ? "final " + h + " at gpa " + Long.toHexString(gpa) : "hpa " + Long.toHexString((Long) h);
    }

    /** Reference EPT walk (SDM Vol. 3C 29.3.2-29.3.3): a host-physical address, or "violation"/"misconfiguration". */
    static Object referenceEpt(Scenario s, long gpa, Access a) {
        long table = s.eptRoot;
        int and = 7;
        for (int level = 4; level >= 1; level--) {
            long e = s.host.read(table + (((gpa >>> (12 + 9 * (level - 1))) & 511) << 3), 8);
            int rwx = (int) (e & 7);
            if (rwx == 0) {
                return "violation";
            }
            if ((rwx & 3) == 2) {
                return "misconfiguration";
            }
            and &= rwx;
            long pageMask = (1L << (12 + 9 * (level - 1))) - 1;
            if (level == 1 || (e & 0x80) != 0) {
                int need = a == Access.READ ? 1 : a == Access.WRITE ? 2 : 4;
                return (and & need) == 0 ? "violation" : (Object) ((e & 0x000f_ffff_ffff_f000L & ~pageMask) | (gpa & pageMask));
            }
            table = e & 0x000f_ffff_ffff_f000L;
        }
        throw new AssertionError("unreachable");
    }
}
