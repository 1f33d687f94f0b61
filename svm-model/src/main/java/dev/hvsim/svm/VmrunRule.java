package dev.hvsim.svm;

import java.util.List;

/**
 * One VMRUN consistency check (AMD APM Vol. 2 15.5.1 "Basic Operation", the list of illegal guest states; 15.20
 * for EVENTINJ), named as the row of {@code reference/svm-misc.csv} it implements ({@code SVM-VMRUN-CR0-CDNW}).
 * A violation is #VMEXIT with EXITCODE = VMEXIT_INVALID.
 *
 * @param id      the row id of svm-misc.csv
 * @param section the APM Vol. 2 section
 * @param fields  the VMCB fields (vmcb-layout.csv names, {@code save.CR0}) the rule reads
 * @param hint    one sentence on how to fix a violation
 * @param check   the predicate: true when violated
 */
public record VmrunRule(String id, String section, List<String> fields, String hint, Check check) {

    /** The predicate of a rule. */
    @FunctionalInterface
    public interface Check {
        boolean violated(VmcbSnapshot v, VmrunContext c);
    }

    static VmrunRule of(String id, String section, String fields, String hint, Check c) {
        return new VmrunRule(id, section, List.of(fields.split(" ")), hint, c);
    }
}
