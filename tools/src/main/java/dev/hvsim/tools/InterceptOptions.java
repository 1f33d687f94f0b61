package dev.hvsim.tools;

import dev.hvsim.vmm.InterceptPolicy;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The Java VMM's intercept policy on the command line ({@code run}, {@code gdb}, {@code bench}, {@code compare}):
 * {@code --intercept LIST} names what exits besides what always exits (CPUID, VMCALL/VMMCALL, triple faults,
 * nested page faults), and {@code --exit-cycles N} charges modelled cycles per exit. See {@link InterceptPolicy}.
 */
final class InterceptOptions {
    /** The names {@code --intercept} takes, in {@link InterceptPolicy}'s component order. */
    static final String NAMES = "io, msr, hlt, mmio, interrupts";

    @Option(names = "--intercept", paramLabel = "LIST",
            description = "With --virt: what exits to the VMM besides CPUID, hypercalls, triple faults and nested page"
                    + " faults, comma-separated: io (port I/O), msr (every RDMSR/WRMSR), hlt, mmio (device pages),"
                    + " interrupts (external interrupts exit and are injected by the VMM); none for nothing"
                    + " (default: io,hlt,mmio).")
    String intercept;

    @Option(names = "--exit-cycles", paramLabel = "N",
            description = "With --virt: modelled cycles charged per VM exit round trip, 0..1000000 (default: 0, the"
                    + " guest's timing is its bare timing).")
    Integer exitCycles;

    /** Whether either option was given (commands that need --virt for them reject them without it). */
    boolean given() {
        return intercept != null || exitCycles != null;
    }

    /** The policy the options describe, starting from {@link InterceptPolicy#defaults()}. */
    InterceptPolicy policy() throws BadInputException {
        InterceptPolicy d = InterceptPolicy.defaults();
        int cycles = exitCycles == null ? d.exitCycles() : exitCycles;
        if (cycles < 0 || cycles > 1_000_000) {
            throw new BadInputException("--exit-cycles must be 0..1000000, not " + cycles);
        }
        if (intercept == null) {
            return d.withExitCycles(cycles);
        }
        Set<String> on = parse(intercept);
        return new InterceptPolicy(on.contains("io"), on.contains("msr"), on.contains("hlt"), on.contains("mmio"),
                cycles, on.contains("interrupts"));
    }

    private static Set<String> parse(String list) throws BadInputException {
        Set<String> on = new LinkedHashSet<>();
        String trimmed = list.trim();
        if (trimmed.equalsIgnoreCase("none")) {
            return on;
        }
        for (String part : trimmed.split(",", -1)) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "io", "msr", "hlt", "mmio", "interrupts" -> {
                    if (!on.add(name)) {
                        throw new BadInputException("--intercept " + list + ": " + name + " is named twice");
                    }
                }
                case "" -> throw new BadInputException("--intercept " + list + ": empty name in the list (expected "
                        + NAMES + ", or none)");
                default -> throw new BadInputException("--intercept " + list + ": unknown intercept '" + part.trim()
                        + "' (expected " + NAMES + ", or none)");
            }
        }
        return on;
    }
}
