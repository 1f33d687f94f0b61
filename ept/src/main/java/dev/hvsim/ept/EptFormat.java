package dev.hvsim.ept;

/**
 * Intel EPT as the second stage (SDM Vol. 3C 29.3; 2016 edition 28.2): 4-level or 5-level tables,
 * R/W/X permissions, execute-only entries where the capability allows, mode-based execute control
 * (bit 10 = user-mode execute), 2 MiB and 1 GiB pages, A/D flags (bits 8 and 9) when EPTP bit 6 is set,
 * EPT misconfigurations (29.3.3.1) and EPT violations (29.3.3.2) with the exit qualification of
 * Table 28-7 (current numbering; 27-7 in the 2016 edition).
 *
 * @param eptp              the EPT pointer (assumed {@link Eptp#validate valid})
 * @param caps              IA32_VMX_EPT_VPID_CAP
 * @param modeBasedExecute  the secondary processor-based control "mode-based execute control for EPT" (bit 22)
 * @param maxPhysAddr       MAXPHYADDR
 */
public record EptFormat(Eptp eptp, EptCapabilities caps, boolean modeBasedExecute, int maxPhysAddr)
        implements SecondStageFormat, PagingFormat {

    public static final long R = 1, W = 2, X = 4, IGNORE_PAT = 0x40, PS = 0x80, A = 0x100, D = 0x200, XU = 0x400;

    /** A 4-level EPT at {@code table} with all capabilities, A/D as asked, no mode-based execute. */
    public static EptFormat of(long table, boolean accessedDirty, int maxPhysAddr) {
        return new EptFormat(Eptp.of(table, 4, accessedDirty), EptCapabilities.ALL, false, maxPhysAddr);
    }

    private long physMask() {
        return (1L << maxPhysAddr) - 1;
    }

    // ------------------------------------------------------------------ PagingFormat

    @Override
    public PagingFormat paging() { return this; }

    @Override
    public long root() { return eptp.raw(); }

    @Override
    public int topLevel() { return eptp.walkLength(); }

    @Override
    public int entrySize() { return 8; }

    @Override
    public long entryAddress(long table, long address, int level) {
        return table | ((address >>> (12 + 9 * (level - 1))) & 0x1ff) << 3;
    }

    @Override
    public long rootTable(long root) {
        return root & physMask() & ~0xfffL;
    }

    /** SDM Vol. 3C 29.3.2 (entry formats, Tables 29-1..29-6) and 29.3.3.1 (EPT misconfigurations). */
    @Override
    public EntryStatus classify(long e, int level) {
        int rwx = (int) (e & 7);
        boolean xu = modeBasedExecute && (e & XU) != 0;
        if (rwx == 0 && !xu) {
            return EntryStatus.NOT_PRESENT;
        }
        if ((rwx & 3) == 2) {
            return EntryStatus.BAD_PERMISSIONS; // write-only or write/execute
        }
        if ((rwx & 3) == 0 && !caps.executeOnly()) {
            return EntryStatus.BAD_PERMISSIONS; // execute-only without IA32_VMX_EPT_VPID_CAP bit 0
        }
        if ((e & 0x000f_ffff_ffff_f000L & ~physMask()) != 0) {
            return EntryStatus.RESERVED_BIT; // bits 51:N
        }
        boolean ps = (e & PS) != 0;
        if (level >= 4) {
            if (ps) {
                return EntryStatus.BAD_PAGE_SIZE; // bit 7 reserved in PML5E/PML4E
            }
            return (e & 0x78) != 0 ? EntryStatus.RESERVED_BIT : EntryStatus.TABLE; // bits 6:3
        }
        if (level > 1 && !ps) {
            return (e & 0x78) != 0 ? EntryStatus.RESERVED_BIT : EntryStatus.TABLE; // bits 6:3
        }
        if (level == 3 && !caps.pages1G() || level == 2 && !caps.pages2M()) {
            return EntryStatus.BAD_PAGE_SIZE;
        }
        if (level > 1 && (e & ((1L << (12 + 9 * (level - 1))) - 1) & ~0xfffL) != 0) {
            return EntryStatus.RESERVED_BIT; // 29:12 (1 GiB) or 20:12 (2 MiB)
        }
        return MemoryType.ofEpt((int) (e >>> 3) & 7) == null ? EntryStatus.BAD_MEMORY_TYPE : EntryStatus.LEAF;
    }

    @Override
    public int permissions(long e, int level) {
        int p = Perm.U;
        if ((e & R) != 0) {
            p |= Perm.R;
        }
        if ((e & W) != 0) {
            p |= Perm.W;
        }
        if ((e & X) != 0) {
            p |= Perm.XS;
        }
        if (modeBasedExecute ? (e & XU) != 0 : (e & X) != 0) {
            p |= Perm.XU;
        }
        return p;
    }

    @Override
    public long frame(long e, int level) {
        long addr = e & 0x000f_ffff_ffff_f000L & physMask();
        return level > 1 && (e & PS) != 0 ? addr & ~pageSize(level).mask() : addr;
    }

    @Override
    public PageSize pageSize(int level) {
        return level == 1 ? PageSize.SIZE_4K : level == 2 ? PageSize.SIZE_2M : PageSize.SIZE_1G;
    }

    @Override
    public long accessedBit(int level) {
        return eptp.accessedDirty() ? A : 0;
    }

    @Override
    public long dirtyBit() {
        return eptp.accessedDirty() ? D : 0;
    }

    // ------------------------------------------------------------------ SecondStageFormat

    @Override
    public boolean pagingStructureAccessesAreWrites() {
        return eptp.accessedDirty();
    }

    @Override
    public boolean setsAccessedDirty() {
        return eptp.accessedDirty();
    }

    /** SDM Vol. 3C 29.3.3.2: reads need R, writes W, fetches X (XS or XU by the guest page's U/S under MBEC). */
    @Override
    public boolean allows(int perms, Access access, boolean guestUserPage) {
        switch (access) {
            case READ: return (perms & Perm.R) != 0;
            case WRITE: return (perms & Perm.W) != 0;
            default: return (perms & (modeBasedExecute && guestUserPage ? Perm.XU : Perm.XS)) != 0;
        }
    }

    /**
     * SDM Vol. 3C 29.3.7.2 "Memory Type Used for Translated Guest-Physical Addresses" (2016: 28.2.6.2):
     * UC if CR0.CD = 1; else the EPT memory type if the leaf's ignore-PAT bit is set; else the EPT memory
     * type combined with the PAT memory type as Table 11-7 combines an MTRR type with it. MTRRs play no part.
     */
    @Override
    public MemoryType memoryType(long leaf, int level, MemoryType guestPatType, boolean cacheDisabled) {
        if (cacheDisabled) {
            return MemoryType.UC;
        }
        MemoryType ept = MemoryType.ofEpt((int) (leaf >>> 3) & 7);
        return (leaf & IGNORE_PAT) != 0 ? ept : MemoryType.combine(ept, guestPatType);
    }

    @Override
    public FaultDetail refusal(Refusal r) {
        if (r.status() != EntryStatus.NOT_PRESENT && !r.status().usable()) {
            return new FaultDetail.EptMisconfiguration(r.status(), r.entry());
        }
        return new FaultDetail.EptViolation(EptViolationQualification.of(r, modeBasedExecute, caps.advancedExitInfo(),
                pagingStructureAccessesAreWrites()));
    }
}
