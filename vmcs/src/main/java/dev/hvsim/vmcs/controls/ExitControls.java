package dev.hvsim.vmcs.controls;

/**
 * A value of the Primary VM-exit controls (SDM Vol. 3C 25.7.1; allowed settings in IA32_VMX_EXIT_CTLS / IA32_VMX_TRUE_EXIT_CTLS, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 32-bit control word
 */
public record ExitControls(int value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final int SAVE_DEBUG_CONTROLS = C.mask32(ControlWord.EXIT, "saveDebugControls");
    private static final int HOST_ADDRESS_SPACE_SIZE = C.mask32(ControlWord.EXIT, "hostAddressSpaceSize");
    private static final int LOAD_IA32_PERF_GLOBAL_CTRL = C.mask32(ControlWord.EXIT, "loadIa32PerfGlobalCtrl");
    private static final int ACKNOWLEDGE_INTERRUPT_ON_EXIT = C.mask32(ControlWord.EXIT, "acknowledgeInterruptOnExit");
    private static final int SAVE_IA32_PAT = C.mask32(ControlWord.EXIT, "saveIa32Pat");
    private static final int LOAD_IA32_PAT = C.mask32(ControlWord.EXIT, "loadIa32Pat");
    private static final int SAVE_IA32_EFER = C.mask32(ControlWord.EXIT, "saveIa32Efer");
    private static final int LOAD_IA32_EFER = C.mask32(ControlWord.EXIT, "loadIa32Efer");
    private static final int SAVE_VMX_PREEMPTION_TIMER_VALUE = C.mask32(ControlWord.EXIT, "saveVmxPreemptionTimerValue");
    private static final int CLEAR_IA32_BNDCFGS = C.mask32(ControlWord.EXIT, "clearIa32Bndcfgs");
    private static final int CONCEAL_VMX_FROM_PT = C.mask32(ControlWord.EXIT, "concealVmxFromPt");
    private static final int CLEAR_IA32_RTIT_CTL = C.mask32(ControlWord.EXIT, "clearIa32RtitCtl");
    private static final int CLEAR_IA32_LBR_CTL = C.mask32(ControlWord.EXIT, "clearIa32LbrCtl");
    private static final int CLEAR_UINV = C.mask32(ControlWord.EXIT, "clearUinv");
    private static final int LOAD_CET_STATE = C.mask32(ControlWord.EXIT, "loadCetState");
    private static final int LOAD_PKRS = C.mask32(ControlWord.EXIT, "loadPkrs");
    private static final int SAVE_IA32_PERF_GLOBAL_CTL = C.mask32(ControlWord.EXIT, "saveIa32PerfGlobalCtl");
    private static final int ACTIVATE_SECONDARY_CONTROLS = C.mask32(ControlWord.EXIT, "activateSecondaryControls");

    @Override
    public ControlWord word() {
        return ControlWord.EXIT;
    }

    @Override
    public long bits() {
        return value & 0xffffffffL;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static ExitControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.EXIT, n).mask();
        }
        return new ExitControls((int) v);
    }

    /** Save debug controls. Default1 class. */
    public boolean saveDebugControls() {
        return (value & SAVE_DEBUG_CONTROLS) != 0;
    }

    /** Host address-space size. */
    public boolean hostAddressSpaceSize() {
        return (value & HOST_ADDRESS_SPACE_SIZE) != 0;
    }

    /** Load IA32_PERF_GLOBAL_CTRL. */
    public boolean loadIa32PerfGlobalCtrl() {
        return (value & LOAD_IA32_PERF_GLOBAL_CTRL) != 0;
    }

    /** Acknowledge interrupt on exit. */
    public boolean acknowledgeInterruptOnExit() {
        return (value & ACKNOWLEDGE_INTERRUPT_ON_EXIT) != 0;
    }

    /** Save IA32_PAT. */
    public boolean saveIa32Pat() {
        return (value & SAVE_IA32_PAT) != 0;
    }

    /** Load IA32_PAT. */
    public boolean loadIa32Pat() {
        return (value & LOAD_IA32_PAT) != 0;
    }

    /** Save IA32_EFER. */
    public boolean saveIa32Efer() {
        return (value & SAVE_IA32_EFER) != 0;
    }

    /** Load IA32_EFER. */
    public boolean loadIa32Efer() {
        return (value & LOAD_IA32_EFER) != 0;
    }

    /** Save VMX-preemption timer value. */
    public boolean saveVmxPreemptionTimerValue() {
        return (value & SAVE_VMX_PREEMPTION_TIMER_VALUE) != 0;
    }

    /** Clear IA32_BNDCFGS. */
    public boolean clearIa32Bndcfgs() {
        return (value & CLEAR_IA32_BNDCFGS) != 0;
    }

    /** Conceal VMX from PT. */
    public boolean concealVmxFromPt() {
        return (value & CONCEAL_VMX_FROM_PT) != 0;
    }

    /** Clear IA32_RTIT_CTL. */
    public boolean clearIa32RtitCtl() {
        return (value & CLEAR_IA32_RTIT_CTL) != 0;
    }

    /** Clear IA32_LBR_CTL. */
    public boolean clearIa32LbrCtl() {
        return (value & CLEAR_IA32_LBR_CTL) != 0;
    }

    /** Clear UINV. */
    public boolean clearUinv() {
        return (value & CLEAR_UINV) != 0;
    }

    /** Load CET state. */
    public boolean loadCetState() {
        return (value & LOAD_CET_STATE) != 0;
    }

    /** Load PKRS. */
    public boolean loadPkrs() {
        return (value & LOAD_PKRS) != 0;
    }

    /** Save IA32_PERF_GLOBAL_CTL. */
    public boolean saveIa32PerfGlobalCtl() {
        return (value & SAVE_IA32_PERF_GLOBAL_CTL) != 0;
    }

    /** Activate secondary controls. */
    public boolean activateSecondaryControls() {
        return (value & ACTIVATE_SECONDARY_CONTROLS) != 0;
    }
}
