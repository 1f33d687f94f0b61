package dev.hvsim.vmcs;

/**
 * The launch state of a VMCS (SDM Vol. 3C 25.1): VMCLEAR makes it clear, a successful VMLAUNCH makes it
 * launched. hvsim keeps it in the VMCS region ({@link VmcsLayout#launchStateOffset()}).
 */
public enum LaunchState {
    /** After VMCLEAR; VMLAUNCH is allowed, VMRESUME fails (VMfailValid 5). Stored as 0. */
    CLEAR,
    /** After VMLAUNCH; VMRESUME is allowed, VMLAUNCH fails (VMfailValid 4). Stored as 1. */
    LAUNCHED;

    /** The value hvsim stores. */
    public int stored() {
        return ordinal();
    }

    /** The state a stored value means; anything but 1 reads as clear. */
    public static LaunchState ofStored(long v) {
        return v == 1 ? LAUNCHED : CLEAR;
    }
}
