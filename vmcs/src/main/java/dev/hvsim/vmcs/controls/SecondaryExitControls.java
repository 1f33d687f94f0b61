package dev.hvsim.vmcs.controls;

/**
 * A value of the Secondary VM-exit controls (SDM Vol. 3C 25.7.1; allowed settings in IA32_VMX_EXIT_CTLS2, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 64-bit control word
 */
public record SecondaryExitControls(long value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final long SAVE_IA32_FRED = C.mask64(ControlWord.SECONDARY_EXIT, "saveIa32Fred");
    private static final long LOAD_IA32_FRED = C.mask64(ControlWord.SECONDARY_EXIT, "loadIa32Fred");
    private static final long LOAD_HOST_IA32_SPEC_CTRL = C.mask64(ControlWord.SECONDARY_EXIT, "loadHostIa32SpecCtrl");
    private static final long PREMATURELY_BUSY_SHADOW_STACK = C.mask64(ControlWord.SECONDARY_EXIT, "prematurelyBusyShadowStack");

    @Override
    public ControlWord word() {
        return ControlWord.SECONDARY_EXIT;
    }

    @Override
    public long bits() {
        return value;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static SecondaryExitControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.SECONDARY_EXIT, n).mask();
        }
        return new SecondaryExitControls(v);
    }

    /** Save IA32_FRED. */
    public boolean saveIa32Fred() {
        return (value & SAVE_IA32_FRED) != 0;
    }

    /** Load IA32_FRED. */
    public boolean loadIa32Fred() {
        return (value & LOAD_IA32_FRED) != 0;
    }

    /** Load host IA32_SPEC_CTRL. Reference row: single source, see REFERENCE-NOTES.md. */
    public boolean loadHostIa32SpecCtrl() {
        return (value & LOAD_HOST_IA32_SPEC_CTRL) != 0;
    }

    /** Prematurely busy shadow stack. */
    public boolean prematurelyBusyShadowStack() {
        return (value & PREMATURELY_BUSY_SHADOW_STACK) != 0;
    }
}
