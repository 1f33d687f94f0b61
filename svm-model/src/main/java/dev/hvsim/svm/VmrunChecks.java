package dev.hvsim.svm;

import java.util.ArrayList;
import java.util.List;

/** VMRUN's consistency checks: pure, on a snapshot (no CPU state is touched). */
public final class VmrunChecks {
    private VmrunChecks() {}

    /** The outcome of a check that found no violation (one object: entering allocates nothing). */
    static final VmrunOutcome ENTERED = new VmrunOutcome.Entered();

    /** Runs every rule of {@link VmrunRules#ALL}; all failures are reported, the first is the one hardware reports. */
    public static VmrunOutcome check(VmcbSnapshot v, VmrunContext c) {
        List<VmrunViolation> out = null;
        for (VmrunRule r : VmrunRules.ALL) {
            if (r.check().violated(v, c)) {
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(new VmrunViolation(r));
            }
        }
        return out == null ? ENTERED : new VmrunOutcome.VmexitInvalid(out);
    }
}
