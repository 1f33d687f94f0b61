package dev.hvsim.vmm;

/**
 * A guest-physical address space as 4-level EPT tables (SDM Vol. 3C 30.3.2, Tables 30-1 .. 30-6) in
 * {@link VmmMemory}, built lazily: {@link #map} creates the paging-structure entries on the way to one 4 KiB page
 * (read, write, execute, memory type WB), {@link #unmap} clears its PTE. The VMM calls them from EPT-violation exits
 * (lazy backing, MMIO) and its overcommit demonstration (reclaim). After {@link #unmap} the caller invalidates
 * (INVEPT single-context, here {@code Mmu.invalidateContexts} of the EPTP on every vCPU).
 *
 * <p>The same tables serve AMD nested paging once svm-model has NPT: that needs the x86 long-mode format instead
 * (APM 15.25.5); not done yet (DEVIATIONS.md).
 */
public final class EptMap implements dev.hvsim.x86core.Snapshottable {
    private static final long RWX = 7, WB_LEAF = 6L << 3, ADDR = 0x000f_ffff_ffff_f000L;
    /** Permission bits of a leaf (Table 30-6: bit 0 read, 1 write, 2 execute). */
    public static final int READ = 1, WRITE = 2, EXECUTE = 4, ALL = 7;
    private final VmmMemory mem;
    private final long pml4;
    private final boolean npt;
    private long mappedPages;

    /** EPT tables (Intel). */
    public EptMap(VmmMemory mem) {
        this(mem, false);
    }

    private EptMap(VmmMemory mem, boolean npt) {
        this.mem = mem;
        this.npt = npt;
        this.pml4 = mem.allocate(1);
    }

    /**
     * AMD nested page tables in the long-mode format of the VMM's 64-bit host (APM Vol. 2 15.25.3, 15.25.5): every
     * entry P, and U/S (nested accesses are user accesses, 15.25.5), R/W for writable pages; no NX (every page
     * executable), no PWT/PCD (write-back through G_PAT index 0).
     */
    public static EptMap npt(VmmMemory mem) {
        return new EptMap(mem, true);
    }

    /** True for AMD nested page tables, false for EPT. */
    public boolean isNpt() {
        return npt;
    }

    /** The root table's host-physical address (N_CR3 for NPT). */
    public long root() {
        return pml4;
    }

    /** The EPTP: PML4 address, page-walk length 4 (bits 5:3 = 3), memory type WB (6); no A/D flags. */
    public long eptp() {
        return pml4 | 3 << 3 | 6;
    }

    /** Maps the guest-physical page of {@code gpa} to the host-physical page of {@code hpa}, read/write/execute. */
    public void map(long gpa, long hpa) {
        map(gpa, hpa, ALL);
    }

    /**
     * Maps the page of {@code gpa} to {@code hpa} with {@code perms} ({@link #READ} | {@link #WRITE} |
     * {@link #EXECUTE}; write without read is an EPT misconfiguration, 30.3.3.1, and is refused).
     */
    public void map(long gpa, long hpa, int perms) {
        if ((perms & 7) == 0 || (perms & (READ | WRITE)) == WRITE) {
            throw new IllegalArgumentException("EPT permissions " + perms + " (write needs read; none means unmap)");
        }
        long flags = npt ? 1 | 4 | ((perms & WRITE) != 0 ? 2 : 0) : (perms & 7) | WB_LEAF;
        setEntry(gpa, (hpa & ADDR) | flags);
    }

    /** The raw leaf entry of {@code gpa} (0: not mapped). */
    public long entry(long gpa) {
        long pte = pteAddress(gpa, false);
        return pte < 0 ? 0 : mem.q(pte);
    }

    /** Restores a leaf entry read with {@link #entry} (0 unmaps). */
    public void setEntry(long gpa, long entry) {
        long pte = pteAddress(gpa, true);
        boolean was = (mem.q(pte) & RWX) != 0, is = (entry & RWX) != 0;
        mappedPages += (is ? 1 : 0) - (was ? 1 : 0);
        mem.setQ(pte, entry);
    }

    /** Clears the PTE of {@code gpa}; returns the host-physical page it mapped, or -1. */
    public long unmap(long gpa) {
        long pte = pteAddress(gpa, false);
        if (pte < 0) {
            return -1;
        }
        long e = mem.q(pte);
        if ((e & RWX) == 0) {
            return -1;
        }
        mem.setQ(pte, 0);
        mappedPages--;
        return e & ADDR;
    }

    /** The host-physical page {@code gpa} maps to, or -1. */
    public long lookup(long gpa) {
        long pte = pteAddress(gpa, false);
        long e = pte < 0 ? 0 : mem.q(pte);
        return (e & RWX) == 0 ? -1 : e & ADDR;
    }

    /** Pages currently mapped. */
    public long mappedPages() {
        return mappedPages;
    }

    private long pteAddress(long gpa, boolean create) {
        long table = pml4;
        for (int shift = 39; shift > 12; shift -= 9) {
            long entry = table + ((gpa >>> shift) & 0x1ff) * 8;
            long e = mem.q(entry);
            if ((e & RWX) == 0) {
                if (!create) {
                    return -1;
                }
                long t = mem.allocate(1);
                mem.setQ(entry, t | RWX); // EPT: read, write, execute; NPT: P, R/W, U/S
                e = t | RWX;
            }
            table = e & ADDR;
        }
        return table + ((gpa >>> 12) & 0x1ff) * 8;
    }

    /** The mapped-page count (the tables themselves live in {@link VmmMemory}, snapshotted with it). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long n = mappedPages;
        return () -> mappedPages = n;
    }
}
