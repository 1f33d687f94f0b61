package dev.hvsim.vmm;

/**
 * The shadow nested page tables L0 builds for an L2 guest whose L1 hypervisor enabled nested paging (nested SVM,
 * {@link NestedSvm}): L2 guest-physical to host-physical, the composition of L1's nested tables (walked in L1's
 * guest-physical space) with L0's. Long-mode format of the VMM's 64-bit host (AMD APM Vol. 2 15.25.3, 15.25.5): every
 * entry P and U/S, R/W only where L1 allows writes, NX (bit 63) on the leaf where L1 forbids instruction fetches (the
 * VMM's host runs with EFER.NXE = 1 so that the model's nested walk honours it: APM 5.6 / 15.25.5, the nested tables
 * take the host's EFER.NXE; {@code SvmVcpu}). Filled lazily, one 4 KiB
 * page per nested page fault; {@link #reset} empties it (L1 changed N_CR3 or its ASID, flushed with TLB_CONTROL or
 * INVLPGA) and keeps its table pages for reuse.
 */
final class ShadowNpt {
    private static final long ADDR = 0x000f_ffff_ffff_f000L, P_RW_US = 7, NX = 1L << 63;
    private final VmmMemory mem;
    private final long root;
    private long[] pool = new long[16];
    private int allocated, used;
    private boolean empty = true;

    ShadowNpt(VmmMemory mem) {
        this.mem = mem;
        this.root = mem.allocate(1);
    }

    /** N_CR3 of the shadow (host-physical). */
    long root() {
        return root;
    }

    boolean empty() {
        return empty;
    }

    /** Table pages in use below the root. */
    int tables() {
        return used;
    }

    /**
     * Maps the 4 KiB page of {@code gpa} to the page of {@code hpa}; read-only unless {@code writable}, no-execute
     * (NX, APM Vol. 2 5.6) unless {@code executable}.
     */
    void map(long gpa, long hpa, boolean writable, boolean executable) {
        long table = root;
        for (int shift = 39; shift > 12; shift -= 9) {
            long entry = table + ((gpa >>> shift) & 0x1ff) * 8;
            long e = mem.q(entry);
            if ((e & 1) == 0) {
                long t = table();
                mem.setQ(entry, t | P_RW_US);
                e = t;
            }
            table = e & ADDR;
        }
        mem.setQ(table + ((gpa >>> 12) & 0x1ff) * 8, (hpa & ADDR) | 1 | 4 | (writable ? 2 : 0) | (executable ? 0 : NX));
        empty = false;
    }

    /** Empties the tables (zeroes the root and every table handed out); the pages are reused. */
    void reset() {
        if (empty) {
            return;
        }
        mem.fill(root, 4096, 0);
        for (int i = 0; i < used; i++) {
            mem.fill(pool[i], 4096, 0);
        }
        used = 0;
        empty = true;
    }

    private long table() {
        if (used == allocated) {
            if (allocated == pool.length) {
                pool = java.util.Arrays.copyOf(pool, pool.length * 2);
            }
            pool[allocated++] = mem.allocate(1);
        }
        return pool[used++];
    }

    /** The table pool and its use (the tables themselves live in {@link VmmMemory}, snapshotted with it). */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long[] p = pool.clone();
        int a = allocated, u = used;
        boolean e = empty;
        return () -> {
            pool = p.clone();
            allocated = a;
            used = u;
            empty = e;
        };
    }
}
