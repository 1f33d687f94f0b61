package dev.hvsim.ept;

/**
 * AMD nested paging as the second stage (APM Vol. 2 15.25 "Nested Paging"): nCR3 (VMCB 0x0B0) roots
 * tables in the host's own paging format, chosen by the host's CR4.PAE / EFER.LMA (and CR4.PSE, EFER.NXE)
 * at VMRUN (15.25.3-15.25.5): long-mode 4-level (5-level with host CR4.LA57), PAE or legacy 32-bit.
 * Every nested-table access is a user access (15.25.5), so entries need U/S = 1; writes need R/W = 1 (no
 * CR0.WP override), fetches need XD = 0; guest page-table accesses are checked as writes. The walker always sets A and D in nested tables. A refusal is
 * a nested page fault (#VMEXIT 0x400). The memory type combines the host PAT type selected by the nested
 * leaf with the guest's gPAT type (VMCB 0x668); see DEVIATIONS.md for how.
 *
 * @param nCr3     the nested page-table root
 * @param host     the host paging format
 * @param hostPat  the host's PAT MSR (selects the nested leaf's memory type)
 * @param guestPat the VMCB's G_PAT
 */
public record NptFormat(long nCr3, X86PagingFormat host, long hostPat, long guestPat) implements SecondStageFormat {

    public static final long DEFAULT_PAT = 0x0007040600070406L;

    /** Long-mode 4-level nested tables at {@code nCr3}, default PATs. */
    public static NptFormat long4(long nCr3, int maxPhysAddr) {
        return new NptFormat(nCr3, X86PagingFormat.long4(maxPhysAddr), DEFAULT_PAT, DEFAULT_PAT);
    }

    @Override
    public PagingFormat paging() { return host; }

    @Override
    public long root() { return nCr3; }

    /**
     * Guest page-table accesses are nested-checked as writes (they are read-modify-writes that may set the guest's
     * A/D flags): the nested entries mapping guest page tables need R/W = 1, a refusal reports EXITINFO1 RW = 1 with
     * bit 33, and the nested leaf's D flag is set. Bochs walks them with BX_RW; kvm-unit-tests' npt_rw_pfwalk expects
     * EXITINFO1 0x2_0000_0007 on hardware for a read-only nested mapping of the guest's CR3 page; KVM notes that NPT
     * "always wants nested page table entries for the guest page tables to be writable". See DEVIATIONS.md.
     */
    @Override
    public boolean pagingStructureAccessesAreWrites() { return true; }

    @Override
    public boolean setsAccessedDirty() { return true; }

    @Override
    public boolean allows(int perms, Access access, boolean guestUserPage) {
        if ((perms & (Perm.R | Perm.U)) != (Perm.R | Perm.U)) {
            return false;
        }
        switch (access) {
            case READ: return true;
            case WRITE: return (perms & Perm.W) != 0;
            default: return (perms & Perm.XU) != 0;
        }
    }

    @Override
    public MemoryType memoryType(long leaf, int level, MemoryType guestPatType, boolean cacheDisabled) {
        if (cacheDisabled) {
            return MemoryType.UC;
        }
        MemoryType hostType = MemoryType.fromPat(hostPat, host.patIndex(leaf, level));
        if (hostType == MemoryType.UC_MINUS) {
            hostType = MemoryType.UC; // no MTRRs modelled: UC- acts as UC (SDM Vol. 3A Table 11-7, MTRR WB row)
        }
        return MemoryType.combine(hostType, guestPatType);
    }

    @Override
    public FaultDetail refusal(Refusal r) {
        return new FaultDetail.NestedPageFault(NpfExitInfo1.of(r), r.guestPhys());
    }
}
