package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.vmm.InterceptPolicy;
import dev.hvsim.vmm.Virt;
import dev.hvsim.vmm.Vmm;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hvsim run}: loads a guest file into a machine and runs it. */
@Command(name = "run", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Run a guest (a multiboot kernel, an ELF executable or a flat binary) on the modelled PC.",
            "Serial (0x3f8) and debug-console (0xe9) output go to stdout.",
            "",
            "Exit status:",
            "  (v<<1)|1  the guest wrote v to port 0xf4 (low 8 bits)",
            "  0         the guest halted for good",
            "  2         triple fault / shutdown",
            "  4         instruction or time limit reached",
            "  6         bad input",
            "  70        internal error",
            ""})
final class RunCommand implements Callable<Integer> {
    private final Terminal term;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The guest image file.")
    Path guest;

    @Option(names = "--vendor", paramLabel = "intel|amd", description = "CPU vendor (default: intel).")
    Vendor vendor;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "CPU profile (default: the vendor's default: intel-core or amd-zen).")
    String profile;

    @Option(names = "--mem", paramLabel = "MIB", description = "RAM size in MiB (default: ${DEFAULT-VALUE}).")
    long memMiB = MachineConfig.DEFAULT_MEMORY_MIB;

    @Option(names = "--load", paramLabel = "auto|multiboot|elf|flat@ADDR",
            description = "How to load GUEST (default: auto = multiboot if it has a multiboot header, else ELF if it"
                    + " has the ELF magic, else flat at 0x100000).")
    String load = "auto";

    @Option(names = "--append", paramLabel = "ARGS",
            description = "Multiboot command line after the kernel name (QEMU's -append).")
    String append;

    @Option(names = "--initrd", paramLabel = "FILE[ ARGS][,FILE...]",
            description = "Multiboot modules, comma-separated, each with its command line (QEMU's -initrd).")
    String initrd;

    @Option(names = "--smp", paramLabel = "N", description = "Number of CPUs, 1..64 (default: 1; QEMU's -smp N).")
    int smp = 1;

    @Option(names = "--entry", paramLabel = "ADDR", converter = Addresses.class,
            description = "Start address (default: the ELF entry point or the flat load address).")
    Long entry;

    @Option(names = "--max-insns", paramLabel = "N", description = "Stop after N instructions (status 4).")
    Long maxInsns;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Stop after this wall-clock time (status 4).")
    Double timeoutSeconds;

    @Option(names = "--stats", description = "Print instructions, cycles and MIPS on stderr.")
    boolean stats;

    @Option(names = "--jit", arity = "1", paramLabel = "on|off", converter = JitSwitch.class,
            description = "Translate hot 64-bit code into JVM bytecode (default: on, or the system property hvsim.jit);"
                    + " results are identical either way.")
    Boolean jit;

    @Option(names = "--virt", paramLabel = "vmx|svm|none",
            description = "Run the guest under the Java VMM in VMX non-root operation (intel profile) or SVM guest"
                    + " mode (amd profile); none (default) runs it bare. Under svm the guest may itself use SVM"
                    + " (nested SVM: NP and NRIP save; its guest's exits are traced with \"level\": 2); VMX is hidden"
                    + " from it.")
    String virt = "none";

    @Option(names = "--trace-exits", paramLabel = "FILE|-",
            description = "With --virt: write one JSON object per VM exit per line to FILE (- for stdout).")
    String traceExits;

    @Mixin
    InterceptOptions intercepts = new InterceptOptions();

    @Option(names = "--exit-stats", description = "With --virt: print VM exits by kind (count, cycles, host time) on stderr.")
    boolean exitStats;

    @Mixin
    NestedOption nested = new NestedOption();

    RunCommand(Terminal term) {
        this.term = term;
    }

    @Override
    public Integer call() throws BadInputException {
        RunLimits limits = limits();
        LoadSpec spec = LoadSpec.parse(load);
        Virt v = virt();
        CpuProfile p = GuestSetup.profile(vendor(v), profile);
        Machine m = GuestSetup.machine(p, memMiB, smp, term.out());
        boolean nestedOn = nested.enabled(v);
        Vmm vmm = v == Virt.NONE ? null : attach(m, v, p, intercepts.policy());
        if (vmm != null && nestedOn) {
            vmm.enableNestedVirtualization();
        }
        byte[] bytes = GuestSetup.read(guest);
        MultibootArgs boot = MultibootArgs.of(guest, append, initrd);
        GuestSetup.load(m, bytes, spec, entry == null ? -1 : entry, boot);
        if (jit != null) {
            m.cpus().forEach(c -> c.setJit(jit));
        }
        OutputStream trace = traceStream();
        if (vmm != null) {
            vmm.traceTo(trace);
            vmm.collectStats(exitStats);
        }
        RunOutcome o;
        try {
            o = m.run(limits);
        } finally {
            if (vmm != null) {
                vmm.flush();
            }
            closeTrace(trace);
        }
        int status;
        if (vmm != null && vmm.failure() != null) {
            status = vmmFailure(vmm);
        } else if (vmm != null && o.kind() == RunOutcome.Kind.SHUTDOWN) {
            term.error(o.describe()); // the CPU holds the root state, not the guest's: the reason names the guest RIP
            status = ExitStatus.SHUTDOWN;
        } else {
            status = Reports.outcome(term, o, m);
        }
        if (stats) {
            term.out().flush();
            term.err().println(Reports.stats(o.stats()));
        }
        if (vmm != null && exitStats) {
            term.out().flush();
            vmm.stats().print(term.err());
        }
        return status;
    }

    private Virt virt() throws BadInputException {
        Virt v;
        try {
            v = Virt.parse(virt);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (v == Virt.NONE && (traceExits != null || exitStats || intercepts.given())) {
            throw new BadInputException((traceExits != null ? "--trace-exits" : exitStats ? "--exit-stats"
                    : intercepts.intercept != null ? "--intercept" : "--exit-cycles") + " needs --virt vmx or svm");
        }
        return v;
    }


    /** --virt vmx needs an Intel profile, svm an AMD one: the vendor defaults to it and must not disagree. */
    private Vendor vendor(Virt v) throws BadInputException {
        if (v == Virt.NONE) {
            return vendor;
        }
        Vendor needed = v == Virt.VMX ? Vendor.INTEL : Vendor.AMD;
        if (vendor != null && vendor != needed) {
            throw new BadInputException("--virt " + virt + " needs an " + (needed == Vendor.INTEL ? "intel" : "amd")
                    + " CPU but --vendor " + vendor.name().toLowerCase() + " was given");
        }
        return needed;
    }

    private static Vmm attach(Machine m, Virt v, CpuProfile p, InterceptPolicy policy) throws BadInputException {
        try {
            return Vmm.attach(m, v, policy);
        } catch (IllegalStateException e) { // the profile has no VMX / SVM model
            throw new BadInputException("--virt " + v.name().toLowerCase() + ": profile " + p.name() + " has no "
                    + v.name() + " model");
        }
    }

    private OutputStream traceStream() throws BadInputException {
        if (traceExits == null) {
            return null;
        }
        if (traceExits.equals("-")) {
            return term.out();
        }
        try {
            return Files.newOutputStream(Path.of(traceExits));
        } catch (IOException | RuntimeException e) {
            throw new BadInputException("cannot write exit trace " + traceExits + ": " + e.getMessage());
        }
    }

    private void closeTrace(OutputStream trace) {
        if (trace != null && trace != term.out()) {
            try {
                trace.close();
            } catch (IOException e) {
                term.error("cannot write exit trace " + traceExits + ": " + e.getMessage());
            }
        }
    }

    /** The VMM stopped the guest (an entry it could not make, with the failed rules; an exit it cannot handle). */
    private int vmmFailure(Vmm vmm) {
        term.error("vmm: " + vmm.failure() + " (internal error; please report)");
        return ExitStatus.INTERNAL;
    }

    private RunLimits limits() throws BadInputException {
        if (maxInsns != null && maxInsns <= 0) {
            throw new BadInputException("--max-insns must be positive, not " + maxInsns);
        }
        if (timeoutSeconds != null && !(timeoutSeconds > 0 && timeoutSeconds < 1e9)) {
            throw new BadInputException("--timeout must be a positive number of seconds, not " + timeoutSeconds);
        }
        Duration timeout = timeoutSeconds == null ? null : Duration.ofNanos(Math.max(1, (long) (timeoutSeconds * 1e9)));
        return new RunLimits(maxInsns == null ? Long.MAX_VALUE : maxInsns, timeout);
    }
}
