package dev.hvsim.vmcs.controls;

/**
 * A value of the Pin-based VM-execution controls (SDM Vol. 3C 25.6.1; allowed settings in IA32_VMX_PINBASED_CTLS / IA32_VMX_TRUE_PINBASED_CTLS, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 32-bit control word
 */
public record PinBasedControls(int value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final int EXTERNAL_INTERRUPT_EXITING = C.mask32(ControlWord.PIN_BASED, "externalInterruptExiting");
    private static final int NMI_EXITING = C.mask32(ControlWord.PIN_BASED, "nmiExiting");
    private static final int VIRTUAL_NMIS = C.mask32(ControlWord.PIN_BASED, "virtualNmis");
    private static final int ACTIVATE_VMX_PREEMPTION_TIMER = C.mask32(ControlWord.PIN_BASED, "activateVmxPreemptionTimer");
    private static final int PROCESS_POSTED_INTERRUPTS = C.mask32(ControlWord.PIN_BASED, "processPostedInterrupts");

    @Override
    public ControlWord word() {
        return ControlWord.PIN_BASED;
    }

    @Override
    public long bits() {
        return value & 0xffffffffL;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static PinBasedControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.PIN_BASED, n).mask();
        }
        return new PinBasedControls((int) v);
    }

    /** External-interrupt exiting. */
    public boolean externalInterruptExiting() {
        return (value & EXTERNAL_INTERRUPT_EXITING) != 0;
    }

    /** NMI exiting. */
    public boolean nmiExiting() {
        return (value & NMI_EXITING) != 0;
    }

    /** Virtual NMIs. */
    public boolean virtualNmis() {
        return (value & VIRTUAL_NMIS) != 0;
    }

    /** Activate VMX-preemption timer. */
    public boolean activateVmxPreemptionTimer() {
        return (value & ACTIVATE_VMX_PREEMPTION_TIMER) != 0;
    }

    /** Process posted interrupts. */
    public boolean processPostedInterrupts() {
        return (value & PROCESS_POSTED_INTERRUPTS) != 0;
    }
}
