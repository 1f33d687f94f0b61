package dev.hvsim.svm;

import java.util.ArrayList;
import java.util.List;

/** VMRUN's consistency checks: pure, on a snapshot (no CPU state is touched). */
public final class VmrunChecks {
    private VmrunChecks() {}

    /** Runs every rule of {@link VmrunRules#ALL}; all failures are reported, the first is the one hardware reports. */
    public static VmrunOutcome check(VmcbSnapshot v, VmrunContext c) {
        List<VmrunViolation> out = new ArrayList<>();
        for (VmrunRule r : VmrunRules.ALL) {
            if (r.check().violated(v, c)) {
                out.add(new VmrunViolation(r));
            }
        }
        return out.isEmpty() ? new VmrunOutcome.Entered() : new VmrunOutcome.VmexitInvalid(out);
    }
}
