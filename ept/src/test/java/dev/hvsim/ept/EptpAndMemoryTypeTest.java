package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** EPTP checks (SDM Vol. 3C 27.2.1.1) and effective memory types (SDM Vol. 3C 29.3.7.2, Vol. 3A Table 11-7). */
class EptpAndMemoryTypeTest {
    static final int MAXPHYS = 46;

    private static EptpCheck check(long raw, EptCapabilities caps) {
        return new Eptp(raw).validate(caps, MAXPHYS);
    }

    @Test
    void eptpRules() {
        EptCapabilities all = EptCapabilities.ALL;
        assertThat(check(0x1000 | 3 << 3 | 6, all).valid()).isTrue();                 // WB, 4-level
        assertThat(check(0x1000 | 3 << 3, all).valid()).isTrue();                     // UC
        assertThat(check(0x1000 | 4 << 3 | 6 | 1 << 6, all).valid()).isTrue();        // 5-level, A/D
        for (int mt : new int[] {1, 2, 3, 4, 5, 7}) {
            assertThat(rules(check(0x1000 | 3 << 3 | mt, all))).singleElement().asString().startsWith("EPTP_MEMORY_TYPE");
        }
        assertThat(rules(check(0x1000 | 3 << 3, all.with(8, false)))).singleElement().asString().startsWith("EPTP_MEMORY_TYPE");
        for (int len : new int[] {0, 1, 2, 5, 6, 7}) {
            assertThat(rules(check(0x1000 | len << 3 | 6, all))).singleElement().asString().startsWith("EPTP_WALK_LENGTH");
        }
        assertThat(rules(check(0x1000 | 4 << 3 | 6, all.with(7, false)))).singleElement().asString().startsWith("EPTP_WALK_LENGTH");
        assertThat(rules(check(0x1000 | 3 << 3 | 6 | 1 << 6, all.with(21, false)))).singleElement().asString()
                .startsWith("EPTP_ACCESSED_DIRTY");
        assertThat(rules(check(0x1000 | 3 << 3 | 6 | 1 << 7, all))).singleElement().asString().startsWith("EPTP_SSS");
        assertThat(check(0x1000 | 3 << 3 | 6 | 1 << 7, all.with(23, true)).valid()).isTrue();
        for (int b = 8; b <= 11; b++) {
            assertThat(rules(check(0x1000 | 3 << 3 | 6 | 1L << b, all))).singleElement().asString().startsWith("EPTP_RESERVED");
        }
        assertThat(rules(check(1L << MAXPHYS | 3 << 3 | 6, all))).singleElement().asString().startsWith("EPTP_ADDRESS_WIDTH");
        assertThat(rules(check(1L << 63 | 1 << 9 | 2, all))).hasSize(4);
    }

    private static java.util.List<String> rules(EptpCheck c) {
        return ((EptpCheck.Invalid) c).failedRules();
    }

    @Test
    void patCombinationTable() {
        // SDM Vol. 3A Table 11-7, rows MTRR (here: EPT) type, columns PAT type UC, UC-, WC, WT, WB, WP
        MemoryType[] pat = {MemoryType.UC, MemoryType.UC_MINUS, MemoryType.WC, MemoryType.WT, MemoryType.WB, MemoryType.WP};
        String[] rows = {
            "UC: UC UC WC UC UC UC",
            "WC: UC WC WC UC WC UC",
            "WT: UC UC WC WT WT WP",
            "WB: UC UC WC WT WB WP",
            "WP: UC WC WC WT WP WP",
        };
        for (String row : rows) {
            String[] p = row.split(":? ");
            MemoryType range = MemoryType.valueOf(p[0]);
            for (int i = 0; i < pat.length; i++) {
                assertThat(MemoryType.combine(range, pat[i])).as("%s x %s", range, pat[i]).isEqualTo(MemoryType.valueOf(p[i + 1]));
            }
        }
    }

    @Test
    void eptMemoryTypeWithIgnorePatAndCacheDisable() {
        EptFormat f = EptFormat.of(0x1000, false, MAXPHYS);
        long wtLeaf = 7 | 4 << 3;
        assertThat(f.memoryType(wtLeaf, 1, MemoryType.WB, false)).isEqualTo(MemoryType.WT);
        assertThat(f.memoryType(wtLeaf, 1, MemoryType.WC, false)).isEqualTo(MemoryType.WC);
        assertThat(f.memoryType(wtLeaf, 1, MemoryType.UC, false)).isEqualTo(MemoryType.UC);
        assertThat(f.memoryType(wtLeaf | EptFormat.IGNORE_PAT, 1, MemoryType.UC, false)).isEqualTo(MemoryType.WT);
        assertThat(f.memoryType(wtLeaf | EptFormat.IGNORE_PAT, 1, MemoryType.WB, true)).isEqualTo(MemoryType.UC);
    }

    @Test
    void guestPatIndexReachesTheEptMemoryType() {
        // guest PTE with PCD (index 2): default PAT entry 2 = UC-; EPT WB -> UC (Table 11-7)
        Tables t = new Tables(0x10_0000L);
        long eptRoot = t.table();
        EptFormat ept = EptFormat.of(eptRoot, false, MAXPHYS);
        t.map(ept, eptRoot, 0, 3, 0, Tables.flags(7, 3, 6 << 3 | EptFormat.PS)); // identity 1 GiB
        long cr3 = t.table();
        X86PagingFormat g = X86PagingFormat.long4(MAXPHYS);
        t.map(g, cr3, 0x40_0000, 1, 0x5000, Tables.flags(7, 1, X86PagingFormat.PCD));
        Translated r = (Translated) new TwoStageWalker(t.bus).translateLinear(GuestPaging.long4(cr3, MAXPHYS), ept,
                0x40_0123, Access.READ, false, true);
        assertThat(r.hostPhys()).isEqualTo(0x5123);
        assertThat(r.memoryType()).isEqualTo(MemoryType.UC);
        assertThat(r.pageSize()).isEqualTo(PageSize.SIZE_4K);
    }
}
