package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.vmm.ExitComparison;
import dev.hvsim.vmm.ExitRecord;
import dev.hvsim.vmm.InterceptPolicy;
import dev.hvsim.vmm.Virt;
import dev.hvsim.vmm.Vmm;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hvsim compare GUEST [--html FILE]} (issue 7 item 4): runs the guest under the Java VMM on the Intel model
 * (VMX, intel-core) and on the AMD model (SVM, amd-zen) with the same intercept policy, aligns the two exit
 * sequences ({@link ExitComparison}) and prints them side by side with the differences marked, then a summary.
 */
@Command(name = "compare", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Run a guest under the Java VMM on the Intel (VMX) and the AMD (SVM) model with the same",
            "intercept policy and print the two VM exit sequences aligned side by side, marking where they differ:",
            "an exit only one side takes (<, >), different exit information, guest-visible results or cycle",
            "costs (!). GUEST is a file, or the name of a shipped guest (e.g. compare-demo).",
            "",
            "Exit status: 0 when both runs were compared (whatever the differences), 6 bad input, 70 internal error.",
            ""})
final class CompareCommand implements Callable<Integer> {
    private final Terminal term;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The guest image file, or a shipped guest's name.")
    String guest;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Also write the comparison as a self-contained HTML page (exit timelines, aligned table).")
    Path html;

    @Option(names = "--mem", paramLabel = "MIB", description = "RAM size in MiB (default: 128).")
    long memMiB = dev.hvsim.machine.MachineConfig.DEFAULT_MEMORY_MIB;

    @Option(names = "--smp", paramLabel = "N", description = "Number of CPUs, 1..64 (default: 1).")
    int smp = 1;

    @Option(names = "--load", paramLabel = "auto|multiboot|elf|flat@ADDR", description = "How to load GUEST (as run).")
    String load = "auto";

    @Option(names = "--entry", paramLabel = "ADDR", converter = Addresses.class, description = "Start address.")
    Long entry;

    @Option(names = "--append", paramLabel = "ARGS", description = "Multiboot command line (as run).")
    String append;

    @Option(names = "--initrd", paramLabel = "FILE[ ARGS][,FILE...]", description = "Multiboot modules (as run).")
    String initrd;

    @Option(names = "--max-insns", paramLabel = "N",
            description = "Stop each run after N instructions (default: ${DEFAULT-VALUE}).")
    long maxInsns = 100_000_000L;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Stop each run after this wall-clock time.")
    Double timeoutSeconds;

    @Option(names = "--msr", description = "Intercept every RDMSR/WRMSR on both vendors (InterceptPolicy.msr; the"
            + " same as adding msr to --intercept).")
    boolean msr;

    @Mixin
    InterceptOptions intercepts = new InterceptOptions();

    CompareCommand(Terminal term) {
        this.term = term;
    }

    /** One vendor's run: its exits, the guest's output and how it ended. */
    record VendorRun(Virt virt, CpuProfile profile, List<ExitRecord> exits, String output, String outcome,
            String failure) {}

    @Override
    public Integer call() throws BadInputException {
        if (maxInsns <= 0) {
            throw new BadInputException("--max-insns must be positive, not " + maxInsns);
        }
        if (timeoutSeconds != null && !(timeoutSeconds > 0 && timeoutSeconds < 1e9)) {
            throw new BadInputException("--timeout must be a positive number of seconds, not " + timeoutSeconds);
        }
        byte[] bytes = image();
        LoadSpec spec = LoadSpec.parse(load);
        InterceptPolicy base = intercepts.policy();
        InterceptPolicy policy = msr ? base.withMsr(true) : base;
        VendorRun intel = run(Virt.VMX, bytes, spec, policy);
        VendorRun amd = run(Virt.SVM, bytes, spec, policy);
        ExitComparison c = ExitComparison.of(intel.exits(), amd.exits());
        CompareReport.text(term.out(), guest, policy, intel, amd, c);
        if (html != null) {
            try {
                Files.writeString(html, CompareReport.html(guest, policy, intel, amd, c), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new BadInputException("cannot write " + html + ": " + e.getMessage());
            }
        }
        return 0;
    }

    /** GUEST as a file if there is one, else a shipped guest by name. */
    private byte[] image() throws BadInputException {
        Path file = Path.of(guest);
        if (Files.exists(file) || !GuestImages.isBuilt(guest)) {
            if (!Files.exists(file) && guest.matches("[A-Za-z0-9_-]+")) {
                return GuestImages.elf(guest); // "no such file, and not a built guest" with the list of guests
            }
            return GuestSetup.read(file);
        }
        return GuestImages.elf(guest);
    }

    private VendorRun run(Virt virt, byte[] bytes, LoadSpec spec, InterceptPolicy policy) throws BadInputException {
        CpuProfile p = CpuProfile.load(virt.profile());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = GuestSetup.machine(p, memMiB, smp, out);
        Vmm vmm = Vmm.attach(m, virt, policy);
        List<ExitRecord> exits = new ArrayList<>();
        vmm.recordExits(exits::add);
        MultibootArgs boot = MultibootArgs.of(Path.of(guest), append, initrd);
        GuestSetup.load(m, bytes, spec, entry == null ? -1 : entry, boot);
        Duration timeout = timeoutSeconds == null ? null : Duration.ofNanos(Math.max(1, (long) (timeoutSeconds * 1e9)));
        RunOutcome o = m.run(new RunLimits(maxInsns, timeout));
        return new VendorRun(virt, p, exits, out.toString(StandardCharsets.ISO_8859_1), o.describe(), vmm.failure());
    }
}
