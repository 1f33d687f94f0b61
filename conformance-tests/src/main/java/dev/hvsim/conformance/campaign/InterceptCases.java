package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmxCpu;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The intercept properties as campaign cases (issue 9 b and the cross-vendor property): one random snippet and
 * configuration per case from the case seed; a failure is shrunk ({@link VmxIntercepts#shrink},
 * {@link SvmIntercepts#shrink}, {@link CrossVendorIntercepts#shrink}) and carries its reproduction file
 * ({@code <vendor>-<property>-<seed>.json}), which the classes' {@code fromRepro} read back for {@code run}.
 */
public final class InterceptCases {
    private InterceptCases() {}

    /** A VMX snippet: three cases in four in 64-bit mode, else a row of another guest mode. */
    public static Optional<Failure> vmx(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        VmxCpu cpu = VmxCpu.intelCore();
        VmxIntercepts.Trial t;
        if (r.nextInt(4) != 0) {
            t = VmxIntercepts.generate(cpu, r, VmxIntercepts.CATALOGUE.get(r.nextInt(VmxIntercepts.CATALOGUE.size())));
        } else {
            GuestMode mode = VmxIntercepts.OTHER_MODES.get(r.nextInt(VmxIntercepts.OTHER_MODES.size()));
            List<VmxIntercepts.Snippet> rows = VmxIntercepts.modeRows(mode);
            t = VmxIntercepts.generate(cpu, r, rows.get(r.nextInt(rows.size())), mode);
        }
        String p = VmxIntercepts.run(t).problem();
        if (p == null) {
            return Optional.empty();
        }
        VmxIntercepts.Trial small = VmxIntercepts.shrink(t);
        return Optional.of(new Failure("intel", "intercepts", seed, p, "intel-intercepts-" + Long.toUnsignedString(seed)
                + ".json", Repro.text(VmxIntercepts.repro(small, VmxIntercepts.run(small).problem()))));
    }

    /** An SVM snippet of {@link SvmIntercepts#CATALOGUE} (64-bit guest) or {@link SvmIntercepts#legacyRows} (32-bit). */
    public static Optional<Failure> svm(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean legacy = r.nextInt(4) == 0;       // one case in four in the 32-bit protected-mode guest
        List<SvmIntercepts.Snippet> rows = legacy ? SvmIntercepts.legacyRows() : SvmIntercepts.CATALOGUE;
        SvmIntercepts.Trial t = SvmIntercepts.generate(r, rows.get(r.nextInt(rows.size())), legacy);
        String p = SvmIntercepts.run(t).problem();
        if (p == null) {
            return Optional.empty();
        }
        SvmIntercepts.Trial small = SvmIntercepts.shrink(t);
        return Optional.of(new Failure("amd", "intercepts", seed, p, "amd-intercepts-" + Long.toUnsignedString(seed)
                + ".json", Repro.text(SvmIntercepts.repro(small, SvmIntercepts.run(small).problem()))));
    }

    /** A cross-vendor case (campaigns with both vendors). */
    public static Optional<Failure> crossVendor(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        CrossVendorIntercepts.Trial t = CrossVendorIntercepts.generate(r,
                CrossVendorIntercepts.SNIPPETS.get(r.nextInt(CrossVendorIntercepts.SNIPPETS.size())));
        String p = CrossVendorIntercepts.run(t).problem();
        if (p == null) {
            return Optional.empty();
        }
        CrossVendorIntercepts.Trial small = CrossVendorIntercepts.shrink(t);
        return Optional.of(new Failure("both", "cross-vendor-intercepts", seed, p, "both-cross-vendor-intercepts-"
                + Long.toUnsignedString(seed) + ".json", CrossVendorIntercepts.reproText(small)));
    }

    /** What replaying a reproduction file gave: the property, what was observed, and the problem (null: it held). */
    public record Replay(String property, String observed, String problem) {}

    /**
     * Replays an intercept reproduction file ({@code vmx-intercepts}, {@code svm-intercepts},
     * {@code cross-vendor-intercepts}) with the catalogue's expectation; IllegalArgumentException naming what is wrong
     * with a file that is not one.
     */
    public static Replay replay(com.fasterxml.jackson.databind.JsonNode n) {
        String property = n.path("property").asText("");
        try {
            switch (property) {
                case "vmx-intercepts": {
                    VmxIntercepts.Result r = VmxIntercepts.run(VmxIntercepts.fromRepro(n));
                    return new Replay(property, r.raw() == null ? "-" : String.format("reason %d qualification %x",
                            r.raw().reason(), r.raw().qualification()), r.problem());
                }
                case "svm-intercepts": {
                    SvmIntercepts.Result r = SvmIntercepts.run(SvmIntercepts.fromRepro(n));
                    return new Replay(property, "-", r.problem());
                }
                case "cross-vendor-intercepts": {
                    CrossVendorIntercepts.Result r = CrossVendorIntercepts.run(CrossVendorIntercepts.fromRepro(n));
                    return new Replay(property, "Intel " + r.intel() + ", AMD " + r.amd()
                            + (r.documented() == null ? "" : " (documented: " + r.documented() + ")"), r.problem());
                }
                default:
                    throw new IllegalArgumentException("not an intercept reproduction file (property '" + property
                            + "'; expected vmx-intercepts, svm-intercepts or cross-vendor-intercepts)");
            }
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException(property + " reproduction file is missing or has a malformed key", e);
        }
    }
}
