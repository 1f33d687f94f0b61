package dev.hvsim.vmcs.controls;

/**
 * A value of the Primary processor-based VM-execution controls (SDM Vol. 3C 25.6.2; allowed settings in IA32_VMX_PROCBASED_CTLS / IA32_VMX_TRUE_PROCBASED_CTLS, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 32-bit control word
 */
public record PrimaryProcControls(int value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final int INTERRUPT_WINDOW_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "interruptWindowExiting");
    private static final int USE_TSC_OFFSETTING = C.mask32(ControlWord.PRIMARY_PROC, "useTscOffsetting");
    private static final int HLT_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "hltExiting");
    private static final int INVLPG_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "invlpgExiting");
    private static final int MWAIT_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "mwaitExiting");
    private static final int RDPMC_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "rdpmcExiting");
    private static final int RDTSC_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "rdtscExiting");
    private static final int CR3_LOAD_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "cr3LoadExiting");
    private static final int CR3_STORE_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "cr3StoreExiting");
    private static final int ACTIVATE_TERTIARY_CONTROLS = C.mask32(ControlWord.PRIMARY_PROC, "activateTertiaryControls");
    private static final int CR8_LOAD_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "cr8LoadExiting");
    private static final int CR8_STORE_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "cr8StoreExiting");
    private static final int USE_TPR_SHADOW = C.mask32(ControlWord.PRIMARY_PROC, "useTprShadow");
    private static final int NMI_WINDOW_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "nmiWindowExiting");
    private static final int MOV_DR_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "movDrExiting");
    private static final int UNCONDITIONAL_IO_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "unconditionalIoExiting");
    private static final int USE_IO_BITMAPS = C.mask32(ControlWord.PRIMARY_PROC, "useIoBitmaps");
    private static final int MONITOR_TRAP_FLAG = C.mask32(ControlWord.PRIMARY_PROC, "monitorTrapFlag");
    private static final int USE_MSR_BITMAPS = C.mask32(ControlWord.PRIMARY_PROC, "useMsrBitmaps");
    private static final int MONITOR_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "monitorExiting");
    private static final int PAUSE_EXITING = C.mask32(ControlWord.PRIMARY_PROC, "pauseExiting");
    private static final int ACTIVATE_SECONDARY_CONTROLS = C.mask32(ControlWord.PRIMARY_PROC, "activateSecondaryControls");

    @Override
    public ControlWord word() {
        return ControlWord.PRIMARY_PROC;
    }

    @Override
    public long bits() {
        return value & 0xffffffffL;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static PrimaryProcControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.PRIMARY_PROC, n).mask();
        }
        return new PrimaryProcControls((int) v);
    }

    /** Interrupt-window exiting. */
    public boolean interruptWindowExiting() {
        return (value & INTERRUPT_WINDOW_EXITING) != 0;
    }

    /** Use TSC offsetting. */
    public boolean useTscOffsetting() {
        return (value & USE_TSC_OFFSETTING) != 0;
    }

    /** HLT exiting. */
    public boolean hltExiting() {
        return (value & HLT_EXITING) != 0;
    }

    /** INVLPG exiting. */
    public boolean invlpgExiting() {
        return (value & INVLPG_EXITING) != 0;
    }

    /** MWAIT exiting. */
    public boolean mwaitExiting() {
        return (value & MWAIT_EXITING) != 0;
    }

    /** RDPMC exiting. */
    public boolean rdpmcExiting() {
        return (value & RDPMC_EXITING) != 0;
    }

    /** RDTSC exiting. */
    public boolean rdtscExiting() {
        return (value & RDTSC_EXITING) != 0;
    }

    /** CR3-load exiting. Default1 class. */
    public boolean cr3LoadExiting() {
        return (value & CR3_LOAD_EXITING) != 0;
    }

    /** CR3-store exiting. Default1 class. */
    public boolean cr3StoreExiting() {
        return (value & CR3_STORE_EXITING) != 0;
    }

    /** Activate tertiary controls. */
    public boolean activateTertiaryControls() {
        return (value & ACTIVATE_TERTIARY_CONTROLS) != 0;
    }

    /** CR8-load exiting. */
    public boolean cr8LoadExiting() {
        return (value & CR8_LOAD_EXITING) != 0;
    }

    /** CR8-store exiting. */
    public boolean cr8StoreExiting() {
        return (value & CR8_STORE_EXITING) != 0;
    }

    /** Use TPR shadow. */
    public boolean useTprShadow() {
        return (value & USE_TPR_SHADOW) != 0;
    }

    /** NMI-window exiting. */
    public boolean nmiWindowExiting() {
        return (value & NMI_WINDOW_EXITING) != 0;
    }

    /** MOV-DR exiting. */
    public boolean movDrExiting() {
        return (value & MOV_DR_EXITING) != 0;
    }

    /** Unconditional I/O exiting. */
    public boolean unconditionalIoExiting() {
        return (value & UNCONDITIONAL_IO_EXITING) != 0;
    }

    /** Use I/O bitmaps. */
    public boolean useIoBitmaps() {
        return (value & USE_IO_BITMAPS) != 0;
    }

    /** Monitor trap flag. */
    public boolean monitorTrapFlag() {
        return (value & MONITOR_TRAP_FLAG) != 0;
    }

    /** Use MSR bitmaps. */
    public boolean useMsrBitmaps() {
        return (value & USE_MSR_BITMAPS) != 0;
    }

    /** MONITOR exiting. */
    public boolean monitorExiting() {
        return (value & MONITOR_EXITING) != 0;
    }

    /** PAUSE exiting. */
    public boolean pauseExiting() {
        return (value & PAUSE_EXITING) != 0;
    }

    /** Activate secondary controls. */
    public boolean activateSecondaryControls() {
        return (value & ACTIVATE_SECONDARY_CONTROLS) != 0;
    }
}
