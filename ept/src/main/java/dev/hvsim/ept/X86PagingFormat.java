package dev.hvsim.ept;

/**
 * The x86 paging-structure formats (SDM Vol. 3A ch. 4; AMD APM Vol. 2 5.3-5.4): 32-bit paging (with PSE
 * and PSE-36), PAE paging, 4-level and 5-level paging. Used for the guest stage of a two-stage walk and,
 * with the host's settings, for AMD nested page tables, which have exactly the host's paging format
 * (APM Vol. 2 15.25.3, 15.25.5: legacy, PAE or long-mode tables, chosen by the host's CR4/EFER).
 *
 * <p>In PAE mode the PDPT is walked as level 3 (read from memory): for the guest stage the CPU uses its
 * PDPTE registers instead (see DEVIATIONS.md); for nested paging the PDPT is read from nCR3 on every
 * walk, as the APM describes.
 *
 * @param mode        the paging mode
 * @param nxe         EFER.NXE: the XD bit exists (otherwise bit 63 is reserved in PAE/long formats)
 * @param pse         CR4.PSE: 4 MiB pages in 32-bit paging
 * @param has1G       1 GiB pages exist (CPUID 8000_0001 EDX[26])
 * @param maxPhysAddr MAXPHYADDR
 */
public record X86PagingFormat(Mode mode, boolean nxe, boolean pse, boolean has1G, int maxPhysAddr) implements PagingFormat {

    /** x86 paging modes. */
    public enum Mode { LEGACY32, PAE, LONG4, LONG5 }

    public static final long P = 1, RW = 2, US = 4, PWT = 8, PCD = 16, A = 0x20, D = 0x40, PS = 0x80, XD = 1L << 63;

    /** 4-level paging with NX and 1 GiB pages: the usual long-mode guest or host. */
    public static X86PagingFormat long4(int maxPhysAddr) {
        return new X86PagingFormat(Mode.LONG4, true, true, true, maxPhysAddr);
    }

    private long physMask() {
        return (1L << maxPhysAddr) - 1;
    }

    @Override
    public int topLevel() {
        switch (mode) {
            case LEGACY32: return 2;
            case PAE: return 3;
            case LONG4: return 4;
            default: return 5;
        }
    }

    @Override
    public int entrySize() {
        return mode == Mode.LEGACY32 ? 4 : 8;
    }

    @Override
    public long entryAddress(long table, long address, int level) {
        if (mode == Mode.LEGACY32) {
            int shift = level == 2 ? 22 : 12;
            return table | ((address >>> shift) & 0x3ff) << 2;
        }
        if (mode == Mode.PAE && level == 3) {
            return table | ((address >>> 30) & 3) << 3;
        }
        return table | ((address >>> (12 + 9 * (level - 1))) & 0x1ff) << 3;
    }

    @Override
    public long rootTable(long root) {
        switch (mode) {
            case LEGACY32: return root & 0xfffff000L;
            case PAE: return root & 0xffffffe0L;
            default: return root & physMask() & ~0xfffL;
        }
    }

    @Override
    public EntryStatus classify(long e, int level) {
        if ((e & P) == 0) {
            return EntryStatus.NOT_PRESENT;
        }
        if (mode == Mode.LEGACY32) {
            return classify32(e, level);
        }
        if (mode == Mode.PAE && level == 3) {
            // PDPTE: bits 2:1, 8:5 and 63:MAXPHYADDR reserved (SDM Vol. 3A 4.4.1, Table 4-8)
            return (e & (0x1e6L | ~physMask())) != 0 ? EntryStatus.RESERVED_BIT : EntryStatus.TABLE;
        }
        // SDM Vol. 3A 4.5, Tables 4-15..4-20; 4.4.2 for PAE directories and tables
        if ((e & 0x000f_ffff_ffff_f000L & ~physMask()) != 0 || (e & XD) != 0 && !nxe
                || mode == Mode.PAE && (e & 0x7ff0_0000_0000_0000L) != 0) {
            return EntryStatus.RESERVED_BIT;
        }
        if (level == 1) {
            return EntryStatus.LEAF;
        }
        if ((e & PS) == 0) {
            return EntryStatus.TABLE;
        }
        if (level >= 4 || level == 3 && !has1G) {
            return EntryStatus.RESERVED_BIT; // PS is reserved in PML5E/PML4E, and in PDPTEs without 1 GiB pages
        }
        long low = e & ((1L << (12 + 9 * (level - 1))) - 1) & ~0x1fffL; // between the PAT bit and the frame
        return low != 0 ? EntryStatus.RESERVED_BIT : EntryStatus.LEAF;
    }

    private EntryStatus classify32(long e, int level) {
        if (level == 1) {
            return EntryStatus.LEAF;
        }
        if ((e & PS) == 0 || !pse) {
            return EntryStatus.TABLE;
        }
        // 4 MiB page: bit 21 reserved; PSE-36 bits 20:13 give physical 39:32 (SDM Vol. 3A 4.3, Table 4-4)
        long high = ((e >>> 13) & 0xffL) << 32;
        return (e & (1L << 21)) != 0 || (high & ~physMask()) != 0 ? EntryStatus.RESERVED_BIT : EntryStatus.LEAF;
    }

    private int entryPermissions(long e) {
        int p = Perm.R;
        if ((e & RW) != 0) {
            p |= Perm.W;
        }
        if ((e & US) != 0) {
            p |= Perm.U;
        }
        if (!(nxe && (e & XD) != 0)) {
            p |= Perm.XS | Perm.XU;
        }
        return p;
    }

    /** A PAE PDPTE controls no access rights (SDM Vol. 3A 4.4.1); 32-bit paging has no XD bit. */
    @Override
    public int permissions(long e, int level) {
        return mode == Mode.PAE && level == 3 ? Perm.ALL : entryPermissions(e);
    }

    @Override
    public long frame(long e, int level) {
        if (mode == Mode.LEGACY32) {
            if (level == 2 && (e & PS) != 0 && pse) {
                return (e & 0xffc00000L) | ((e >>> 13) & 0xffL) << 32;
            }
            return e & 0xfffff000L;
        }
        long addr = e & 0x000f_ffff_ffff_f000L & physMask();
        if (level > 1 && (e & PS) != 0 && !(mode == Mode.PAE && level == 3)) {
            addr &= ~pageSize(level).mask();
        }
        return addr;
    }

    @Override
    public PageSize pageSize(int level) {
        if (mode == Mode.LEGACY32) {
            return level == 2 ? PageSize.SIZE_4M : PageSize.SIZE_4K;
        }
        return level == 1 ? PageSize.SIZE_4K : level == 2 ? PageSize.SIZE_2M : PageSize.SIZE_1G;
    }

    @Override
    public long accessedBit(int level) {
        return mode == Mode.PAE && level == 3 ? 0 : A;
    }

    @Override
    public long dirtyBit() {
        return D;
    }

    /** The PAT index (PAT, PCD, PWT) of a leaf entry at a level (SDM Vol. 3A 11.12.3, Table 11-11). */
    public int patIndex(long leaf, int level) {
        long patBit = level == 1 ? 0x80 : 1L << 12;
        return ((leaf & patBit) != 0 ? 4 : 0) | (int) ((leaf >>> 3) & 3);
    }
}
