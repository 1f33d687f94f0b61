package dev.hvsim.vmx;

import java.util.List;

/**
 * The outcome of VMLAUNCH/VMRESUME's checks (SDM Vol. 3C 28.1-28.4), sealed. {@link #violations()} are the
 * rule(s) the processor stops at (every violated rule of the first group that fails, in the SDM's order:
 * basic, controls, host state, guest state, MSR loading); {@link #all()} every violated rule of every group.
 */
public sealed interface EntryOutcome {

    enum Kind { ENTERED, VMFAIL_INVALID, VMFAIL_VALID, ENTRY_FAILURE }

    Kind kind();

    List<Violation> violations();

    List<Violation> all();

    /** VM entry succeeded. */
    record Entered() implements EntryOutcome {
        public Kind kind() { return Kind.ENTERED; }
        public List<Violation> violations() { return List.of(); }
        public List<Violation> all() { return List.of(); }
    }

    /** VMfailInvalid: no current VMCS (28.1). */
    record VmFailInvalid() implements EntryOutcome {
        public Kind kind() { return Kind.VMFAIL_INVALID; }
        public List<Violation> violations() { return List.of(); }
        public List<Violation> all() { return List.of(); }
    }

    /** VMfailValid(error): 4/5 launch state, 26 MOV SS, 7 controls, 8 host state. */
    record VmFailValid(int error, List<Violation> violations, List<Violation> all) implements EntryOutcome {
        public Kind kind() { return Kind.VMFAIL_VALID; }
    }

    /** A VM-entry failure: a VM exit with reason 33/34/41 and bit 31 set; host state is loaded. */
    record EntryFailureExit(int reason, long qualification, List<Violation> violations, List<Violation> all)
            implements EntryOutcome {
        public Kind kind() { return Kind.ENTRY_FAILURE; }
    }
}
