package dev.hvsim.vmcs.controls;

import java.util.ArrayList;
import java.util.List;

/**
 * A value of one VMX control word. Implemented by the per-word records ({@link PrimaryProcControls} ...),
 * whose named predicates are the usual way to read a bit.
 */
public interface ControlValue {

    /** The word this value belongs to. */
    ControlWord word();

    /** The raw value, zero-extended. */
    long bits();

    /** Whether the defined control {@code javaName} is 1; IllegalArgumentException for an unknown name. */
    default boolean isSet(String javaName) {
        return (bits() & ControlCatalogue.get().bit(word(), javaName).mask()) != 0;
    }

    /** The bits that are 1, defined or reserved, lowest first. */
    default List<ControlBit> setBits() {
        List<ControlBit> out = new ArrayList<>();
        for (ControlBit b : ControlCatalogue.get().bits(word())) {
            if ((bits() & b.mask()) != 0) {
                out.add(b);
            }
        }
        return out;
    }
}
