package dev.hvsim.ept;

/**
 * The guest's paging state for the guest stage of a two-stage walk (SDM Vol. 3A ch. 4).
 *
 * @param format        the guest paging format; null when paging is off (CR0.PG = 0)
 * @param cr3           guest CR3
 * @param writeProtect  CR0.WP
 * @param smep          CR4.SMEP
 * @param pat           the guest's IA32_PAT
 * @param cacheDisabled CR0.CD
 */
public record GuestPaging(X86PagingFormat format, long cr3, boolean writeProtect, boolean smep, long pat,
        boolean cacheDisabled) {

    /** 4-level guest paging at {@code cr3} with CR0.WP = 1, default PAT. */
    public static GuestPaging long4(long cr3, int maxPhysAddr) {
        return new GuestPaging(X86PagingFormat.long4(maxPhysAddr), cr3, true, false, NptFormat.DEFAULT_PAT, false);
    }

    /** Paging off: linear addresses are guest-physical. */
    public static GuestPaging off() {
        return new GuestPaging(null, 0, false, false, NptFormat.DEFAULT_PAT, false);
    }
}
