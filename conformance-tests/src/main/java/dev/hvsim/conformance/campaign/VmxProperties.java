package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmcsGenerator;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.conformance.gen.VmxEvaluator;
import dev.hvsim.conformance.gen.VmxMutators;
import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.EntryRule;
import dev.hvsim.vmx.Violation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The VM-entry properties (SDM Vol. 3C 28.2-28.4), one case at a time; not thread-safe (one per worker). Each method
 * returns the failure, shrunk and with its check-vmcs reproduction, or empty when the property held.
 */
public final class VmxProperties {
    private final List<VmxCpu> cpus = List.of(VmxCpu.intelCore(), VmxCpu.intelCoreRich());
    private final List<VmcsGenerator> gens = new ArrayList<>();
    private final List<VmxEvaluator> evals = new ArrayList<>();
    private final List<VmxMutators> mutators = new ArrayList<>();
    private final RuleCoverage coverage;
    private static final List<EntryRule> RULES = EntryChecks.rules();

    public VmxProperties(RuleCoverage coverage) {
        this.coverage = coverage;
        for (VmxCpu c : cpus) {
            gens.add(new VmcsGenerator(c));
            VmxEvaluator e = new VmxEvaluator(c);
            evals.add(e);
            mutators.add(new VmxMutators(e));
        }
    }

    public static int ruleCount() {
        return RULES.size();
    }

    /** Valid states enter, and the fast evaluator agrees with check-vmcs's VmcsChecker. */
    public Optional<Failure> validEnters(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = r.nextInt(cpus.size());
        VmxCase c = gens.get(k).valid(r);
        EntryOutcome o = evals.get(k).check(c);
        if (o.kind() != EntryOutcome.Kind.ENTERED) {
            return fail("valid-enters", seed, c, "a generated valid " + c.mode() + " state did not enter: " + o.all());
        }
        return agree(seed, c, o, k);
    }

    private Optional<Failure> agree(long seed, VmxCase c, EntryOutcome fast, int k) {
        EntryOutcome ref = c.check();
        if (!VmxShrinker.signature(ref).equals(VmxShrinker.signature(fast))
                || !VmxCase.ids(ref.all()).equals(VmxCase.ids(fast.all()))) {
            return fail("checker-agreement", seed, c, "check-vmcs says " + VmxShrinker.signature(ref)
                    + ", the engine " + VmxShrinker.signature(fast));
        }
        return Optional.empty();
    }

    /**
     * A mutant breaking only rule number {@code ruleIndex} fails with the rule's group outcome (VMfailValid 7 / 8,
     * exit reason 33 with the rule's qualification, 34) and names the rule. The rule is tried on the profile's own
     * capability set first, then on the richer one, over the guest modes in random order.
     */
    public Optional<Failure> singleRule(long seed, int ruleIndex) {
        SplittableRandom r = new SplittableRandom(seed);
        EntryRule rule = RULES.get(Math.floorMod(ruleIndex, RULES.size()));
        List<GuestMode> modes = new ArrayList<>(List.of(GuestMode.values()));
        java.util.Collections.shuffle(modes, new java.util.Random(r.nextLong()));
        for (int k = 0; k < cpus.size(); k++) {
            for (GuestMode m : modes) {
                VmxCase valid = gens.get(k).valid(m, r);
                Optional<VmxCase> mutant = mutators.get(k).breakOnly(rule, valid, r);
                if (mutant.isPresent()) {
                    return checkSingle(seed, rule, mutant.get(), k);
                }
            }
        }
        return Optional.of(new Failure("intel", "single-rule", seed, "no mutant breaks " + rule.id()
                + " alone in any guest mode or capability set", null, null));
    }

    private Optional<Failure> checkSingle(long seed, EntryRule rule, VmxCase c, int k) {
        EntryOutcome o = evals.get(k).check(c);
        String expected = expectedFor(rule.kind(), rule.qualification());
        String got = outcome(o);
        if (!VmxCase.ids(o.violations()).contains(rule.id()) && !VmxMutators.COMPANIONS.containsKey(rule.id())) {
            return fail("single-rule", seed, c, rule.id() + " is not among the reported rules " + VmxCase.ids(o.violations()));
        }
        if (!VmxMutators.COMPANIONS.containsKey(rule.id()) && !expected.equals(got)) {
            return fail("single-rule", seed, c, "breaking " + rule.id() + " (" + rule.kind() + ") should give "
                    + expected + ", got " + got);
        }
        coverage.violatedVmx(rule.id());
        return agree(seed, c, o, k);
    }

    static String expectedFor(EntryRule.Kind kind, long qualification) {
        switch (kind) {
            case CONTROL: return "VMfailValid(7)";
            case HOST: return "VMfailValid(8)";
            case GUEST: return "entry failure, exit reason 33, qualification " + qualification;
            default: return "entry failure, exit reason 34";
        }
    }

    static String outcome(EntryOutcome o) {
        if (o instanceof EntryOutcome.VmFailValid) {
            return "VMfailValid(" + ((EntryOutcome.VmFailValid) o).error() + ")";
        }
        if (o instanceof EntryOutcome.EntryFailureExit) {
            EntryOutcome.EntryFailureExit f = (EntryOutcome.EntryFailureExit) o;
            return "entry failure, exit reason " + f.reason() + (f.reason() == 33 ? ", qualification " + f.qualification() : "");
        }
        return o.kind().toString();
    }

    /**
     * Several rules broken at once (each by its own mutant of one valid case, the changes merged when they touch
     * different fields): the outcome is the one of the earliest group among the violated rules, in the SDM's order
     * (controls, host state, guest state, MSR loading; controls before host state by this model's choice, 28.2), and
     * every rule of that group that is violated is reported.
     */
    public Optional<Failure> severalRules(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = r.nextInt(cpus.size());
        GuestMode m = GuestMode.values()[r.nextInt(GuestMode.values().length)];
        VmxCase valid = gens.get(k).valid(m, r);
        VmxCase merged = valid;
        Set<String> touched = new HashSet<>();
        int n = 2 + r.nextInt(2);
        for (int i = 0; i < n; i++) {
            EntryRule rule = RULES.get(r.nextInt(RULES.size()));
            Optional<VmxCase> mu = mutators.get(k).breakOnly(rule, valid, r);
            if (mu.isEmpty()) {
                continue;
            }
            Map<String, Long> d = new LinkedHashMap<>();
            VmxShrinker.diff(mu.get(), valid).forEach((f, v) -> d.put(f.name(), v));
            boolean memory = !mu.get().memory().equals(valid.memory()) || mu.get().processorLma() != valid.processorLma();
            if (memory || d.keySet().stream().anyMatch(touched::contains)) {
                continue;
            }
            touched.addAll(d.keySet());
            for (Map.Entry<String, Long> e : d.entrySet()) {
                merged = merged.with(e.getKey(), e.getValue());
            }
        }
        EntryOutcome o = evals.get(k).check(merged);
        if (o.all().isEmpty()) {
            return o.kind() == EntryOutcome.Kind.ENTERED ? Optional.empty()
                    : fail("several-rules", seed, merged, "no rule violated but the outcome is " + outcome(o));
        }
        EntryRule.Kind first = null;
        for (Violation v : o.all()) {
            if (first == null || v.rule().kind().ordinal() < first.ordinal()) {
                first = v.rule().kind();
            }
        }
        EntryRule.Kind f = first;
        List<String> ofFirst = o.all().stream().filter(v -> v.rule().kind() == f).map(Violation::id).toList();
        long qual = o.all().stream().filter(v -> v.rule().kind() == f).findFirst().get().rule().qualification();
        String expected = expectedFor(first, qual);
        String got = outcome(o);
        boolean msr = first == EntryRule.Kind.MSR_LOAD;
        if (!(msr ? got.startsWith(expected) : got.equals(expected)) || !VmxCase.ids(o.violations()).containsAll(ofFirst)) {
            return fail("several-rules", seed, merged, "violated " + VmxCase.ids(o.all()) + ": expected " + expected
                    + " reporting " + ofFirst + ", got " + got + " reporting " + VmxCase.ids(o.violations()));
        }
        return agree(seed, merged, o, k);
    }

    private Optional<Failure> fail(String property, long seed, VmxCase c, String message) {
        VmxEvaluator e = evals.stream().filter(x -> x.cpu().name().equals(c.cpu().name())).findFirst().orElseThrow();
        VmxCase small = VmxShrinker.shrinkSameOutcome(c, VmxCase.ofBase(c.cpu(), c.mode()), e);
        String name = "intel-" + property + "-" + Long.toUnsignedString(seed, 16) + ".json";
        return Optional.of(new Failure("intel", property, seed, message + "; shrunk: "
                + VmxShrinker.diff(small, VmxCase.ofBase(c.cpu(), c.mode())).size() + " field(s) differ from "
                + c.mode().base(), name, Repro.text(Repro.checkVmcs(small))));
    }
}
