package dev.hvsim.ept;

/**
 * A refused translation: which stage refused it, at which level of that stage's tables, for which access,
 * and whether it was on a guest paging-structure access or on the final guest-physical address. The
 * {@link #detail} is what the guest (#PF) or the VMM (EPT violation / misconfiguration, nested page
 * fault) is told. This is the payload of the {@link dev.hvsim.x86core.fault.VmExitSignal} the translators
 * throw.
 *
 * @param stage                  the stage that refused
 * @param level                  the level (5 .. 1) of the entry in that stage's tables that stopped the walk
 * @param guestLevel             for a nested refusal of a guest paging-structure access: that entry's guest level (0 if unknown)
 * @param access                 the access requested
 * @param onGuestPagingStructure the nested refusal was of a guest paging-structure access (walk read, A/D write, PDPTE load)
 * @param guestPhys              the guest-physical address refused (nested); 0 for a guest-stage fault
 * @param guestLinear            the linear address, when {@code linearValid}
 * @param linearValid            the linear address is known
 * @param detail                 the vendor's record
 * @param references             paging-structure memory references made before the refusal
 */
public record Fault(Stage stage, int level, int guestLevel, Access access, boolean onGuestPagingStructure,
        long guestPhys, long guestLinear, boolean linearValid, FaultDetail detail, int references) implements WalkResult {

    @Override
    public boolean translated() { return false; }

    /** The same fault with {@code more} references added (a nested fault inside a two-stage walk). */
    Fault plusReferences(int more) {
        return new Fault(stage, level, guestLevel, access, onGuestPagingStructure, guestPhys, guestLinear, linearValid,
                detail, references + more);
    }

    @Override
    public String toString() {
        return "Fault[" + stage + " level " + level + (guestLevel != 0 ? " (guest level " + guestLevel + ")" : "") + " "
                + access + (stage == Stage.NESTED ? onGuestPagingStructure ? " guest-paging-structure" : " final" : "")
                + " gpa=0x" + Long.toHexString(guestPhys) + (linearValid ? " gla=0x" + Long.toHexString(guestLinear) : "")
                + " " + detail + " refs=" + references + "]";
    }
}
