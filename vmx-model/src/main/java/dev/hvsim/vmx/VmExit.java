package dev.hvsim.vmx;

/**
 * One VM exit as the VMM sees it (SDM Vol. 3C 25.9 "VM-Exit Information Fields"): the basic reason, whether it
 * is a VM-entry failure, the exit qualification, VM-exit instruction length and instruction information,
 * VM-exit interruption information and error code, and the guest RIP the exit saved. The same values are in the
 * VMCS's exit-information fields; this record is what {@code Cpu.lastVmExit()} holds after
 * {@code StopReason.VM_EXIT}.
 *
 * @param reason             basic exit reason (bits 15:0 of the exit-reason field)
 * @param entryFailure       bit 31 of the exit-reason field
 * @param qualification      exit qualification (0 when the reason has none)
 * @param instructionLength  VM-exit instruction length (0 when not defined for the reason)
 * @param instructionInfo    VM-exit instruction information (0 when not defined)
 * @param interruptionInfo   VM-exit interruption information (0 when not valid)
 * @param interruptionError  VM-exit interruption error code
 * @param guestRip           the guest RIP saved in the VMCS (the host RIP for a VM-entry failure)
 */
public record VmExit(int reason, boolean entryFailure, long qualification, int instructionLength, int instructionInfo,
        int interruptionInfo, int interruptionError, long guestRip) {

    /** The exit-reason field as stored: basic reason plus bit 31 for a VM-entry failure. */
    public int exitReasonField() {
        return reason | (entryFailure ? ExitReason.ENTRY_FAILURE_BIT : 0);
    }
}
