package dev.hvsim.vmcs.controls;

/**
 * A value of the VM-entry controls (SDM Vol. 3C 25.8.1; allowed settings in IA32_VMX_ENTRY_CTLS / IA32_VMX_TRUE_ENTRY_CTLS, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 32-bit control word
 */
public record EntryControls(int value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final int LOAD_DEBUG_CONTROLS = C.mask32(ControlWord.ENTRY, "loadDebugControls");
    private static final int IA32E_MODE_GUEST = C.mask32(ControlWord.ENTRY, "ia32eModeGuest");
    private static final int ENTRY_TO_SMM = C.mask32(ControlWord.ENTRY, "entryToSmm");
    private static final int DEACTIVATE_DUAL_MONITOR_TREATMENT = C.mask32(ControlWord.ENTRY, "deactivateDualMonitorTreatment");
    private static final int LOAD_IA32_PERF_GLOBAL_CTRL = C.mask32(ControlWord.ENTRY, "loadIa32PerfGlobalCtrl");
    private static final int LOAD_IA32_PAT = C.mask32(ControlWord.ENTRY, "loadIa32Pat");
    private static final int LOAD_IA32_EFER = C.mask32(ControlWord.ENTRY, "loadIa32Efer");
    private static final int LOAD_IA32_BNDCFGS = C.mask32(ControlWord.ENTRY, "loadIa32Bndcfgs");
    private static final int CONCEAL_VMX_FROM_PT = C.mask32(ControlWord.ENTRY, "concealVmxFromPt");
    private static final int LOAD_IA32_RTIT_CTL = C.mask32(ControlWord.ENTRY, "loadIa32RtitCtl");
    private static final int LOAD_UINV = C.mask32(ControlWord.ENTRY, "loadUinv");
    private static final int LOAD_CET_STATE = C.mask32(ControlWord.ENTRY, "loadCetState");
    private static final int LOAD_GUEST_IA32_LBR_CTL = C.mask32(ControlWord.ENTRY, "loadGuestIa32LbrCtl");
    private static final int LOAD_PKRS = C.mask32(ControlWord.ENTRY, "loadPkrs");
    private static final int LOAD_IA32_FRED = C.mask32(ControlWord.ENTRY, "loadIa32Fred");
    private static final int LOAD_GUEST_IA32_SPEC_CTRL = C.mask32(ControlWord.ENTRY, "loadGuestIa32SpecCtrl");

    @Override
    public ControlWord word() {
        return ControlWord.ENTRY;
    }

    @Override
    public long bits() {
        return value & 0xffffffffL;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static EntryControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.ENTRY, n).mask();
        }
        return new EntryControls((int) v);
    }

    /** Load debug controls. Default1 class. */
    public boolean loadDebugControls() {
        return (value & LOAD_DEBUG_CONTROLS) != 0;
    }

    /** IA-32e mode guest. */
    public boolean ia32eModeGuest() {
        return (value & IA32E_MODE_GUEST) != 0;
    }

    /** Entry to SMM. */
    public boolean entryToSmm() {
        return (value & ENTRY_TO_SMM) != 0;
    }

    /** Deactivate dual-monitor treatment. */
    public boolean deactivateDualMonitorTreatment() {
        return (value & DEACTIVATE_DUAL_MONITOR_TREATMENT) != 0;
    }

    /** Load IA32_PERF_GLOBAL_CTRL. */
    public boolean loadIa32PerfGlobalCtrl() {
        return (value & LOAD_IA32_PERF_GLOBAL_CTRL) != 0;
    }

    /** Load IA32_PAT. */
    public boolean loadIa32Pat() {
        return (value & LOAD_IA32_PAT) != 0;
    }

    /** Load IA32_EFER. */
    public boolean loadIa32Efer() {
        return (value & LOAD_IA32_EFER) != 0;
    }

    /** Load IA32_BNDCFGS. */
    public boolean loadIa32Bndcfgs() {
        return (value & LOAD_IA32_BNDCFGS) != 0;
    }

    /** Conceal VMX from PT. */
    public boolean concealVmxFromPt() {
        return (value & CONCEAL_VMX_FROM_PT) != 0;
    }

    /** Load IA32_RTIT_CTL. */
    public boolean loadIa32RtitCtl() {
        return (value & LOAD_IA32_RTIT_CTL) != 0;
    }

    /** Load UINV. */
    public boolean loadUinv() {
        return (value & LOAD_UINV) != 0;
    }

    /** Load CET state. */
    public boolean loadCetState() {
        return (value & LOAD_CET_STATE) != 0;
    }

    /** Load guest IA32_LBR_CTL. */
    public boolean loadGuestIa32LbrCtl() {
        return (value & LOAD_GUEST_IA32_LBR_CTL) != 0;
    }

    /** Load PKRS. */
    public boolean loadPkrs() {
        return (value & LOAD_PKRS) != 0;
    }

    /** Load IA32_FRED. */
    public boolean loadIa32Fred() {
        return (value & LOAD_IA32_FRED) != 0;
    }

    /** Load guest IA32_SPEC_CTRL. Reference row: single source, see REFERENCE-NOTES.md. */
    public boolean loadGuestIa32SpecCtrl() {
        return (value & LOAD_GUEST_IA32_SPEC_CTRL) != 0;
    }
}
