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
 * Properties over random pairs of page tables: a 4-level guest over a second stage drawn from four formats, EPT
 * 4-level and 5-level (SDM Vol. 3C 29.3.2; 5-level per IA32_VMX_EPT_VPID_CAP bit 7, which {@link EptCapabilities#ALL}
 * and the intel-core profile advertise) and AMD nested tables in the host's long-mode format, 4-level and 5-level
 * (a host with CR4.LA57; AMD APM Vol. 2 15.25.5). Random permissions, 4 KiB and 2 MiB pages at both stages, holes;
 * EPT write-only misconfigurations and A/D on or off; nested entries with random P/RW/US/XD and in one scenario of
 * six a reserved PS bit in a PML4E/PML5E. With a 5-level second stage some guest-physical addresses have bit 48 set, so
 * they go through a second PML5 entry that aliases the first one's PML4 table with its own random permissions.
 * <ol>
 * <li>the two-stage walker's outcome equals composing two straightforward reference walks written here
 * (guest walk whose every entry address and final address go through a reference second-stage walk);</li>
 * <li>a guest never reaches a host-physical page that no second-stage leaf maps.</li>
 * </ol>
 * QuickTheories draws one seed per scenario; the run's seed is fixed ({@code -Dhvsim.ept.seed}, default
 * below) so CI is reproducible, and every failure message names the scenario seed.
 */
class TwoStagePropertyTest {
    static final long SEED = Long.getLong("hvsim.ept.seed", 0x6876_7369_6d45_5054L);
    static final int CASES = Integer.getInteger("hvsim.ept.cases", 400);
    static final int MAXPHYS = 52;
    static final long GPA_SPACE = 0x40_0000L, HOST_4K = 0x2_0000_0000L, HOST_2M = 0x1_0000_0000L, HIGH = 1L << 48;

    /** The second stage's format. */
    enum Kind {
        EPT4(false, 4), EPT5(false, 5), NPT4(true, 4), NPT5(true, 5);

        final boolean npt;
        final int levels;

        Kind(boolean npt, int levels) {
            this.npt = npt;
            this.levels = levels;
        }
    }

    @Test
    void twoStageWalkEqualsComposedReferenceWalksAndStaysInMappedHostPages() {
        qt().withFixedSeed(SEED).withExamples(CASES).forAll(longs().all()).checkAssert(TwoStagePropertyTest::check);
    }

    /** Every format is drawn, and each one's walks end in each outcome, so the property is not vacuous for any. */
    @Test
    void everySecondStageFormatMeetsEveryOutcome() {
        Set<String> seen = new HashSet<>();
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 200; i++) {
            long seed = r.nextLong();
            Scenario s = build(seed);
            TwoStageWalker w = new TwoStageWalker(s.host);
            for (long lin : s.linears) {
                String d = describe(w.translateLinear(s.guest, s.second, lin, Access.READ, false, false));
                String outcome = d.replaceAll(" at gpa.*| [0-9a-f]+$", "");
                seen.add(s.kind + " " + outcome);
                seen.add(s.kind + " any " + outcome.replaceFirst("^(final|paging-structure) ", ""));
            }
        }
        for (Kind k : Kind.values()) {
            assertThat(seen).as(k + " outcomes").contains(k + " hpa", k + " guest #PF",
                    k + (k.npt ? " final npf P=0" : " final violation"),
                    k + (k.npt ? " paging-structure npf P=0" : " paging-structure violation"),
                    k + (k.npt ? " any npf P=1 reserved" : " any misconfiguration"), k + (k.npt ? " any npf P=1" : " any violation"));
        }
    }

    /** One random scenario. */
    static final class Scenario {
        final TestBus host = new TestBus();
        final Set<Long> mappedHostPages = new HashSet<>();
        Kind kind;
        long root;
        SecondStageFormat second;
        PagingFormat secondPaging;
        boolean pagingStructureWrites;
        GuestPaging guest;
        long[] linears;
    }

    static Scenario build(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Scenario s = new Scenario();
        s.kind = Kind.values()[r.nextInt(4)];
        boolean five = s.kind.levels == 5;
        // guest tables in a scratch guest-physical memory, copied to the host where the second stage maps them
        Tables g = new Tables(0x10000);
        long cr3 = g.table();
        X86PagingFormat gf = X86PagingFormat.long4(MAXPHYS);
        int n = 1 + r.nextInt(12);
        s.linears = new long[n + 4];
        for (int i = 0; i < n; i++) {
            boolean large = r.nextInt(4) == 0;
            long lin = (long) r.nextInt(3) << 39 | (long) r.nextInt(3) << 30 | (long) r.nextInt(4) << 21
                    | (large ? 0 : (long) r.nextInt(8) << 12);
            long target = large ? (long) (1 + r.nextInt(3)) << 21 : 0x20_0000L + ((long) r.nextInt(512) << 12);
            if (five && r.nextInt(3) == 0) {
                target |= HIGH; // through PML5 entry 1
            }
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
        long guestTablesEnd = g.table();
        // second stage: each 2 MiB region either one large page or 4 KiB pages to a permutation of host pages, some holes
        Tables e = new Tables(s.host, 0x3_0000_0000L);
        s.root = e.table();
        if (s.kind.npt) {
            X86PagingFormat hf = new X86PagingFormat(five ? X86PagingFormat.Mode.LONG5 : X86PagingFormat.Mode.LONG4,
                    true, true, true, MAXPHYS);
            s.second = new NptFormat(s.root, hf, NptFormat.DEFAULT_PAT, NptFormat.DEFAULT_PAT);
            s.secondPaging = hf;
            s.pagingStructureWrites = true;
        } else {
            boolean ad = r.nextBoolean();
            EptFormat ef = new EptFormat(Eptp.of(s.root, s.kind.levels, ad), EptCapabilities.ALL, false, MAXPHYS);
            s.second = ef;
            s.secondPaging = ef;
            s.pagingStructureWrites = ad;
        }
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
                int leaf = large ? 2 : 1;
                long[] flags = secondStageFlags(s.kind, r);
                flags[leaf] |= s.kind.npt ? (large ? X86PagingFormat.PS : 0) : 6 << 3 | (large ? EptFormat.PS : 0);
                e.map(s.secondPaging, s.root, gpa, leaf, hpa, flags);
                for (long off = 0; off < (large ? 0x200000 : 0x1000); off += 0x1000) {
                    s.mappedHostPages.add((hpa + off) >>> 12);
                    if (gpa + off < cr3 || gpa + off >= guestTablesEnd) {
                        continue; // only the guest's tables have contents
                    }
                    for (long q = 0; q < 0x1000; q += 8) {
                        long v = g.bus.read(gpa + off + q, 8);
                        if (v != 0) {
                            s.host.write(hpa + off + q, 8, v);
                        }
                    }
                }
            }
        }
        if (five) {
            // PML5 entry 1 (guest-physical bit 48) aliases entry 0's PML4 table with its own permissions
            long pml5e = s.host.read(s.root, 8);
            s.host.write(s.root + 8, 8, pml5e & 0x000f_ffff_ffff_f000L | secondStageFlags(s.kind, r)[5]);
        }
        if (s.kind.npt && r.nextInt(6) == 0) {
            // PS is reserved in a PML5E and a PML4E (APM Vol. 2 5.3.1 and 5.3.3): the top entry 0 or, 5-level, the alias
            long at = s.root + (five && r.nextBoolean() ? 8 : 0);
            s.host.write(at, 8, s.host.read(at, 8) | X86PagingFormat.PS);
        }
        return s;
    }

    /** Random flags for a second-stage mapping, levels 1-5. */
    static long[] secondStageFlags(Kind kind, SplittableRandom r) {
        long[] flags = new long[6];
        for (int l = 1; l <= 5; l++) {
            if (!kind.npt) {
                flags[l] = r.nextInt(8) < 6 ? 7 : r.nextInt(8);
            } else {
                flags[l] = (r.nextInt(32) != 0 ? X86PagingFormat.P : 0) | (r.nextInt(10) != 0 ? X86PagingFormat.RW : 0)
                        | (r.nextInt(16) != 0 ? X86PagingFormat.US : 0) | (r.nextInt(5) == 0 ? X86PagingFormat.XD : 0);
            }
        }
        return flags;
    }

    static void check(long seed) {
        Scenario s = build(seed);
        SplittableRandom r = new SplittableRandom(~seed);
        TwoStageWalker w = new TwoStageWalker(s.host);
        for (long lin : s.linears) {
            Access a = Access.values()[r.nextInt(3)];
            boolean user = r.nextBoolean();
            WalkResult got = w.translateLinear(s.guest, s.second, lin, a, user, false);
            String expected = reference(s, lin, a, user);
            String what = "scenario seed " + seed + " (run seed " + SEED + ", " + s.kind + "), lin 0x" + Long.toHexString(lin)
                    + " " + a + (user ? " user" : " supervisor") + ": walker " + got + ", reference " + expected;
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
        String kind;
        if (f.detail() instanceof FaultDetail.NestedPageFault npf) {
            kind = "npf P=" + (npf.exitInfo1().present() ? 1 : 0) + (npf.exitInfo1().reservedBit() ? " reserved" : "");
        } else {
            kind = f.detail() instanceof FaultDetail.EptViolation ? "violation" : "misconfiguration";
        }
        return (f.onGuestPagingStructure() ? "paging-structure " : "final ") + kind + " at gpa " + Long.toHexString(f.guestPhys());
    }

    // ------------------------------------------------------------------ the reference walks

    /** Reference guest walk (SDM Vol. 3A 4.5) composed with the reference second-stage walk at every guest-physical address. */
    static String reference(Scenario s, long lin, Access a, boolean user) {
        long table = s.guest.cr3();
        boolean rw = true, us = true, nx = false;
        long gpa = 0;
        Access walkAccess = s.pagingStructureWrites ? Access.WRITE : Access.READ;
        for (int level = 4; level >= 1; level--) {
            long ga = table + (((lin >>> (12 + 9 * (level - 1))) & 511) << 3);
            Object h = referenceSecond(s, ga, walkAccess);
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
        Object h = referenceSecond(s, gpa, a);
        return h instanceof String ? "final " + h + " at gpa " + Long.toHexString(gpa) : "hpa " + Long.toHexString((Long) h);
    }

    static Object referenceSecond(Scenario s, long gpa, Access a) {
        return s.kind.npt ? referenceNpt(s, gpa, a) : referenceEpt(s, gpa, a);
    }

    /** Reference EPT walk (SDM Vol. 3C 29.3.2-29.3.3): a host-physical address, or "violation"/"misconfiguration". */
    static Object referenceEpt(Scenario s, long gpa, Access a) {
        long table = s.root;
        int and = 7;
        for (int level = s.kind.levels; level >= 1; level--) {
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

    /**
     * Reference nested walk in the host's long-mode format (AMD APM Vol. 2 15.25.5 with 5.3-5.6): every access is a
     * user access, so U/S = 1 at every level; writes need R/W = 1 at every level, fetches XD = 0 at every level. A
     * not-present entry is a nested page fault with P = 0; a PS bit in a PML5E/PML4E a fault with P = 1 and RSV = 1.
     */
    static Object referenceNpt(Scenario s, long gpa, Access a) {
        long table = s.root;
        boolean rw = true, us = true, nx = false;
        for (int level = s.kind.levels; level >= 1; level--) {
            long e = s.host.read(table + (((gpa >>> (12 + 9 * (level - 1))) & 511) << 3), 8);
            if ((e & 1) == 0) {
                return "npf P=0";
            }
            if (level >= 4 && (e & 0x80) != 0) {
                return "npf P=1 reserved";
            }
            rw &= (e & 2) != 0;
            us &= (e & 4) != 0;
            nx |= e < 0;
            long pageMask = (1L << (12 + 9 * (level - 1))) - 1;
            if (level == 1 || (e & 0x80) != 0) {
                boolean ok = us && (a != Access.WRITE || rw) && (a != Access.EXECUTE || !nx);
                return ok ? (Object) ((e & 0x000f_ffff_ffff_f000L & ~pageMask) | (gpa & pageMask)) : "npf P=1";
            }
            table = e & 0x000f_ffff_ffff_f000L;
        }
        throw new AssertionError("unreachable");
    }
}
