package dev.hvsim.ept;

/**
 * EXITINFO1 of a nested page fault (#VMEXIT 0x400), AMD APM Vol. 2 15.25.6 "Nested versus Guest Page
 * Faults, Fault Ordering": a #PF-style error code in the low bits plus bit 32 (the fault was on the final
 * guest-physical address of the access) and bit 33 (it was on a guest page-table access), as
 * {@code reference/npf-exit-info.csv} lists them.
 */
public record NpfExitInfo1(long raw) {
    public static final int P = 0, RW = 1, US = 2, RSVD = 3, ID = 4, FINAL_GUEST_PHYS = 32, GUEST_PAGE_TABLE = 33;

    private boolean bit(int b) {
        return (raw >>> b & 1) != 0;
    }

    /** Bit 0: 1 = protection violation (or reserved bit), 0 = not present. */
    public boolean present() { return bit(P); }
    /** Bit 1: the access was a write. */
    public boolean write() { return bit(RW); }
    /** Bit 2: user access; nested-table accesses are always user accesses (APM 15.25.5), so always 1. */
    public boolean user() { return bit(US); }
    /** Bit 3: a reserved bit was set in a nested page-table entry. */
    public boolean reservedBit() { return bit(RSVD); }
    /** Bit 4: the access was an instruction fetch. */
    public boolean fetch() { return bit(ID); }
    /** Bit 32: the fault was on the final guest-physical address of the access. */
    public boolean finalGuestPhys() { return bit(FINAL_GUEST_PHYS); }
    /** Bit 33: the fault was on a guest page-table access (the guest's own walk, an A/D update or a PDPTE load). */
    public boolean guestPageTable() { return bit(GUEST_PAGE_TABLE); }

    /** The low 32 bits: the #PF-style error code. */
    public int errorCode() { return (int) raw; }

    static NpfExitInfo1 of(SecondStageFormat.Refusal r) {
        long v = 1L << US;
        if (r.status() != EntryStatus.NOT_PRESENT) {
            v |= 1L << P;
        }
        if (r.status() == EntryStatus.RESERVED_BIT || r.status() == EntryStatus.BAD_PAGE_SIZE) {
            v |= 1L << RSVD;
        }
        if (r.effective() == Access.WRITE) {
            v |= 1L << RW;
        }
        if (r.access() == Access.EXECUTE && !r.context().pagingStructure()) {
            v |= 1L << ID;
        }
        v |= r.context().pagingStructure() ? 1L << GUEST_PAGE_TABLE : 1L << FINAL_GUEST_PHYS;
        return new NpfExitInfo1(v);
    }

    @Override
    public String toString() {
        return "NpfExitInfo1[0x" + Long.toHexString(raw) + (present() ? " P" : " !P") + (write() ? " W" : "")
                + (user() ? " U" : "") + (reservedBit() ? " RSVD" : "") + (fetch() ? " ID" : "")
                + (finalGuestPhys() ? " final" : "") + (guestPageTable() ? " guest-page-table" : "") + "]";
    }
}
