package dev.hvsim.ept;

/**
 * The entry format of one kind of paging structure, as the one walker ({@link TwoStageWalker}) needs it:
 * how an address indexes a table at each level, how an entry is classified, what it grants and where it
 * points. Implemented by {@link X86PagingFormat} (guest paging; AMD nested tables, which use the host's
 * x86 format) and {@link EptFormat}. Levels are numbered as the manuals do: 1 = page table, 2 = page
 * directory, 3 = PDPT, 4 = PML4, 5 = PML5.
 */
public interface PagingFormat {

    /** The level of the root table (5, 4, 3 for PAE's PDPT, 2 for 32-bit paging). */
    int topLevel();

    /** Bytes per entry (8, or 4 for 32-bit paging). */
    int entrySize();

    /** The address of the entry that {@code address} selects in the level-{@code level} table at {@code table}. */
    long entryAddress(long table, long address, int level);

    /** The root table's address from the root pointer (CR3, EPTP, nCR3). */
    long rootTable(long root);

    /** Classifies an entry read at {@code level}. */
    EntryStatus classify(long entry, int level);

    /** The {@link Perm} bits this (usable) entry at {@code level} grants. */
    int permissions(long entry, int level);

    /** The next table's address ({@link EntryStatus#TABLE}) or the page's base ({@link EntryStatus#LEAF}). */
    long frame(long entry, int level);

    /** The page size of a leaf at {@code level}. */
    PageSize pageSize(int level);

    /** The accessed flag's mask in an entry (0 if the format has none at that level). */
    long accessedBit(int level);

    /** The dirty flag's mask in a leaf entry. */
    long dirtyBit();

    /** Human name of a level, for messages ("PML4E", "PDE" ...). */
    default String levelName(int level) {
        switch (level) {
            case 5: return "PML5E";
            case 4: return "PML4E";
            case 3: return "PDPTE";
            case 2: return "PDE";
            default: return "PTE";
        }
    }
}
