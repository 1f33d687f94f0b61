package dev.hvsim.ept;

/** What a paging-structure entry is, as the walker classifies it at a given level. */
public enum EntryStatus {
    /** References the next-level table. */
    TABLE,
    /** Maps a page. */
    LEAF,
    /** Not present: EPT bits 2:0 (and bit 10 under mode-based execute) all 0; x86 P = 0. */
    NOT_PRESENT,
    /** A reserved bit is set (including address bits at or above MAXPHYADDR): EPT misconfiguration / #PF RSVD. */
    RESERVED_BIT,
    /** EPT leaf memory type 2, 3 or 7 (SDM Vol. 3C 29.3.3.1): EPT misconfiguration. */
    BAD_MEMORY_TYPE,
    /** EPT bits 2:0 write-only or write/execute, or execute-only without the capability: EPT misconfiguration. */
    BAD_PERMISSIONS,
    /** Page-size bit set where that page size does not exist (PML4E, or a size the profile lacks). */
    BAD_PAGE_SIZE;

    public boolean usable() {
        return this == TABLE || this == LEAF;
    }
}
