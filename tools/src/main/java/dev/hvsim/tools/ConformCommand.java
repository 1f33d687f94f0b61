package dev.hvsim.tools;

import dev.hvsim.conformance.campaign.Campaign;
import dev.hvsim.conformance.campaign.Failure;
import dev.hvsim.conformance.campaign.InterceptCases;
import dev.hvsim.conformance.campaign.RuleCoverage;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hvsim conform [--vendor intel|amd|both] [--cases N] [--seed S] [--out DIR]} (issue 9): the VM-entry and
 * VMRUN conformance properties and the intercept properties (VMX, SVM, cross-vendor with {@code both}) as a campaign on all cores (conformance-tests' {@link Campaign}, the engine of the
 * JUnit suite), with a progress line on stderr, every failure written to DIR as a check-vmcs / check-vmcb
 * description that reproduces it, and a summary (with the rule-coverage table) at the end. {@code --replay FILE}
 * re-runs an intercept failure's reproduction file.
 */
@Command(name = "conform", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run the VM-entry / VMRUN conformance properties on random states; failures become "
                + "check-vmcs / check-vmcb reproduction files.")
final class ConformCommand implements Callable<Integer> {
    private final Terminal term;

    @Option(names = "--vendor", paramLabel = "intel|amd|both", description = "Which model (default: ${DEFAULT-VALUE}).")
    String vendor = "both";

    @Option(names = "--cases", paramLabel = "N", description = "Cases per vendor (default: ${DEFAULT-VALUE}).")
    long cases = 10_000;

    @Option(names = "--seed", paramLabel = "S", description = "Campaign seed (default: a random one, printed).")
    Long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Write each failure's reproduction file and summary.json here.")
    Path out;

    @Option(names = "--threads", paramLabel = "T", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--replay", paramLabel = "FILE", description = "Replay an intercept reproduction file "
            + "(vmx-intercepts, svm-intercepts, cross-vendor-intercepts) instead of running a campaign.")
    Path replay;

    ConformCommand(Terminal term) {
        this.term = term;
    }

    @Override
    public Integer call() throws BadInputException {
        if (replay != null) {
            return replay();
        }
        boolean intel, amd;
        switch (vendor) {
            case "intel": intel = true; amd = false; break;
            case "amd": intel = false; amd = true; break;
            case "both": intel = true; amd = true; break;
            default: throw new BadInputException("--vendor must be intel, amd or both (got '" + vendor + "')");
        }
        if (cases < 1) {
            throw new BadInputException("--cases must be at least 1 (got " + cases + ")");
        }
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1 || t > 1024) {
            throw new BadInputException("--threads must be 1..1024 (got " + t + ")");
        }
        long s = seed != null ? seed : new SplittableRandom().nextLong();
        long total = cases * ((intel ? 1 : 0) + (amd ? 1 : 0));
        term.out().printf("conform: vendor %s, %d case(s) per vendor, seed %d, %d thread(s)%n", vendor, cases, s, t);
        long step = Math.max(1, total / 100);
        Campaign.Result r = Campaign.run(new Campaign.Config(intel, amd, cases, s, t), done -> {
            if (done % step == 0 || done == total) {
                synchronized (term) {
                    term.err().printf("\rconform: %d/%d cases", done, total);
                    if (done == total) {
                        term.err().println();
                    }
                }
            }
        });
        if (out != null) {
            try {
                r.write(out);
            } catch (java.io.UncheckedIOException e) {
                throw new BadInputException("cannot write to " + out + ": " + e.getCause().getMessage());
            }
        }
        term.out().print(r.coverage().table(intel, amd));
        if (!r.executed().isEmpty()) {
            StringBuilder ex = new StringBuilder("conform: executed properties:");
            r.executed().forEach((k, v) -> ex.append(' ').append(k).append(' ').append(v));
            term.out().println(ex);
        }
        for (Failure f : r.failures()) {
            term.out().println("FAIL " + f);
        }
        for (RuleCoverage.Row row : r.uncovered()) {
            term.out().println("NEVER VIOLATED " + row.vendor() + " " + row.id());
        }
        term.out().printf("conform: %d case(s), %d failure(s), %d rule(s) never violated, seed %d%s%n", r.casesRun(),
                r.failures().size(), r.uncovered().size(), s,
                out != null ? ", written to " + out : r.failures().isEmpty() ? "" : " (use --out DIR for reproduction files)");
        return r.passed() ? ExitStatus.HALTED : ExitStatus.CONFORMANCE_FAILED;
    }

    /** {@code --replay FILE}: status 0 when the property holds for the file's case, 8 when it still fails. */
    private int replay() throws BadInputException {
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(replay.toFile());
        } catch (java.io.IOException e) {
            throw new BadInputException("cannot read " + replay + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        InterceptCases.Replay r;
        try {
            r = InterceptCases.replay(n);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(replay + ": " + e.getMessage());
        }
        term.out().println("conform: replay " + r.property() + " " + replay + ": " + r.observed());
        if (r.problem() != null) {
            term.out().println("FAIL " + r.problem());
            return ExitStatus.CONFORMANCE_FAILED;
        }
        term.out().println("conform: the property holds");
        return ExitStatus.HALTED;
    }
}
