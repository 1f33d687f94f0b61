package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reserved bits and memory types at every level (SDM Vol. 3C 29.3.3.1 "EPT Misconfigurations", entry
 * formats Tables 29-1..29-6; APM Vol. 2 15.25.5 with the host's reserved-bit rules, SDM Vol. 3A 4.5).
 */
class MisconfigurationTest {
    static final int MAXPHYS = 40;
    static final long GPA = 0x12_3456_7000L & ((1L << MAXPHYS) - 1), TARGET = 0x40_0000_0000L & ((1L << MAXPHYS) - 1);

    /** An EPT walk to a leaf at {@code leafLevel} with one extra bit set in the entry at {@code level}. */
    private static WalkResult ept(int levels, int leafLevel, int level, long extra, long memType) {
        Tables t = new Tables(0x1000_0000L);
        long root = t.table();
        EptFormat fmt = new EptFormat(Eptp.of(root, levels, false), EptCapabilities.ALL, false, MAXPHYS);
        long[] flags = new long[6];
        for (int l = 1; l <= 5; l++) {
            flags[l] = 7 | (l == leafLevel ? memType << 3 | (leafLevel > 1 ? EptFormat.PS : 0) : 0);
        }
        flags[level] |= extra;
        t.map(fmt, root, GPA, leafLevel, leafLevel == 3 ? 0x40000000L : TARGET, flags);
        return new TwoStageWalker(t.bus).translateGuestPhysical(fmt, GPA, Access.READ, AccessContext.finalAccess(0), true);
    }

    private static EntryStatus misconfig(WalkResult r, int level) {
        if (r instanceof Fault f && f.detail() instanceof FaultDetail.EptMisconfiguration m && f.level() == level) {
            return m.reason();
        }
        return null;
    }

    @Test
    void eptReservedBitsAtEveryLevel() {
        List<String> bad = new ArrayList<>();
        for (int levels = 4; levels <= 5; levels++) {
            for (int leafLevel = 1; leafLevel <= 3; leafLevel++) {
                for (int level = levels; level >= leafLevel; level--) {
                    List<long[]> cases = new ArrayList<>(); // {bit mask, expected status ordinal}
                    cases.add(new long[] {1L << MAXPHYS, EntryStatus.RESERVED_BIT.ordinal()});
                    cases.add(new long[] {1L << 51, EntryStatus.RESERVED_BIT.ordinal()});
                    if (level != leafLevel) {
                        for (int b = 3; b <= 6; b++) {
                            cases.add(new long[] {1L << b, EntryStatus.RESERVED_BIT.ordinal()});
                        }
                    }
                    if (level >= 4) {
                        cases.add(new long[] {EptFormat.PS, EntryStatus.BAD_PAGE_SIZE.ordinal()});
                    }
                    if (level == leafLevel && level > 1) {
                        cases.add(new long[] {1L << 12, EntryStatus.RESERVED_BIT.ordinal()});
                        cases.add(new long[] {1L << (12 + 9 * (level - 1) - 1), EntryStatus.RESERVED_BIT.ordinal()});
                    }
                    for (long[] c : cases) {
                        EntryStatus s = misconfig(ept(levels, leafLevel, level, c[0], 6), level);
                        if (s == null || s.ordinal() != c[1]) {
                            bad.add("levels=" + levels + " leaf=" + leafLevel + " level=" + level + " bit=0x"
                                    + Long.toHexString(c[0]) + " got " + s);
                        }
                    }
                }
            }
        }
        assertThat(bad).isEmpty();
    }

    @Test
    void eptMemoryTypesAtEveryLeafLevel() {
        for (int leafLevel = 1; leafLevel <= 3; leafLevel++) {
            for (int mt = 0; mt < 8; mt++) {
                WalkResult r = ept(4, leafLevel, leafLevel, 0, mt);
                boolean valid = mt == 0 || mt == 1 || mt == 4 || mt == 5 || mt == 6;
                if (valid) {
                    assertThat(r.translated()).as("leaf %d type %d", leafLevel, mt).isTrue();
                    assertThat(((Translated) r).memoryType().encoding()).isEqualTo(mt == 6 ? 6 : mt);
                } else {
                    assertThat(misconfig(r, leafLevel)).as("leaf %d type %d", leafLevel, mt).isEqualTo(EntryStatus.BAD_MEMORY_TYPE);
                }
            }
        }
    }

    @Test
    void eptIgnoredBitsAreIgnored() {
        // bits 11, 63:52 (except those with a meaning under controls not enabled here) and 9 in non-leaf entries
        for (int level = 4; level >= 1; level--) {
            assertThat(ept(4, 1, level, 1L << 11 | 1L << 52 | 1L << 62 | 1L << 63, 6).translated()).isTrue();
        }
        assertThat(ept(4, 1, 3, 1L << 9, 6).translated()).isTrue();
    }

    @Test
    void eptPageSizesTheCapabilitiesLack() {
        Tables t = new Tables(0x1000_0000L);
        long root = t.table();
        EptFormat no1g = new EptFormat(Eptp.of(root, 4, false), EptCapabilities.ALL.with(17, false), false, MAXPHYS);
        t.map(no1g, root, GPA, 3, 0x40000000L, Tables.flags(7, 3, 6 << 3 | EptFormat.PS));
        WalkResult r = new TwoStageWalker(t.bus).translateGuestPhysical(no1g, GPA, Access.READ, AccessContext.finalAccess(0), true);
        assertThat(misconfig(r, 3)).isEqualTo(EntryStatus.BAD_PAGE_SIZE);
    }

    /** Nested tables in the host's long-mode format: a reserved bit is an NPF with P and RSVD at that level. */
    @Test
    void nptReservedBitsAtEveryLevel() {
        List<String> bad = new ArrayList<>();
        for (int leafLevel = 1; leafLevel <= 3; leafLevel++) {
            for (int level = 4; level >= leafLevel; level--) {
                List<Long> bits = new ArrayList<>(List.of(1L << MAXPHYS, 1L << 51, 1L << 63)); // 63: NXE off
                if (level == 4) {
                    bits.add(X86PagingFormat.PS);
                }
                if (level == leafLevel && level > 1) {
                    bits.add(1L << 13);
                }
                for (long bit : bits) {
                    Tables t = new Tables(0x1000_0000L);
                    long root = t.table();
                    X86PagingFormat host = new X86PagingFormat(X86PagingFormat.Mode.LONG4, false, true, true, MAXPHYS);
                    NptFormat fmt = new NptFormat(root, host, NptFormat.DEFAULT_PAT, NptFormat.DEFAULT_PAT);
                    long[] flags = Tables.flags(7, leafLevel, leafLevel > 1 ? X86PagingFormat.PS : 0);
                    flags[level] |= bit;
                    t.map(host, root, GPA, leafLevel, leafLevel == 3 ? 0x40000000L : TARGET, flags);
                    WalkResult r = new TwoStageWalker(t.bus).translateGuestPhysical(fmt, GPA, Access.READ,
                            AccessContext.finalAccess(0), true);
                    if (!(r instanceof Fault f && f.level() == level && f.detail() instanceof FaultDetail.NestedPageFault n
                            && n.exitInfo1().raw() == (1 | 4 | 8 | 1L << 32))) {
                        bad.add("leaf=" + leafLevel + " level=" + level + " bit=0x" + Long.toHexString(bit) + " -> " + r);
                    }
                }
            }
        }
        assertThat(bad).isEmpty();
    }
}
