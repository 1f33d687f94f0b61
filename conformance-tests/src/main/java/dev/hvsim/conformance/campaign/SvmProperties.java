package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.conformance.gen.VmrunEvaluator;
import dev.hvsim.conformance.gen.VmrunMutators;
import dev.hvsim.svm.VmcbBases;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.svm.VmrunRule;
import dev.hvsim.svm.VmrunRules;
import dev.hvsim.x86core.CpuProfile;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Predicate;

/** The VMRUN properties (AMD APM Vol. 2 15.5.1, 15.20, 15.25), one case at a time; one per worker. */
public final class SvmProperties {
    private final CpuProfile profile = CpuProfile.load("amd-zen");
    private final VmcbGenerator gen = new VmcbGenerator(profile);
    private final VmrunEvaluator eval = new VmrunEvaluator(profile);
    private final VmrunMutators mutators = new VmrunMutators(eval);
    private final RuleCoverage coverage;
    private static final List<VmrunRule> RULES = VmrunRules.ALL;

    public SvmProperties(RuleCoverage coverage) {
        this.coverage = coverage;
    }

    /** The coverage this worker counts into. */
    public RuleCoverage coverage() {
        return coverage;
    }

    public static int ruleCount() {
        return RULES.size();
    }

    /** Valid VMCBs pass VMRUN's checks, and the engine agrees with check-vmcb's VmcbChecker. */
    public Optional<Failure> validEnters(long seed) {
        VmcbCase c = gen.valid(new SplittableRandom(seed));
        VmrunOutcome o = eval.check(c);
        if (o.kind() != VmrunOutcome.Kind.ENTERED) {
            return fail("valid-enters", seed, c, "a generated valid " + c.base() + " VMCB failed: "
                    + VmcbCase.ids(o.violations()));
        }
        return agree(seed, c, o);
    }

    private Optional<Failure> agree(long seed, VmcbCase c, VmrunOutcome fast) {
        VmrunOutcome ref = c.check();
        if (ref.kind() != fast.kind() || !VmcbCase.ids(ref.violations()).equals(VmcbCase.ids(fast.violations()))) {
            return fail("checker-agreement", seed, c, "check-vmcb says " + VmcbCase.ids(ref.violations())
                    + ", the engine " + VmcbCase.ids(fast.violations()));
        }
        return Optional.empty();
    }

    /** A mutant breaking only one rule gives VMEXIT_INVALID naming exactly that rule. */
    public Optional<Failure> singleRule(long seed, int ruleIndex) {
        SplittableRandom r = new SplittableRandom(seed);
        VmrunRule rule = RULES.get(Math.floorMod(ruleIndex, RULES.size()));
        int first = r.nextInt(VmcbBases.NAMES.size());
        for (int attempt = 0; attempt < VmcbBases.NAMES.size(); attempt++) {
            String base = VmcbBases.NAMES.get((attempt + first) % VmcbBases.NAMES.size());
            Optional<VmcbCase> mu = mutators.breakOnly(rule, gen.valid(base, r), r);
            if (mu.isPresent()) {
                VmrunOutcome o = eval.check(mu.get());
                if (o.kind() != VmrunOutcome.Kind.VMEXIT_INVALID || !VmcbCase.ids(o.violations()).equals(List.of(rule.id()))) {
                    return fail("single-rule", seed, mu.get(), "breaking " + rule.id() + " should give VMEXIT_INVALID "
                            + "naming it, got " + o.kind() + " " + VmcbCase.ids(o.violations()));
                }
                coverage.violatedSvm(rule.id());
                return agree(seed, mu.get(), o);
            }
        }
        return Optional.of(new Failure("amd", "single-rule", seed, "no mutant breaks " + rule.id() + " alone", null, null));
    }

    /** Several rules broken at once (disjoint fields): VMEXIT_INVALID naming every rule violated, in table order. */
    public Optional<Failure> severalRules(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        VmcbCase valid = gen.valid(r);
        VmcbCase merged = valid;
        Set<String> touched = new HashSet<>(), broken = new HashSet<>();
        for (int i = 0; i < 2 + r.nextInt(2); i++) {
            VmrunRule rule = RULES.get(r.nextInt(RULES.size()));
            Optional<VmcbCase> mu = mutators.breakOnly(rule, valid, r);
            if (mu.isEmpty() || !mu.get().memory().equals(valid.memory()) || mu.get().hostCr0() != valid.hostCr0()) {
                continue;
            }
            Map<String, Long> d = new TreeMap<>();
            mu.get().fields().forEach((k, v) -> {
                if (valid.get(k) != v) {
                    d.put(k, v);
                }
            });
            if (d.keySet().stream().anyMatch(touched::contains)) {
                continue;
            }
            touched.addAll(d.keySet());
            broken.add(rule.id());
            for (Map.Entry<String, Long> e : d.entrySet()) {
                merged = merged.with(e.getKey(), e.getValue());
            }
        }
        // the rules whose own predicates hold on the merged VMCB (a change may lift another rule's precondition),
        // in svm-misc.csv order: VMRUN reports exactly those, the first being what hardware reports
        VmrunOutcome o = eval.check(merged);
        dev.hvsim.svm.VmcbSnapshot snap = dev.hvsim.svm.VmcbSnapshot.of(merged.image());
        dev.hvsim.svm.VmrunContext ctx = eval.context(merged);
        List<String> expected = RULES.stream().filter(x -> x.check().violated(snap, ctx)).map(VmrunRule::id).toList();
        boolean ok = expected.isEmpty() ? o.kind() == VmrunOutcome.Kind.ENTERED
                : o.kind() == VmrunOutcome.Kind.VMEXIT_INVALID && VmcbCase.ids(o.violations()).equals(expected);
        if (!ok) {
            return fail("several-rules", seed, merged, "broke " + broken + " (violated now: " + expected + "), got "
                    + o.kind() + " " + VmcbCase.ids(o.violations()));
        }
        return agree(seed, merged, o);
    }

    private Optional<Failure> fail(String property, long seed, VmcbCase c, String message) {
        String sig = eval.check(c).kind() + " " + VmcbCase.ids(eval.check(c).violations());
        VmcbCase small = shrink(c, VmcbCase.ofBase(profile, c.base()), x -> (eval.check(x).kind() + " "
                + VmcbCase.ids(eval.check(x).violations())).equals(sig));
        String name = "amd-" + property + "-" + Long.toUnsignedString(seed, 16) + ".json";
        return Optional.of(new Failure("amd", property, seed, message + "; shrunk: " + small.diffFromBase().size()
                + " field(s) differ from " + c.base(), name, Repro.text(Repro.checkVmcb(small))));
    }

    /** Shrinks a VMCB case relative to its base while {@code stillFails} (see {@link VmxShrinker}). */
    public static VmcbCase shrink(VmcbCase failing, VmcbCase baseline, Predicate<VmcbCase> stillFails) {
        VmcbCase cur = failing;
        boolean changed = true;
        while (changed) {
            changed = false;
            if (cur.hostCr0() != baseline.hostCr0() && stillFails.test(cur.withHostCr0(baseline.hostCr0()))) {
                cur = cur.withHostCr0(baseline.hostCr0());
                changed = true;
            }
            for (String k : new java.util.ArrayList<>(cur.fields().keySet())) {
                long b = baseline.get(k);
                if (cur.get(k) != b) {
                    VmcbCase t = cur.with(k, b);
                    if (stillFails.test(t)) {
                        cur = t;
                        changed = true;
                    }
                }
            }
            for (Long a : new java.util.ArrayList<>(cur.memory().keySet())) {
                Map<Long, Long> m = new TreeMap<>(cur.memory());
                m.remove(a);
                if (stillFails.test(cur.withMemory(m))) {
                    cur = cur.withMemory(m);
                    changed = true;
                }
            }
        }
        return cur;
    }
}
