package dev.hvsim.ept;

import java.util.List;

/** The outcome of {@link Eptp#validate}: valid, or invalid with the names of the failed rules. */
public sealed interface EptpCheck permits EptpCheck.Valid, EptpCheck.Invalid {

    boolean valid();

    /** The EPTP passes every check. */
    record Valid(Eptp eptp) implements EptpCheck {
        @Override
        public boolean valid() { return true; }
    }

    /** The EPTP fails: a VM entry with it fails with VMfailValid(7), "invalid control field(s)". */
    record Invalid(Eptp eptp, List<String> failedRules) implements EptpCheck {
        @Override
        public boolean valid() { return false; }
    }
}
