package dev.hvsim.vmcs.controls;

/**
 * A value of the Tertiary processor-based VM-execution controls (SDM Vol. 3C 25.6.2; allowed settings in IA32_VMX_PROCBASED_CTLS3, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 64-bit control word
 */
public record TertiaryProcControls(long value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final long LOADIWKEY_EXITING = C.mask64(ControlWord.TERTIARY_PROC, "loadiwkeyExiting");
    private static final long ENABLE_HLAT = C.mask64(ControlWord.TERTIARY_PROC, "enableHlat");
    private static final long EPT_PAGING_WRITE_CONTROL = C.mask64(ControlWord.TERTIARY_PROC, "eptPagingWriteControl");
    private static final long GUEST_PAGING_VERIFICATION = C.mask64(ControlWord.TERTIARY_PROC, "guestPagingVerification");
    private static final long IPI_VIRTUALIZATION = C.mask64(ControlWord.TERTIARY_PROC, "ipiVirtualization");
    private static final long GPAW_CONTROL = C.mask64(ControlWord.TERTIARY_PROC, "gpawControl");
    private static final long ENABLE_MSR_LIST_INSTRUCTIONS = C.mask64(ControlWord.TERTIARY_PROC, "enableMsrListInstructions");
    private static final long VIRTUALIZE_IA32_SPEC_CTRL = C.mask64(ControlWord.TERTIARY_PROC, "virtualizeIa32SpecCtrl");
    private static final long APIC_TIMER_VIRTUALIZATION = C.mask64(ControlWord.TERTIARY_PROC, "apicTimerVirtualization");

    @Override
    public ControlWord word() {
        return ControlWord.TERTIARY_PROC;
    }

    @Override
    public long bits() {
        return value;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static TertiaryProcControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.TERTIARY_PROC, n).mask();
        }
        return new TertiaryProcControls(v);
    }

    /** LOADIWKEY exiting. */
    public boolean loadiwkeyExiting() {
        return (value & LOADIWKEY_EXITING) != 0;
    }

    /** Enable HLAT. */
    public boolean enableHlat() {
        return (value & ENABLE_HLAT) != 0;
    }

    /** EPT paging-write control. */
    public boolean eptPagingWriteControl() {
        return (value & EPT_PAGING_WRITE_CONTROL) != 0;
    }

    /** Guest-paging verification. */
    public boolean guestPagingVerification() {
        return (value & GUEST_PAGING_VERIFICATION) != 0;
    }

    /** IPI virtualization. */
    public boolean ipiVirtualization() {
        return (value & IPI_VIRTUALIZATION) != 0;
    }

    /** GPAW (guest-physical-address width) control. Reference row: single source, see REFERENCE-NOTES.md. */
    public boolean gpawControl() {
        return (value & GPAW_CONTROL) != 0;
    }

    /** Enable MSR-list instructions (RDMSRLIST/WRMSRLIST). Reference row: sources disagree, see REFERENCE-NOTES.md. */
    public boolean enableMsrListInstructions() {
        return (value & ENABLE_MSR_LIST_INSTRUCTIONS) != 0;
    }

    /** Virtualize IA32_SPEC_CTRL. */
    public boolean virtualizeIa32SpecCtrl() {
        return (value & VIRTUALIZE_IA32_SPEC_CTRL) != 0;
    }

    /** APIC-timer virtualization. Reference row: single source, see REFERENCE-NOTES.md. */
    public boolean apicTimerVirtualization() {
        return (value & APIC_TIMER_VIRTUALIZATION) != 0;
    }
}
