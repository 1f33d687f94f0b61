package dev.hvsim.ept;

import dev.hvsim.x86core.SecondStage;

/**
 * What the second stage knows about an access besides its guest-physical address and kind.
 *
 * @param pagingStructure   an access to a guest paging-structure entry (walk read, A/D write, PDPTE load)
 * @param guestLevel        for a paging-structure access: the guest level of the entry (0 if unknown)
 * @param linearValid       {@code linear} is meaningful
 * @param linear            the guest-linear address being translated
 * @param user              the access has user privilege
 * @param guestUserPage     final access: the guest translation is a user-mode address
 * @param guestWritablePage final access: the guest translation allows writes
 * @param guestNxPage       final access: the guest translation is execute-disable
 * @param guestPatType      the PAT memory type the guest selected for the access
 * @param cacheDisabled     CR0.CD = 1
 */
public record AccessContext(boolean pagingStructure, int guestLevel, boolean linearValid, long linear, boolean user,
        boolean guestUserPage, boolean guestWritablePage, boolean guestNxPage, MemoryType guestPatType,
        boolean cacheDisabled) {

    /** A final access to a supervisor, writable, executable guest page with PAT type WB. */
    public static AccessContext finalAccess(long linear) {
        return new AccessContext(false, 0, true, linear, false, false, true, false, MemoryType.WB, false);
    }

    /** A guest paging-structure access at {@code guestLevel} while translating {@code linear}. */
    public static AccessContext pagingStructure(long linear, int guestLevel, boolean user, MemoryType patType) {
        return new AccessContext(true, guestLevel, true, linear, user, false, false, false, patType, false);
    }

    /** From the core's {@link SecondStage} flags and the guest's PAT MSR value. */
    public static AccessContext fromCore(int flags, long linear, long guestPat) {
        return new AccessContext((flags & SecondStage.PAGING_STRUCTURE) != 0, 0, (flags & SecondStage.LINEAR_VALID) != 0,
                linear, (flags & SecondStage.USER) != 0, (flags & SecondStage.GUEST_USER_PAGE) != 0,
                (flags & SecondStage.GUEST_WRITABLE_PAGE) != 0, (flags & SecondStage.GUEST_NX_PAGE) != 0,
                MemoryType.fromPat(guestPat, (flags >>> SecondStage.PAT_SHIFT) & 7),
                (flags & SecondStage.CACHE_DISABLED) != 0);
    }
}
