package dev.hvsim.vmx;

import java.util.List;

/**
 * A VM-entry rule that failed, with what is wrong in this instance.
 *
 * @param rule   the rule
 * @param detail what the snapshot holds that breaks it (may be empty)
 */
public record Violation(EntryRule rule, String detail) {
    public String id() { return rule.id(); }
    public String section() { return rule.section(); }
    public List<String> fields() { return rule.fields(); }

    /** The fix sentence, with the detail when there is one. */
    public String message() {
        return detail.isEmpty() ? rule.hint() : rule.hint() + " (" + detail + ")";
    }

    @Override
    public String toString() {
        return rule.id() + " (SDM " + rule.section() + "): " + message();
    }
}
