package dev.hvsim.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hvsim.benchmarks.BenchException;
import dev.hvsim.benchmarks.BenchResult;
import dev.hvsim.benchmarks.BenchRunner;
import dev.hvsim.benchmarks.PagingStats;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.vmm.InterceptPolicy;
import dev.hvsim.vmm.Virt;
import dev.hvsim.vmm.Vmm;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hvsim bench}: guest MIPS of the compute benchmark guest, measured by {@link BenchRunner}
 * (a warm-up run, then repeated runs for the time budget; median and best).
 */
@Command(name = "bench", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Measure guest MIPS (instructions retired / wall time) of the compute benchmark guest,",
            "or the VM exit round trip of an x86 hypervisor guest (vmx-exit-loop, svm-exit-loop)",
            "or of the Java VMM (--virt vmx|svm, e.g. with the exits guest);",
            "TLB hits and misses and page-walk references of every guest (vmx-ept-walk, svm-npt-walk:",
            "a guest under EPT / nested paging, 24 references per cold 4-level-on-4-level walk).",
            "Warm-up runs while --warmup lasts (at least one), then at least 3 measured runs, more while",
            "--seconds lasts (at most 2000)."})
final class BenchCommand implements Callable<Integer> {
    private final Terminal term;

    @Option(names = "--seconds", paramLabel = "S", description = "Time budget for measured runs (default: ${DEFAULT-VALUE}).")
    double seconds = 10;

    @Option(names = "--warmup", paramLabel = "S", description = {"Time for warm-up runs before measuring, so that",
        "HotSpot has compiled the hot paths (default: a quarter of --seconds; 0: one warm-up run)."})
    Double warmup;

    @Option(names = "--guest", paramLabel = "NAME", description = "Benchmark guest (default: ${DEFAULT-VALUE}; bench-small is quicker).")
    String guest = "bench";

    @Option(names = "--vendor", paramLabel = "intel|amd", description = {"CPU vendor (default: amd for the svm-* guests,",
        "intel otherwise)."})
    String vendor;

    @Option(names = "--virt", paramLabel = "vmx|svm|none",
            description = {"Run the guest under the Java VMM (vmx: intel-core, svm: amd-zen) and report VM exits per",
                "second and microseconds per exit round trip (the exits guest is the exit-heavy one)."})
    String virt = "none";

    @Mixin
    InterceptOptions intercepts = new InterceptOptions();

    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    boolean json;

    @Option(names = "--jit", arity = "1", paramLabel = "on|off", converter = JitSwitch.class,
            description = "Translate hot 64-bit code into JVM bytecode (default: on, or the system property hvsim.jit).")
    Boolean jit;

    BenchCommand(Terminal term) {
        this.term = term;
    }

    @Override
    public Integer call() throws BadInputException {
        if (!(seconds > 0 && seconds < 1e6)) {
            throw new BadInputException("--seconds must be a positive number, not " + seconds);
        }
        double warmupSeconds = warmup != null ? warmup : seconds / 4;
        if (!(warmupSeconds >= 0 && warmupSeconds < 1e6)) {
            throw new BadInputException("--warmup must be a number of seconds from 0, not " + warmup);
        }
        Virt v;
        try {
            v = Virt.parse(virt);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (v == Virt.NONE && intercepts.given()) {
            throw new BadInputException((intercepts.intercept != null ? "--intercept" : "--exit-cycles")
                    + " needs --virt vmx or svm");
        }
        InterceptPolicy policy = intercepts.policy();
        byte[] elf = GuestImages.elf(guest);
        CpuProfile profile = CpuProfile.forVendor(vendor(v));
        BenchRunner runner = new BenchRunner(profile,
                BenchRunner.Options.forBudget(Duration.ofNanos((long) (seconds * 1e9)),
                        Duration.ofNanos((long) (warmupSeconds * 1e9))));
        if (!json) {
            term.out().printf("hvsim bench: guest %s on %s%s, %.1f s warm-up, %.1f s budget, block translation %s...%n",
                    guest, profile.name(), v == Virt.NONE ? "" : " under the Java VMM (" + virt + ")", warmupSeconds,
                    seconds,
                    jitOn() ? "on" : "off");
            term.out().flush();
        }
        BenchResult result;
        try {
            result = runner.run(guest, m -> {
                m.loadElf(elf);
                if (jit != null) {
                    m.cpus().forEach(c -> c.setJit(jit));
                }
                if (v != Virt.NONE) {
                    Vmm vmm = Vmm.attach(m, v, policy);
                    if (v == Virt.VMX) {
                        vmm.enableNestedVirtualization(); // as hvsim run --virt vmx: the x86 VMX guests run nested
                    }
                }
            });
        } catch (LoadException e) {
            throw new BadInputException("guest " + guest + ": " + e.getMessage());
        } catch (BenchException e) {
            term.error(e.getMessage());
            int status = ExitStatus.of(e.outcome());
            return status == ExitStatus.HALTED ? ExitStatus.SHUTDOWN : status;
        }
        term.out().println(json ? json(result, jitOn(), v.name().toLowerCase(Locale.ROOT)) : text(result));
        return ExitStatus.HALTED;
    }

    /**
     * --vendor, or the one --virt implies (vmx: Intel, svm: AMD), or the guest's own: the SVM hypervisor guests
     * (svm-*) need an AMD profile, every other guest Intel's.
     */
    private Vendor vendor(Virt v) throws BadInputException {
        Vendor implied = v == Virt.SVM ? Vendor.AMD : v == Virt.VMX ? Vendor.INTEL : null;
        if (vendor == null) {
            return implied != null ? implied : guest.startsWith("svm-") ? Vendor.AMD : Vendor.INTEL;
        }
        Vendor chosen;
        switch (vendor.toLowerCase(Locale.ROOT)) {
            case "intel": chosen = Vendor.INTEL; break;
            case "amd": chosen = Vendor.AMD; break;
            default: throw new BadInputException("--vendor must be intel or amd, not " + vendor);
        }
        if (implied != null && implied != chosen) {
            throw new BadInputException("--virt " + virt + " needs --vendor " + (implied == Vendor.AMD ? "amd" : "intel"));
        }
        return chosen;
    }

    /** Whether the runs translate hot code: --jit, else the system property hvsim.jit (default on). */
    private boolean jitOn() {
        return jit != null ? jit : !"false".equalsIgnoreCase(System.getProperty("hvsim.jit", "true"));
    }

    /** The human-readable report (with a VM-exit line for a hypervisor guest). */
    static String text(BenchResult r) {
        String s = mipsText(r) + pagingText(r.pagingPerRun());
        if (r.vmExitsPerRun() == 0) {
            return s;
        }
        return s + String.format(Locale.ROOT, "%n  VM exits:    %,d per run; median %.3f µs per round trip (wall time), "
                + "%.3f µs against the thread's CPU time (%,.0f exits/s), best %.3f µs",
                r.vmExitsPerRun(), r.medianMicrosPerExit(), r.medianCpuMicrosPerExit(), r.exitsPerCpuSecond(),
                r.bestMicrosPerExit());
    }

    private static String mipsText(BenchResult r) {
        return String.format(Locale.ROOT, String.join("%n",
                "  runs:        %d measured after %d warm-up (%.1f s), %,d instructions and %,d cycles each",
                "  guest MIPS:  median %.1f, best %.1f (wall time); median %.1f against the thread's CPU time",
                "  wall times:  %s s",
                "  JVM:         %s",
                "  CPU:         %s (%d logical CPUs), %s"),
                r.runs().size(), r.warmup().size(),
                r.warmup().stream().mapToLong(BenchResult.Sample::wallNanos).sum() / 1e9, r.instructionsPerRun(), r.cyclesPerRun(),
                r.medianMips(), r.bestMips(), r.medianCpuMips(), wallTimes(r), r.host().jvm(), r.host().cpu(), r.host().cores(),
                r.host().os());
    }

    /** The TLB and page-walk lines (the nested one only for a run that walked under EPT or nested paging). */
    private static String pagingText(PagingStats p) {
        String s = String.format(Locale.ROOT, "%n  TLB:         %,d hits, %,d misses (walks) per run, miss rate %.4f"
                + "%n  page walks:  %,d references per run, %.2f per walk, %,d cycles (%d per reference)",
                p.tlbHits(), p.walks(), p.tlbMissRate(), p.walkReferences(), p.referencesPerWalk(), p.walkCycles(),
                p.referenceCycles());
        if (p.nestedWalks() == 0) {
            return s;
        }
        return s + String.format(Locale.ROOT, "%n  nested:      %,d walks under EPT / nested paging, %,d references, %.2f per walk",
                p.nestedWalks(), p.nestedWalkReferences(), p.referencesPerNestedWalk());
    }

    private static String wallTimes(BenchResult r) {
        long[] w = r.sortedWallNanos();
        return String.format(Locale.ROOT, "%.3f .. %.3f", w[0] / 1e9, w[w.length - 1] / 1e9);
    }

    /** The JSON report (one object). */
    static String json(BenchResult r, boolean jit) {
        return json(r, jit, "none");
    }

    /** The JSON report; {@code virt} is the --virt value (none: bare, or an x86 hypervisor guest's own exits). */
    static String json(BenchResult r, boolean jit, String virt) {
        PagingStats p = r.pagingPerRun();
        List<Double> mips = r.runs().stream().map(BenchResult.Sample::mips).collect(Collectors.toList());
        double warmupSeconds = r.warmup().stream().mapToLong(BenchResult.Sample::wallNanos).sum() / 1e9;
        JsonReport report = new JsonReport(r.guest(), r.profile(), r.warmup().size(), warmupSeconds, r.runs().size(),
                r.instructionsPerRun(), r.cyclesPerRun(), r.medianMips(), r.bestMips(), mips, r.medianCpuMips(),
                r.host().jvm(),
                r.host().cpu(), r.host().cores(), r.host().os(), jit, r.vmExitsPerRun(), r.medianMicrosPerExit(),
                r.medianCpuMicrosPerExit(), r.bestMicrosPerExit(), r.exitsPerCpuSecond(), virt, p.tlbHits(), p.walks(),
                p.tlbMissRate(), p.walkReferences(), p.referencesPerWalk(), p.walkCycles(), p.nestedWalks(),
                p.nestedWalkReferences(), p.referencesPerNestedWalk());
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write bench JSON", e);
        }
    }

    /** The fields of {@code hvsim bench --json}. */
    record JsonReport(String guest, String profile, int warmupRuns, double warmupSeconds, int runs, long instructionsPerRun,
            long cyclesPerRun, double medianMips, double bestMips, List<Double> runMips, double medianCpuMips,
            String jvm, String cpu, int cores, String os, boolean jit, long vmExitsPerRun, double medianMicrosPerExit,
            double medianCpuMicrosPerExit, double bestMicrosPerExit, double exitsPerCpuSecond, String virt,
            long tlbHitsPerRun, long tlbMissesPerRun, double tlbMissRate, long walkReferencesPerRun,
            double referencesPerWalk, long walkCyclesPerRun, long nestedWalksPerRun, long nestedWalkReferencesPerRun,
            double referencesPerNestedWalk) {}
}
