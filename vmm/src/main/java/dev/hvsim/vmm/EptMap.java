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
public final class EptMap {
    private static final long RWX = 7, WB_LEAF = 6L << 3, ADDR = 0x000f_ffff_ffff_f000L;
    private final VmmMemory mem;
    private final long pml4;
    private long mappedPages;

    public EptMap(VmmMemory mem) {
        this.mem = mem;
        this.pml4 = mem.allocate(1);
    }

    /** The EPTP: PML4 address, page-walk length 4 (bits 5:3 = 3), memory type WB (6); no A/D flags. */
    public long eptp() {
        return pml4 | 3 << 3 | 6;
    }

    /** Maps the guest-physical page of {@code gpa} to the host-physical page of {@code hpa}. */
    public void map(long gpa, long hpa) {
        long pte = pteAddress(gpa, true);
        if ((mem.q(pte) & RWX) == 0) {
            mappedPages++;
        }
        mem.setQ(pte, (hpa & ADDR) | RWX | WB_LEAF);
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
                mem.setQ(entry, t | RWX);
                e = t | RWX;
            }
            table = e & ADDR;
        }
        return table + ((gpa >>> 12) & 0x1ff) * 8;
    }
}
