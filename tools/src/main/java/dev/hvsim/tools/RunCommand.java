package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

    RunCommand(Terminal term) {
        this.term = term;
    }

    @Override
    public Integer call() throws BadInputException {
        RunLimits limits = limits();
        LoadSpec spec = LoadSpec.parse(load);
        CpuProfile p = GuestSetup.profile(vendor, profile);
        Machine m = GuestSetup.machine(p, memMiB, smp, term.out());
        byte[] bytes = GuestSetup.read(guest);
        MultibootArgs boot = MultibootArgs.of(guest, append, initrd);
        GuestSetup.load(m, bytes, spec, entry == null ? -1 : entry, boot);
        if (jit != null) {
            m.cpus().forEach(c -> c.setJit(jit));
        }
        RunOutcome o = m.run(limits);
        int status = Reports.outcome(term, o, m);
        if (stats) {
            term.out().flush();
            term.err().println(Reports.stats(o.stats()));
        }
        return status;
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
