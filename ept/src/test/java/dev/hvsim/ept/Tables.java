package dev.hvsim.ept;

import dev.hvsim.x86core.testing.TestBus;

/** Builds paging structures of any {@link PagingFormat} in a sparse test RAM. */
final class Tables {
    final TestBus bus;
    private long next;

    Tables(long firstTable) {
        this(new TestBus(), firstTable);
    }

    Tables(TestBus bus, long firstTable) {
        this.bus = bus;
        this.next = firstTable;
    }

    /** A fresh zeroed 4 KiB table. */
    long table() {
        long a = next;
        next += 0x1000;
        return a;
    }

    /**
     * Maps {@code addr} in the tables rooted at {@code root} down to a leaf at {@code leafLevel} that points at
     * {@code target}: {@code flags[level]} are the low/high flag bits of the entry at each level (the leaf's
     * include its page-size bit). Existing intermediate tables are reused (their flags are overwritten).
     */
    void map(PagingFormat f, long root, long addr, int leafLevel, long target, long[] flags) {
        long table = root;
        for (int level = f.topLevel(); ; level--) {
            long ea = f.entryAddress(table, addr, level);
            if (level == leafLevel) {
                bus.write(ea, f.entrySize(), target | flags[level]);
                return;
            }
            long old = bus.read(ea, f.entrySize());
            long frame = old & 0x000f_ffff_ffff_f000L;
            if (frame == 0) {
                frame = table();
            }
            bus.write(ea, f.entrySize(), frame | flags[level]);
            table = frame;
        }
    }

    long entry(PagingFormat f, long root, long addr, int level) {
        long table = root;
        for (int l = f.topLevel(); ; l--) {
            long e = bus.read(f.entryAddress(table, addr, l), f.entrySize());
            if (l == level) {
                return e;
            }
            table = e & 0x000f_ffff_ffff_f000L;
        }
    }

    /** Same flags at every level, the leaf's with {@code leafExtra} added. */
    static long[] flags(long each, int leafLevel, long leafExtra) {
        long[] f = new long[6];
        for (int l = 1; l <= 5; l++) {
            f[l] = each | (l == leafLevel ? leafExtra : 0);
        }
        return f;
    }
}
