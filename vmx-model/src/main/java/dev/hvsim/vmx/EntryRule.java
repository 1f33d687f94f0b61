package dev.hvsim.vmx;

import java.util.List;

/**
 * One VM-entry check of SDM Vol. 3C chapter "VM Entries" (28.2 controls and host state, 28.3 guest state, 28.4
 * MSR loading; 27.x in the 2016 edition), named as the row of {@code reference/vmentry-checks.csv} it implements.
 *
 * @param id            the row id ({@code GUEST-CR0-FIXED})
 * @param section       the SDM section (current numbering, as in the reference table)
 * @param kind          which group it belongs to, which decides the outcome of a failure
 * @param fields        the VMCS fields (symbols) the rule reads
 * @param hint          one sentence on how to fix a violation
 * @param qualification the exit qualification of a guest-state failure (0, 2 PDPTEs, 4 VMCS link pointer)
 * @param check         the predicate: true when the rule is violated
 */
public record EntryRule(String id, String section, Kind kind, List<String> fields, String hint, int qualification,
        Check check) {

    /** The SDM's groups, in the order VM entry applies them. */
    public enum Kind {
        /** 28.2.1 VM-execution, VM-exit and VM-entry control fields: VMfailValid(7). */
        CONTROL,
        /** 28.2.2-28.2.4 host state and address-space size: VMfailValid(8). */
        HOST,
        /** 28.3.1 guest state: VM-entry failure, exit reason 33. */
        GUEST,
        /** 28.4 MSR loading: VM-entry failure, exit reason 34, qualification = entry index + 1. */
        MSR_LOAD
    }

    /** The predicate of a rule. */
    @FunctionalInterface
    public interface Check {
        boolean violated(EntryState s);
    }

    static EntryRule control(String id, String section, String fields, String hint, Check c) {
        return new EntryRule(id, section, Kind.CONTROL, List.of(fields.split(" ")), hint, 0, c);
    }

    static EntryRule host(String id, String section, String fields, String hint, Check c) {
        return new EntryRule(id, section, Kind.HOST, List.of(fields.split(" ")), hint, 0, c);
    }

    static EntryRule guest(String id, String section, String fields, String hint, Check c) {
        return new EntryRule(id, section, Kind.GUEST, List.of(fields.split(" ")), hint, 0, c);
    }

    static EntryRule guest(String id, String section, String fields, String hint, int qualification, Check c) {
        return new EntryRule(id, section, Kind.GUEST, List.of(fields.split(" ")), hint, qualification, c);
    }
}
