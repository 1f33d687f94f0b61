package dev.hvsim.conformance.gen;

import dev.hvsim.svm.VmcbChecker;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.svm.VmrunRule;
import dev.hvsim.svm.VmrunRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * For every VMRUN rule ({@link VmrunRules#ALL}), a mutator that breaks exactly that rule of a valid VMCB and nothing
 * else: single changes of the rule's fields (each bit flipped, 0, all ones), recipes for rules that need a
 * combination (a PAE guest with a bad PDPTE in memory, a host without paging), then random pairs.
 */
public final class VmrunMutators {
    private static final int PAIR_TRIES = 300;

    /** Recipes: {@code FIELD+bit}, {@code FIELD-bit}, {@code FIELD=value}, {@code mem:ADDR=qword}, {@code hostcr0=V}. */
    public static final Map<String, String> RECIPES = Map.of(
            "SVM-VMRUN-INTERCEPT", "control.INTERCEPT_MISC2-0",
            "SVM-VMRUN-NP-HOSTPG", "hostcr0=0x60000011",
            "SVM-VMRUN-PAE-PDPTE", "control.NESTED_CTL=0 save.EFER-8 save.EFER-10 save.CS.attrib=0xc9b save.CR0+31 "
                    + "save.CR0+0 save.CR4+5 save.CR3=0x6000 mem:0x6000=0x1087",
            "SVM-VMRUN-LONG-CS-LD", "save.CS.attrib=0xe9b",
            "SVM-VMRUN-LME-PG-NOPAE", "save.CR4-5",
            "SVM-VMRUN-EVENTINJ", "control.EVENTINJ=0x80000502",
            // from CD = 1, NW = 0 no single bit flip breaks it (both flips give a legal pair): clear CD, set NW
            "SVM-VMRUN-CR0-CDNW", "save.CR0-30 save.CR0+29");

    private final VmrunEvaluator eval;

    public VmrunMutators(VmrunEvaluator eval) {
        this.eval = eval;
    }

    public static VmrunRule rule(String id) {
        return VmrunRules.ALL.stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no VMRUN rule " + id));
    }

    public boolean onlyViolates(VmcbCase c, VmrunRule rule) {
        VmrunOutcome o = eval.check(c);
        return o.violations().size() == 1 && o.violations().get(0).id().equals(rule.id());
    }

    public Optional<VmcbCase> breakOnly(VmrunRule rule, VmcbCase valid, SplittableRandom r) {
        String recipe = RECIPES.get(rule.id());
        if (recipe != null) {
            VmcbCase c = apply(recipe, valid);
            if (onlyViolates(c, rule)) {
                return Optional.of(c);
            }
        }
        List<UnaryOperator<VmcbCase>> singles = new ArrayList<>();
        for (String f : rule.fields()) {
            VmcbChecker.Slot s;
            try {
                s = VmcbChecker.Slot.of(f);
            } catch (IllegalArgumentException e) {
                continue;   // a name that is not a whole field (control.INTERCEPT_VMRUN): the recipes cover it
            }
            for (int b = 0; b < 8 * s.size(); b++) {
                long bit = 1L << b;
                singles.add(c -> c.with(f, c.get(f) ^ bit));
            }
            singles.add(c -> c.with(f, 0));
            singles.add(c -> c.with(f, s.mask()));
        }
        for (int i = singles.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            UnaryOperator<VmcbCase> t = singles.get(i);
            singles.set(i, singles.get(j));
            singles.set(j, t);
        }
        for (UnaryOperator<VmcbCase> m : singles) {
            VmcbCase c = m.apply(valid);
            if (onlyViolates(c, rule)) {
                return Optional.of(c);
            }
        }
        for (int i = 0; i < PAIR_TRIES && singles.size() > 1; i++) {
            VmcbCase c = singles.get(r.nextInt(singles.size())).apply(singles.get(r.nextInt(singles.size())).apply(valid));
            if (onlyViolates(c, rule)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    public static VmcbCase apply(String recipe, VmcbCase c) {
        for (String m : recipe.trim().split("\\s+")) {
            if (m.startsWith("hostcr0=")) {
                c = c.withHostCr0(Long.decode(m.substring(8)));
            } else if (m.startsWith("mem:")) {
                String[] kv = m.substring(4).split("=");
                c = c.withMemory(Long.decode(kv[0]), Long.decode(kv[1]));
            } else if (m.contains("=")) {
                String[] kv = m.split("=");
                c = c.with(kv[0], Long.decode(kv[1]));
            } else {
                int i = Math.max(m.lastIndexOf('+'), m.lastIndexOf('-'));
                String f = m.substring(0, i);
                long bit = 1L << Integer.parseInt(m.substring(i + 1));
                c = c.with(f, m.charAt(i) == '+' ? c.get(f) | bit : c.get(f) & ~bit);
            }
        }
        return c;
    }
}
