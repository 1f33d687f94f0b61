package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxEvaluator;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmx.EntryOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Shrinks a VM-entry case relative to a valid baseline (its guest mode's base): every field, memory qword and the
 * processor mode that differ from the baseline are put back one at a time, and a change is kept reverted when the
 * case still "fails the same way" (the predicate); fields of one group (a segment register's four fields, a
 * control's address and count: {@link #group}) are also tried together, since they are often valid only together.
 * Repeats until nothing can be reverted: the result is 1-minimal, the smallest set of differences (no single one,
 * and no single group, can be dropped) that still fails.
 */
public final class VmxShrinker {
    private VmxShrinker() {}

    /** Outcome, error / exit reason / qualification, and the deciding rules: what "fails the same way" compares. */
    public static String signature(EntryOutcome o) {
        String detail = o instanceof EntryOutcome.VmFailValid ? " error " + ((EntryOutcome.VmFailValid) o).error()
                : o instanceof EntryOutcome.EntryFailureExit ? " reason " + ((EntryOutcome.EntryFailureExit) o).reason()
                        + " qualification " + ((EntryOutcome.EntryFailureExit) o).qualification() : "";
        return o.kind() + detail + " " + VmxCase.ids(o.violations()).stream().sorted().toList();
    }

    /** Shrinks while the evaluator's outcome keeps the failing case's {@link #signature}. */
    public static VmxCase shrinkSameOutcome(VmxCase failing, VmxCase baseline, VmxEvaluator eval) {
        String sig = signature(eval.check(failing));
        return shrink(failing, baseline, c -> signature(eval.check(c)).equals(sig));
    }

    /** Shrinks while {@code stillFails} holds. */
    public static VmxCase shrink(VmxCase failing, VmxCase baseline, Predicate<VmxCase> stillFails) {
        VmxCase cur = failing;
        boolean changed = true;
        while (changed) {
            changed = false;
            if (cur.processorLma() != baseline.processorLma()) {
                VmxCase t = cur.withProcessorLma(baseline.processorLma());
                if (stillFails.test(t)) {
                    cur = t;
                    changed = true;
                }
            }
            List<VmcsField> keys = new ArrayList<>(cur.fields().keySet());
            keys.addAll(baseline.fields().keySet());
            for (VmcsField f : keys) {
                long b = baseline.fields().getOrDefault(f, 0L);
                if (cur.fields().getOrDefault(f, 0L) != b) {
                    VmxCase t = reverted(cur, baseline, List.of(f));
                    if (stillFails.test(t)) {
                        cur = t;
                        changed = true;
                    }
                }
            }
            // fields that only make sense together (a segment's selector, base, limit and access rights; a
            // control's address and count) cannot be reverted one at a time: try each group of them at once
            Map<String, List<VmcsField>> groups = new LinkedHashMap<>();
            for (VmcsField f : diff(cur, baseline).keySet()) {
                groups.computeIfAbsent(group(f.name()), k -> new ArrayList<>()).add(f);
            }
            for (List<VmcsField> g : groups.values()) {
                if (g.size() < 2) {
                    continue;
                }
                VmxCase t = reverted(cur, baseline, g);
                if (stillFails.test(t)) {
                    cur = t;
                    changed = true;
                }
            }
            for (Long a : new ArrayList<>(cur.memory().keySet())) {
                Map<Long, Long> m = new TreeMap<>(cur.memory());
                m.remove(a);
                VmxCase t = cur.withMemory(m);
                if (stillFails.test(t)) {
                    cur = t;
                    changed = true;
                }
            }
        }
        return cur;
    }

    /** {@code c} with {@code fields} put back to their baseline values (or removed where the baseline has none). */
    static VmxCase reverted(VmxCase c, VmxCase baseline, List<VmcsField> fields) {
        Map<VmcsField, Long> m = new LinkedHashMap<>(c.fields());
        for (VmcsField f : fields) {
            if (baseline.fields().containsKey(f)) {
                m.put(f, baseline.fields().get(f));
            } else {
                m.remove(f);
            }
        }
        return c.withFields(m);
    }

    /** The group of a field for reverting together: its first two name components (GUEST_ES, VM_ENTRY, ...). */
    static String group(String name) {
        int first = name.indexOf('_');
        int second = first < 0 ? -1 : name.indexOf('_', first + 1);
        return second < 0 ? name : name.substring(0, second);
    }

    /** The fields of {@code c} that differ from {@code baseline}. */
    public static Map<VmcsField, Long> diff(VmxCase c, VmxCase baseline) {
        Map<VmcsField, Long> d = new LinkedHashMap<>();
        for (VmcsField f : baseline.fields().keySet()) {
            long v = c.fields().getOrDefault(f, 0L);
            if (v != baseline.fields().get(f)) {
                d.put(f, v);
            }
        }
        c.fields().forEach((f, v) -> {
            if (!baseline.fields().containsKey(f) && v != 0) {
                d.put(f, v);
            }
        });
        return d;
    }
}
