package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.tools.gdb.GdbStub;
import dev.hvsim.vmm.InterceptPolicy;
import dev.hvsim.vmm.Virt;
import dev.hvsim.vmm.Vmm;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hvsim gdb}: loads a guest like {@code hvsim run}, stops it at its first instruction and serves gdb. */
@Command(name = "gdb", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Load a guest as 'hvsim run' does, stop it at its first instruction and serve the GDB remote",
            "protocol on 127.0.0.1 (one connection; one gdb thread per vCPU). 'monitor help' lists the",
            "hvsim commands. Guest output goes to stdout.",
            "",
            "Exit status: the guest's status if it exited while debugged; after 'detach' the guest runs on",
            "and the status is that of 'hvsim run'; 0 after 'kill' or a dropped connection; 6 bad input.",
            ""})
final class GdbCommand implements Callable<Integer> {
    private final Terminal term;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The guest image file.")
    Path guest;

    @Option(names = "--port", paramLabel = "N", description = "TCP port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port = 1234;

    @Option(names = "--vendor", paramLabel = "intel|amd", description = "CPU vendor (default: intel).")
    Vendor vendor;

    @Option(names = "--profile", paramLabel = "NAME", description = "CPU profile (default: the vendor's default).")
    String profile;

    @Option(names = "--mem", paramLabel = "MIB", description = "RAM size in MiB (default: ${DEFAULT-VALUE}).")
    long memMiB = MachineConfig.DEFAULT_MEMORY_MIB;

    @Option(names = "--load", paramLabel = "auto|multiboot|elf|flat@ADDR", description = "How to load GUEST (as in 'hvsim run').")
    String load = "auto";

    @Option(names = "--append", paramLabel = "ARGS", description = "Multiboot command line (QEMU's -append).")
    String append;

    @Option(names = "--initrd", paramLabel = "FILE[ ARGS][,FILE...]", description = "Multiboot modules (QEMU's -initrd).")
    String initrd;

    @Option(names = "--smp", paramLabel = "N", description = "Number of CPUs, 1..64 (default: 1); one gdb thread each.")
    int smp = 1;

    @Option(names = "--entry", paramLabel = "ADDR", converter = Addresses.class, description = "Start address.")
    Long entry;

    @Option(names = "--virt", paramLabel = "vmx|svm|none",
            description = "Run the guest under the Java VMM (as in 'hvsim run'); a stop at a VM exit then comes at the"
                    + " guest's next instruction, after the VMM handled the exit.")
    String virt = "none";

    @Option(names = "--snapshot-interval", paramLabel = "N",
            description = "Reverse execution: snapshot the machine every N steps of any vCPU (default: ${DEFAULT-VALUE};"
                    + " 0: only at the start and where gdb changes registers or memory). A reverse step re-executes"
                    + " from the nearest earlier snapshot.")
    long snapshotInterval = 1_000_000;

    @Option(names = "--snapshot-limit", paramLabel = "MIB",
            description = "Memory for snapshots in MiB (default: ${DEFAULT-VALUE}); past it older snapshots are thinned.")
    long snapshotLimitMiB = 256;

    @Mixin
    InterceptOptions intercepts = new InterceptOptions();

    @Mixin
    NestedOption nested = new NestedOption();

    GdbCommand(Terminal term) {
        this.term = term;
    }

    /** The machine with the guest loaded, stopped at its first instruction, writing guest output to {@code console}. */
    private Machine build(byte[] bytes, OutputStream console) throws BadInputException {
        LoadSpec spec = LoadSpec.parse(load);
        Virt v = parseVirt();
        CpuProfile p = GuestSetup.profile(vendor(v), profile);
        Machine m = GuestSetup.machine(p, memMiB, smp, console);
        if (v == Virt.NONE && intercepts.given()) {
            throw new BadInputException((intercepts.intercept != null ? "--intercept" : "--exit-cycles")
                    + " needs --virt vmx or svm");
        }
        boolean nestedOn = nested.enabled(v);
        if (v != Virt.NONE) {
            InterceptPolicy policy = intercepts.policy();
            Vmm vmm;
            try {
                vmm = Vmm.attach(m, v, policy);
            } catch (IllegalStateException e) { // the profile has no VMX / SVM model
                throw new BadInputException("--virt " + virt + ": profile " + p.name() + " has no " + v.name() + " model");
            }
            if (nestedOn) {
                vmm.enableNestedVirtualization(); // as hvsim run --virt vmx: the x86 VMX guests run nested
            }
        }
        GuestSetup.load(m, bytes, spec, entry == null ? -1 : entry, MultibootArgs.of(guest, append, initrd));
        return m;
    }

    private Virt parseVirt() throws BadInputException {
        try {
            return Virt.parse(virt);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /** --virt vmx needs an Intel profile, svm an AMD one (as in 'hvsim run'). */
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

    @Override
    public Integer call() throws BadInputException {
        if (port < 0 || port > 65535) {
            throw new BadInputException("bad --port value " + port + ": must be 0..65535");
        }
        if (snapshotInterval < 0) {
            throw new BadInputException("bad --snapshot-interval value " + snapshotInterval + ": must be 0 or more");
        }
        if (snapshotLimitMiB < 1 || snapshotLimitMiB > (1L << 20)) {
            throw new BadInputException("bad --snapshot-limit value " + snapshotLimitMiB + ": must be 1..1048576 MiB");
        }
        byte[] bytes = GuestSetup.read(guest);
        Machine m = build(bytes, term.out());
        Function<OutputStream, Machine> replay = console -> {
            try {
                return build(bytes, console);
            } catch (BadInputException e) { // it loaded once: the same input cannot fail now
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
        GdbStub stub;
        try {
            stub = new GdbStub(m, port, replay, term.out(), snapshotInterval, snapshotLimitMiB << 20);
        } catch (IOException e) {
            throw new BadInputException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
        }
        term.err().println("hvsim: waiting for gdb on 127.0.0.1:" + stub.port() + "; connect with: gdb -ex 'set architecture"
                + " i386:x86-64' -ex 'target remote 127.0.0.1:" + stub.port() + "'");
        term.err().flush();
        GdbStub.End end;
        try {
            end = stub.serve();
        } catch (IOException e) {
            term.error("gdb connection failed: " + e.getMessage());
            return ExitStatus.HALTED;
        }
        m = stub.machine(); // a reverse step replaces the machine with a replayed one
        switch (end) {
            case GUEST_EXITED:
                return Reports.outcome(term, stub.lastOutcome(), m);
            case DETACHED:
                return Reports.outcome(term, m.run(RunLimits.none()), m);
            default:
                return ExitStatus.HALTED;
        }
    }
}
