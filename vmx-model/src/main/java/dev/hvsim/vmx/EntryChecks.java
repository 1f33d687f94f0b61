package dev.hvsim.vmx;

import dev.hvsim.vmx.EntryOutcome.Entered;
import dev.hvsim.vmx.EntryOutcome.EntryFailureExit;
import dev.hvsim.vmx.EntryOutcome.VmFailValid;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks VMLAUNCH/VMRESUME apply to a VMCS snapshot, in the SDM's order (Vol. 3C 28.2 controls then host state,
 * 28.3 guest state, 28.4 MSR loading), as a pure function: no CPU state changes here. The 28.1 basic checks
 * (current VMCS, launch state, MOV SS blocking) are the instruction's ({@link VmxInstructions#vmlaunch}).
 *
 * <p>Within 28.2 the SDM lets the processor check controls and host state in any order; this model reports the
 * control failure (VMfailValid 7) when both groups fail (DEVIATIONS.md). Every violated rule is in
 * {@link EntryOutcome#all()}.
 */
public final class EntryChecks {
    private EntryChecks() {}

    /** Every rule the model implements, grouped and ordered as the SDM groups them (MSR loading last). */
    public static List<EntryRule> rules() {
        List<EntryRule> all = new ArrayList<>();
        all.addAll(ControlRules.EXECUTION);
        all.addAll(ControlRules.EXIT);
        all.addAll(ControlRules.ENTRY);
        all.addAll(HostRules.STATE);
        all.addAll(HostRules.ADDRESS_SPACE);
        all.addAll(GuestRegisterRules.CONTROL_REGISTERS);
        all.addAll(GuestSegmentRules.SEGMENTS);
        all.addAll(GuestRegisterRules.DESCRIPTOR_TABLES);
        all.addAll(GuestRegisterRules.RIP_RFLAGS);
        all.addAll(GuestNonRegisterRules.NON_REGISTER);
        all.addAll(GuestNonRegisterRules.PDPTES);
        all.addAll(MsrLoadRules.ALL);
        return all;
    }

    private static final Entered ENTERED = new Entered();

    static final List<EntryRule> STATE_RULES = rules().stream()
            .filter(r -> r.kind() != EntryRule.Kind.MSR_LOAD).toList();

    /** Every state rule held: MSR loading happens only after guest state passed (28.4); in all() only then. */
    private static EntryOutcome msrLoading(EntryState s) {
        MsrLoadRules.Result msr = MsrLoadRules.check(s);
        if (msr.entry() != 0) {
            return new EntryFailureExit(ExitReason.MSR_LOADING, msr.entry(), msr.violations(),
                    List.copyOf(msr.violations()));
        }
        return ENTERED;
    }

    /** Runs every rule on the snapshot and decides the outcome. */
    public static EntryOutcome check(VmcsSnapshot snapshot, EntryContext ctx) {
        return check(snapshot, ctx, null);
    }

    /**
     * {@link #check(VmcsSnapshot, EntryContext)} with the results of the previous check on this CPU reused where a
     * rule's inputs did not change ({@link EntryCheckMemo}); the outcome is the same.
     */
    static EntryOutcome check(VmcsSnapshot snapshot, EntryContext ctx, EntryCheckMemo memo) {
        EntryState s = memo != null ? memo.state(snapshot, ctx) : new EntryState(snapshot, ctx);
        // lists only when a rule fails: the common outcome (every rule holds) allocates none
        List<Violation> control = null, host = null, guest = null;
        List<EntryRule> rules = STATE_RULES;
        if (memo != null) {
            memo.begin(snapshot, ctx);
            if (memo.allHold(rules, s)) { // the common case: only the rules whose inputs changed ran
                memo.end();
                return msrLoading(s);
            }
        }
        for (int i = 0, n = rules.size(); i < n; i++) {
            EntryRule r = rules.get(i);
            if (memo == null ? r.check().violated(s) : memo.violated(i, r, s)) {
                Violation v = new Violation(r, "");
                switch (r.kind()) {
                    case CONTROL -> (control == null ? control = new ArrayList<>() : control).add(v);
                    case HOST -> (host == null ? host = new ArrayList<>() : host).add(v);
                    default -> (guest == null ? guest = new ArrayList<>() : guest).add(v);
                }
            }
        }
        if (memo != null) {
            memo.end();
        }
        if (control == null && host == null && guest == null) {
            return msrLoading(s);
        }
        List<Violation> all = new ArrayList<>();
        if (control != null) {
            all.addAll(control);
        }
        if (host != null) {
            all.addAll(host);
        }
        if (guest != null) {
            all.addAll(guest);
        }
        all = List.copyOf(all);
        if (control != null) {
            return new VmFailValid(VmInstructionError.ENTRY_INVALID_CONTROL, List.copyOf(control), all);
        }
        if (host != null) {
            return new VmFailValid(VmInstructionError.ENTRY_INVALID_HOST_STATE, List.copyOf(host), all);
        }
        // the qualification of the first failing rule in SDM order (0 default, 2 PDPTE, 4 link pointer)
        return new EntryFailureExit(ExitReason.INVALID_GUEST_STATE, guest.get(0).rule().qualification(),
                List.copyOf(guest), all);
    }
}
