package dev.hvsim.ept;

/**
 * A successful translation.
 *
 * @param hostPhys    the host-physical address
 * @param permissions the {@link Perm} bits both stages grant (ANDed; the guest stage's U/S in {@link Perm#U})
 * @param pageSize    the page size (a two-stage translation is as large as its smaller stage)
 * @param memoryType  the effective memory type
 * @param dirty       a write through this translation needs no further A/D update (dirty flags set, or none kept)
 * @param references  paging-structure memory references made
 */
public record Translated(long hostPhys, int permissions, PageSize pageSize, MemoryType memoryType, boolean dirty,
        int references) implements WalkResult {

    @Override
    public boolean translated() { return true; }

    @Override
    public String toString() {
        return "Translated[hpa=0x" + Long.toHexString(hostPhys) + " " + Perm.toString(permissions) + " " + pageSize
                + " " + memoryType + (dirty ? " dirty" : "") + " refs=" + references + "]";
    }
}
