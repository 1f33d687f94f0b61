package dev.hvsim.ept;

/**
 * What parameterises the second stage of the one walker: the entry format and root, and the vendor's
 * rules for permissions, A/D flags, memory type and the fault record. {@link EptFormat} is Intel's
 * (SDM Vol. 3C ch. 29 "VMX Support for Address Translation", 29.3 "EPT"; 2016 edition ch. 28, 28.2);
 * {@link NptFormat} is AMD's (APM Vol. 2 15.25 "Nested Paging").
 */
public sealed interface SecondStageFormat permits EptFormat, NptFormat {

    /** The entry format of the second-stage tables. */
    PagingFormat paging();

    /** The root pointer (EPTP or nCR3). */
    long root();

    /**
     * Guest paging-structure accesses count as writes: EPT with A/D flags (SDM Vol. 3C 29.3.3.2, 29.3.5), and AMD
     * nested paging always ({@link NptFormat#pagingStructureAccessesAreWrites}).
     */
    boolean pagingStructureAccessesAreWrites();

    /** Whether the walker sets accessed/dirty flags in the second-stage tables. */
    boolean setsAccessedDirty();

    /**
     * Whether the ANDed {@link Perm} bits of a second-stage translation allow the access.
     *
     * @param guestUserPage the guest translation is a user-mode address (selects EPT XU under mode-based execute)
     */
    boolean allows(int perms, Access access, boolean guestUserPage);

    /** The effective memory type of an access through {@code leaf} at {@code level}. */
    MemoryType memoryType(long leaf, int level, MemoryType guestPatType, boolean cacheDisabled);

    /** The vendor's record for a refused access. */
    FaultDetail refusal(Refusal r);

    /**
     * Everything a vendor needs to describe a refusal.
     *
     * @param status          the classification of the entry that stopped the walk ({@link EntryStatus#LEAF}
     *                        or {@link EntryStatus#TABLE} for a permission refusal)
     * @param entry           that entry
     * @param level           its level
     * @param permissions     the {@link Perm} bits ANDed over the entries used (0 when one was not present)
     * @param access          the access requested
     * @param effective       the access as the second stage checked it (a write for EPT A/D paging-structure reads)
     * @param guestPhys       the guest-physical address
     * @param context         the access's context
     */
    record Refusal(EntryStatus status, long entry, int level, int permissions, Access access, Access effective,
            long guestPhys, AccessContext context) {}
}
