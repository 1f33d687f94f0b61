package dev.hvsim.vmcs.msr;

import dev.hvsim.vmcs.controls.ControlBit;

/**
 * A control bit whose setting a capability MSR does not allow (SDM Vol. 3C Appendix A.3-A.5; the VM-entry
 * checks of 27.2.1.1 / 27.2.1.2 / 27.2.1.3 reject it with VMfailValid 7).
 *
 * @param bit      the bit
 * @param value    the setting found (0 or 1)
 * @param msr      the capability MSR that forbids it
 */
public record ControlViolation(ControlBit bit, int value, VmxMsr msr) {

    /** E.g. {@code bit 7 (HLT exiting) of the Primary ... controls is 1 but IA32_VMX_TRUE_PROCBASED_CTLS requires 0}. */
    public String message() {
        return bit.describe() + " is " + value + " but " + msr + " requires " + (1 - value);
    }

    @Override
    public String toString() {
        return message();
    }
}
