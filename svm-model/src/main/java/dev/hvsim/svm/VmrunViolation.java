package dev.hvsim.svm;

import java.util.List;

/** A VMRUN rule that failed. */
public record VmrunViolation(VmrunRule rule) {
    public String id() { return rule.id(); }
    public String section() { return rule.section(); }
    public List<String> fields() { return rule.fields(); }
    public String message() { return rule.hint(); }

    @Override
    public String toString() {
        return rule.id() + " (APM Vol. 2 " + rule.section() + "): " + rule.hint();
    }
}
