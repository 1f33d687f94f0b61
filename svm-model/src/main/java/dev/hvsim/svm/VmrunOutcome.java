package dev.hvsim.svm;

import java.util.List;

/**
 * The outcome of VMRUN's consistency checks (ARCHITECTURE.md "VM entry: snapshot, check, commit"): entered, or
 * VMEXIT_INVALID with every violated rule. Java 17: dispatch on {@link #kind()}.
 */
public sealed interface VmrunOutcome permits VmrunOutcome.Entered, VmrunOutcome.VmexitInvalid {
    enum Kind { ENTERED, VMEXIT_INVALID }

    Kind kind();

    /** The rules that failed (empty when entered); the first is the one hardware would report. */
    List<VmrunViolation> violations();

    record Entered() implements VmrunOutcome {
        public Kind kind() { return Kind.ENTERED; }
        public List<VmrunViolation> violations() { return List.of(); }
    }

    record VmexitInvalid(List<VmrunViolation> violations) implements VmrunOutcome {
        public VmexitInvalid {
            violations = List.copyOf(violations);
        }
        public Kind kind() { return Kind.VMEXIT_INVALID; }
    }
}
