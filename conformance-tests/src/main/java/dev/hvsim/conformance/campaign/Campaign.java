package dev.hvsim.conformance.campaign;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A conformance campaign: {@code cases} cases per vendor from one seed, on {@code threads} workers, the engine behind
 * both the JUnit properties and {@code hvsim conform}. Case {@code i} has its own seed ({@link #caseSeed}), so the
 * result (failures, coverage) does not depend on the number of threads or their interleaving. Cases cycle through the
 * properties: valid states enter (and check-vmcs/check-vmcb agree with the engine), two single-rule mutants (the rules
 * in turn, so that {@code 2 x rules} cases cover every rule), several rules at once.
 */
public final class Campaign {
    /** What to run. */
    public record Config(boolean intel, boolean amd, long cases, long seed, int threads) {}

    /** What came out: failures in case order, rule coverage, cases run. */
    public record Result(Config config, List<Failure> failures, RuleCoverage coverage, long casesRun,
            Map<String, Long> executed) {
        /** Implemented rules never violated alone. */
        public List<RuleCoverage.Row> uncovered() {
            return coverage.neverViolated(config.intel(), config.amd());
        }

        public boolean passed() {
            return failures.isEmpty() && uncovered().isEmpty();
        }

        /** The summary as JSON (Jackson). */
        public String summaryJson() {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode n = m.createObjectNode();
            n.put("seed", config.seed());
            n.put("cases_per_vendor", config.cases());
            n.put("cases_run", casesRun);
            n.put("passed", passed());
            ObjectNode ex = n.putObject("executed");   // cases of each executed property (issue 9 a, b, c, e)
            executed.forEach(ex::put);
            ArrayNode fs = n.putArray("failures");
            for (Failure f : failures) {
                ObjectNode o = fs.addObject();
                o.put("vendor", f.vendor());
                o.put("property", f.property());
                o.put("case_seed", f.caseSeed());
                o.put("message", f.message());
                o.put("repro", f.repro());
            }
            ArrayNode cov = n.putArray("coverage");
            for (RuleCoverage.Row r : coverage.rows(config.intel(), config.amd())) {
                ObjectNode o = cov.addObject();
                o.put("vendor", r.vendor());
                o.put("rule", r.id());
                o.put("section", r.section());
                o.put("violated", r.count());
                o.put("status", r.status());
            }
            try {
                return m.writeValueAsString(n);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes every failure's reproduction file and summary.json into {@code dir}. */
        public void write(Path dir) {
            for (Failure f : failures) {
                if (f.repro() != null) {
                    try {
                        Repro.write(dir, f.repro(), (ObjectNode) new ObjectMapper().readTree(f.json()));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            try {
                java.nio.file.Files.createDirectories(dir);
                java.nio.file.Files.writeString(dir.resolve("summary.json"), summaryJson());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private Campaign() {}

    /** The seed of case {@code i} (SplitMix64 of the campaign seed and the index). */
    public static long caseSeed(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Runs the campaign; {@code progress} receives the number of cases done (from any worker thread). */
    public static Result run(Config cfg, LongConsumer progress) {
        int vendors = (cfg.intel() ? 1 : 0) + (cfg.amd() ? 1 : 0);
        long total = cfg.cases() * vendors;
        int threads = Math.max(1, cfg.threads());
        long chunk = Math.max(1, Math.min(256, total / (threads * 4L) + 1));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "conform");
            t.setDaemon(true);
            return t;
        });
        AtomicLong done = new AtomicLong();
        Map<String, java.util.concurrent.atomic.LongAdder> executed = new java.util.concurrent.ConcurrentHashMap<>();
        RuleCoverage coverage = new RuleCoverage();
        ThreadLocal<VmxProperties> vmx = ThreadLocal.withInitial(() -> new VmxProperties(coverage));
        ThreadLocal<SvmProperties> svm = ThreadLocal.withInitial(() -> new SvmProperties(coverage));
        List<Future<List<Failure>>> parts = new ArrayList<>();
        for (long start = 0; start < total; start += chunk) {
            long a = start, b = Math.min(total, start + chunk);
            parts.add(pool.submit(() -> {
                List<Failure> fs = new ArrayList<>();
                for (long j = a; j < b; j++) {
                    boolean intel = cfg.intel() && (!cfg.amd() || j % 2 == 0);
                    long i = vendors == 2 ? j / 2 : j;
                    long s = caseSeed(cfg.seed() ^ (intel ? 0 : 0x5a5a5a5aL), i);
                    Optional<Failure> f = intel ? vmxCase(vmx.get(), i, s) : svmCase(svm.get(), i, s, cfg.intel());
                    f.ifPresent(fs::add);
                    String ex = executedProperty(intel, i, cfg.intel() && cfg.amd());
                    if (ex != null) {
                        executed.computeIfAbsent(ex, k -> new java.util.concurrent.atomic.LongAdder()).increment();
                    }
                    progress.accept(done.incrementAndGet());
                }
                return fs;
            }));
        }
        List<Failure> failures = new ArrayList<>();
        try {
            for (Future<List<Failure>> p : parts) {
                failures.addAll(p.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("campaign interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("campaign worker failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        Map<String, Long> counts = new java.util.TreeMap<>();
        executed.forEach((k, v) -> counts.put(k, v.sum()));
        return new Result(cfg, List.copyOf(failures), coverage, done.get(), java.util.Collections.unmodifiableMap(counts));
    }

    /**
     * The executed property case {@code i} of a vendor runs (as {@link #vmxCase} / {@link #svmCase} dispatch), or
     * null; {@code both}: the campaign runs both vendors.
     */
    static String executedProperty(boolean intel, long i, boolean both) {
        if (i % 4 != 0) {
            return null;
        }
        long k = i / 16;
        if (!intel && (i / 4) % 4 == 3) {
            return both && k % 2 == 1 ? "cross-vendor-intercepts" : "svm-intercepts";
        }
        if ((i / 4) % 4 != 1) {
            return null;
        }
        return intel ? new String[] {"vmcall-round-trip", "vmx-protocol", "intercepts", "isolation"}[(int) (k % 4)]
                : SVM_EXECUTED[(int) (k % SVM_EXECUTED.length)];
    }

    static Optional<Failure> vmxCase(VmxProperties p, long i, long seed) {
        switch ((int) (i % 4)) {
            case 0: return (i / 4) % 4 == 1 ? executed(i / 16, seed) : p.validEnters(seed);
            case 1: return p.singleRule(seed, (int) ((i / 4) % VmxProperties.ruleCount()));
            case 2: return p.singleRule(seed, (int) ((i / 4 + VmxProperties.ruleCount() / 2) % VmxProperties.ruleCount()));
            default: return p.severalRules(seed);
        }
    }

    /**
     * Every fourth valid-state slot (case 4 of each 16) runs one of the executed properties on a root-mode CPU, in turn: the VMCALL round
     * trip, the VMX instruction protocol, an intercept snippet, isolation (issue 9 a, c, b, e).
     */
    static Optional<Failure> executed(long k, long seed) {
        dev.hvsim.conformance.gen.VmxCpu cpu = dev.hvsim.conformance.gen.VmxCpu.intelCore();
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        String property;
        String problem;
        switch ((int) (k % 4)) {
            case 0: {
                property = "vmcall-round-trip";
                dev.hvsim.conformance.gen.VmxCase c = new dev.hvsim.conformance.gen.VmcsGenerator(cpu).valid(r);
                long imageSeed = r.nextLong();
                problem = VmxRoundTrip.check(c, new java.util.SplittableRandom(imageSeed));
                if (problem != null) { // shrunk to the fewest fields, written as a check-vmcs description of its image
                    dev.hvsim.conformance.gen.VmxCase small = VmxRoundTrip.shrink(c, imageSeed);
                    return Optional.of(new Failure("intel", property, seed, problem + "; shrunk: "
                            + VmxShrinker.diff(small, dev.hvsim.conformance.gen.VmxCase.ofBase(cpu, small.mode())).size()
                            + " field(s) differ from the " + small.mode().base() + " base (image seed " + imageSeed
                            + ", VmxRoundTrip.check)", "intel-" + property + "-" + Long.toUnsignedString(seed, 16)
                            + ".json", Repro.text(Repro.checkVmcs(VmxRoundTrip.placed(small,
                                    new java.util.SplittableRandom(imageSeed)).vmxCase()))));
                }
                break;
            }
            case 1:
                property = "vmx-protocol";
                problem = VmxProtocol.check(cpu, r, 40);
                break;
            case 2:
                return InterceptCases.vmx(seed);   // shrunk, with its reproduction file
            default:
                property = "isolation";
                problem = VmxIsolation.check(cpu, r);
        }
        return problem == null ? Optional.empty()
                : Optional.of(new Failure("intel", property, seed, problem, null, null));
    }

    /**
     * SVM cases; of the valid-state slots, case 4 of each 16 runs an SVM executed property ({@link #svmExecuted}) and
     * case 12 an intercept snippet, or with both vendors every other time the cross-vendor intercept property.
     */
    static Optional<Failure> svmCase(SvmProperties p, long i, long seed, boolean both) {
        switch ((int) (i % 4)) {
            case 0:
                if ((i / 4) % 4 == 1) {
                    return svmExecuted(p, i / 16, seed);
                }
                if ((i / 4) % 4 == 3) {
                    return both && (i / 16) % 2 == 1 ? InterceptCases.crossVendor(seed) : InterceptCases.svm(seed);
                }
                return p.validEnters(seed);
            case 1: return p.singleRule(seed, (int) ((i / 4) % SvmProperties.ruleCount()));
            case 2: return p.singleRule(seed, (int) ((i / 4 + SvmProperties.ruleCount() / 2) % SvmProperties.ruleCount()));
            default: return p.severalRules(seed);
        }
    }

    /** The SVM executed properties, in the order {@link #svmExecuted} takes them. */
    static final String[] SVM_EXECUTED = {"svm-round-trip", "svm-protocol", "svm-isolation"};

    /**
     * Every fourth valid-state slot (case 4 of each 16) of the AMD cases runs one of the SVM executed properties on a
     * 64-bit host, in turn: the VMMCALL round trip under nested paging, the SVM instruction protocol, isolation under
     * nested paging (issue 9 a, c, e). A round-trip failure is shrunk to the fewest VMCB fields and written as a
     * check-vmcb description of its image; the others print their shrunk sequence / stream as replayable text.
     */
    static Optional<Failure> svmExecuted(SvmProperties p, long k, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        String property = SVM_EXECUTED[(int) (k % SVM_EXECUTED.length)];
        String problem;
        switch ((int) (k % SVM_EXECUTED.length)) {
            case 0: {
                dev.hvsim.conformance.gen.VmcbCase c = new dev.hvsim.conformance.gen.VmcbGenerator(SvmProtocol.AMD)
                        .validAnyMode(dev.hvsim.svm.VmcbBases.NAMES.get(r.nextInt(3)), r);
                long imageSeed = r.nextLong();
                problem = SvmRoundTrip.check(c, imageSeed);
                if (problem != null) {
                    dev.hvsim.conformance.gen.VmcbCase small = SvmRoundTrip.shrink(c, imageSeed);
                    return Optional.of(new Failure("amd", property, seed, problem + "; shrunk: "
                            + small.diffFromBase().size() + " field(s) differ from " + c.base() + " (image seed "
                            + imageSeed + ", SvmRoundTrip.check)", "amd-" + property + "-" + Long.toUnsignedString(seed, 16)
                            + ".json", Repro.text(Repro.checkVmcb(SvmRoundTrip.placed(small, imageSeed).vmcbCase()))));
                }
                break;
            }
            case 1: {
                java.util.Map<String, Integer> seen = new java.util.TreeMap<>();
                problem = SvmProtocol.check(r, 40, seen);
                // VMRUN's instruction-level rows of svm-misc.csv (#UD, #GP for CPL, #GP for rAX) the sequence provoked
                seen.forEach((key, n) -> {
                    if (key.startsWith("rule ")) {
                        for (int j = 0; j < n; j++) {
                            p.coverage().violatedSvm(key.substring(5));
                        }
                    }
                });
                break;
            }
            default:
                problem = SvmIsolation.check(r, new java.util.TreeMap<>());
        }
        return problem == null ? Optional.empty() : Optional.of(new Failure("amd", property, seed, problem, null, null));
    }
}
