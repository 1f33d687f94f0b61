package dev.hvsim.machine;

import dev.hvsim.machine.apic.ApicBus;
import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.bus.IoPortBus;
import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.bus.Ram;
import dev.hvsim.machine.device.ConsoleOutput;
import dev.hvsim.machine.device.DebugConsole;
import dev.hvsim.machine.device.DebugExit;
import dev.hvsim.machine.device.Uart16550;
import dev.hvsim.machine.load.ElfLoader;
import dev.hvsim.machine.load.FlatLoader;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.machine.load.LoadedImage;
import dev.hvsim.machine.load.Multiboot;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Snapshottable;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.Vendor;
import java.util.List;

/**
 * A PC around one or more x86-core {@link Cpu}s: sparse RAM, the physical and I/O buses, the devices
 * (16550 UART at 0x3f8, debug console at 0xe9, debug exit at 0xf4, and the {@link Platform} chipset:
 * 8259s, 8254, IOAPIC, local APICs, PCI host bridge, fw_cfg, CMOS/RTC, pc-testdev, the DMA engine behind the
 * platform DMA path, and on AMD profiles the Device Exclusion Vector). Load a guest with
 * {@link #loadElf}, {@link #loadFlat} or {@link #loadMultiboot} (which also put the BSP in the
 * boot-protocol start state), then {@link #run} it under {@link RunLimits}.
 *
 * <pre>{@code
 * Machine m = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), System.out));
 * m.loadElf(Files.readAllBytes(path));
 * RunOutcome o = m.run(RunLimits.instructions(1_000_000_000L).withTimeout(Duration.ofSeconds(10)));
 * }</pre>
 *
 * <p>Several CPUs (machine/DESIGN.md, "Several CPUs"): CPU 0 is the bootstrap processor; the others wait
 * for INIT and STARTUP IPIs. The CPUs run in turn, {@link #QUANTUM} instructions each, always in the same
 * order, so a run is reproducible. Each CPU's run is also cut at the next timer deadline (its APIC timer,
 * the PIT), so timer interrupts arrive at the modelled time; when every CPU waits in HLT, modelled time
 * jumps to the next deadline instead of spinning the host.
 *
 * <p>A machine holds no static state: several run side by side in one JVM, each on its own thread.
 * Only {@link #requestStop()} may be called from another thread.
 */
public final class Machine implements dev.hvsim.x86core.Snapshottable {
    /** Instructions per slice when a timeout is set: the clock is read between slices. */
    public static final long SLICE = 1 << 20;
    /** Instructions each CPU runs per turn when there are several. */
    public static final int QUANTUM = 1000;
    /** Consecutive jumps to a timer deadline that wake no CPU after which HLT counts as final. */
    static final int MAX_IDLE_JUMPS = 10_000;

    private final MachineConfig config;
    private final Ram ram;
    private final MemoryBus memory;
    private final IoPortBus io;
    private final ConsoleOutput console;
    private final Uart16550 uart;
    private final Platform platform;
    private final Cpu[] cpus;
    private final LocalApic[] apics;
    /** Per CPU: in the wait-for-SIPI state (APs from power-on, any CPU after INIT). */
    private final boolean[] waitForSipi;
    private final boolean[] initPending;
    private final int[] sipiPending;
    private int running;
    /** Modelled time: the highest cycle count any CPU reached (halted CPUs are brought up to it). */
    private long now;
    private boolean exited;
    private long exitValue;
    private LoadedImage image;
    /**
     * Where a run that a debugger stopped in the middle of a round of turns goes on (several CPUs only): the
     * CPU whose turn was cut, what is left of its quantum, and whether a CPU already ran in that round. A
     * stopped and resumed run thus takes exactly the turns of an uninterrupted one.
     */
    private int resumeCpu;
    private long resumeBudget = -1;
    private boolean resumeRan;
    private long bootInfo;
    /** The hypervisor running the CPUs as vCPUs, or null (bare). */
    private VcpuDriver driver;
    private long vmExits;

    /** Builds the machine: RAM, buses, devices and the CPUs in their power-on state. */
    public Machine(MachineConfig config) {
        this.config = config;
        this.ram = Ram.ofMiB(config.memoryMiB());
        this.memory = new MemoryBus(ram);
        this.io = new IoPortBus();
        this.console = new ConsoleOutput(config.console());
        this.uart = new Uart16550(console);
        io.register("com1", Uart16550.COM1, Uart16550.SIZE, uart);
        io.register("debugcon", DebugConsole.PORT, 1, new DebugConsole(console));
        io.register("debug-exit", DebugExit.PORT, DebugExit.SIZE, new DebugExit(this::guestExit));
        int n = config.cpus();
        this.cpus = new Cpu[n];
        this.apics = new LocalApic[n];
        this.waitForSipi = new boolean[n];
        this.initPending = new boolean[n];
        this.sipiPending = new int[n];
        this.platform = new Platform(memory, io, ram.size(), n, this::platformTime, () -> cpus[0].signalEvent(),
                config.profile().vendor() == Vendor.AMD);
        for (int i = 0; i < n; i++) {
            cpus[i] = new Cpu(config.profile(), memory, io, i);
            apics[i] = new LocalApic(cpus[i], platform.apicBus);
            if (platform.dev != null) {
                cpus[i].setDmaProtectionHook(platform.dev); // SKINIT's SL_DEV step reaches the northbridge's DEV
            }
        }
        Cpu.shareCode(List.of(cpus)); // one physical address space: cross-modifying code reaches every CPU
        apics[0].connectExtInt(platform.pic);
        platform.apicBus.setStartupControl(new ApicBus.StartupControl() {
            @Override public void init(LocalApic target) { deliverInit(target.cpu().apicId()); }
            @Override public void startup(LocalApic target, int vector) { deliverSipi(target.cpu().apicId(), vector); }
        });
        powerOn();
    }

    /**
     * The BSP runs; the APs wait for SIPI. The BSP's APIC is left in virtual-wire mode as a BIOS leaves it
     * (MultiProcessor Specification 1.4, 3.6.2.2): software-enabled (SVR 0x1FF), LINT0 = ExtINT (the 8259's
     * INTR), LINT1 = NMI.
     */
    private void powerOn() {
        for (int i = 0; i < cpus.length; i++) {
            waitForSipi[i] = i != 0;
            initPending[i] = false;
            sipiPending[i] = -1;
            apics[i].reset();
        }
        apics[0].write(LocalApic.SVR, 4, 0x1ff);
        apics[0].write(LocalApic.LVT_LINT0, 4, 0x700);
        apics[0].write(LocalApic.LVT_LINT1, 4, 0x400);
    }

    public MachineConfig config() { return config; }
    /** The bootstrap processor (CPU 0). */
    public Cpu cpu() { return cpus[0]; }
    /** Every CPU, by APIC ID. */
    public List<Cpu> cpus() { return List.of(cpus); }
    public LocalApic apic(int cpu) { return apics[cpu]; }
    public Platform platform() { return platform; }
    public Ram ram() { return ram; }
    public MemoryBus memory() { return memory; }
    public IoPortBus io() { return io; }
    public ConsoleOutput console() { return console; }
    public Uart16550 uart() { return uart; }
    /** Whether CPU {@code i} waits for a STARTUP IPI. */
    public boolean waitingForSipi(int i) { return waitForSipi[i]; }
    /** Physical address of the multiboot information structure of the last multiboot load, or 0. */
    public long bootInfo() { return bootInfo; }

    /**
     * Runs the CPUs under a hypervisor (the vmm module): it is called before each CPU's turn and on every VM exit
     * (see {@link VcpuDriver}); null runs them bare.
     */
    public void setVcpuDriver(VcpuDriver d) {
        driver = d;
    }

    /**
     * VM exits (VMX) and #VMEXITs (SVM) taken on this machine so far: those handled by root-mode x86 code (a
     * hypervisor written in x86 continues at HOST_RIP or after its VMRUN within the same {@link #run}) and those
     * handed to the {@link VcpuDriver} (the Java VMM).
     */
    public long vmExits() { return vmExits; }

    /** The image loaded last, or null. */
    public LoadedImage image() {
        return image;
    }

    /** Loads an ELF guest and puts the CPU at its entry in 32-bit protected mode. */
    public LoadedImage loadElf(byte[] file) throws LoadException {
        return loadElf(file, -1);
    }

    /** Loads an ELF guest and starts it at {@code entry} instead of its own entry point (-1: its own). */
    public LoadedImage loadElf(byte[] file, long entry) throws LoadException {
        checkEntry(entry);
        LoadedImage loaded = ElfLoader.load(file, memory);
        if (entry >= 0) {
            loaded = new LoadedImage(loaded.format(), entry, loaded.mode(), loaded.segments());
        }
        return started(loaded, 0);
    }

    private void checkEntry(long entry) throws LoadException {
        if (entry >= 0 && (entry >= ram.size() || entry > 0xffffffffL)) {
            throw new LoadException(String.format("entry 0x%x is outside RAM (%d MiB) or above 4 GiB", entry,
                    config.memoryMiB()));
        }
    }

    /**
     * Loads a multiboot kernel with its modules as QEMU's {@code -kernel NAME -append ARGS -initrd MODULES}
     * does (Multiboot 0.6.96; {@link Multiboot}) and puts the BSP at its entry: 32-bit protected mode,
     * EAX = 0x2BADB002, EBX = the information structure, x87 control word 0x37F.
     *
     * @param entry start address instead of the kernel's entry, or -1
     */
    public LoadedImage loadMultiboot(byte[] kernel, String name, String args, List<Multiboot.Module> modules,
            long entry) throws LoadException {
        checkEntry(entry);
        Multiboot.Loaded l = Multiboot.load(kernel, name, args, modules, memory);
        LoadedImage loaded = l.image();
        if (entry >= 0) {
            loaded = new LoadedImage(loaded.format(), entry, loaded.mode(), loaded.segments());
        }
        return started(loaded, l.infoAddress());
    }

    /**
     * Loads a flat image at {@code address} and puts the CPU at {@code entry} (-1: the load address),
     * in real mode when the address is below 1 MiB, else in 32-bit protected mode.
     */
    public LoadedImage loadFlat(byte[] bytes, long address, long entry) throws LoadException {
        return started(FlatLoader.load(bytes, address, entry, memory), 0);
    }

    private LoadedImage started(LoadedImage loaded, long info) {
        image = loaded;
        bootInfo = info;
        exited = false;
        for (Cpu c : cpus) {
            c.reset();
            c.flushDecodeCache();
        }
        now = 0;
        resumeCpu = 0;
        resumeBudget = -1;
        resumeRan = false;
        powerOn();
        if (info != 0) {
            Boot.enterMultiboot(cpus[0], loaded.entry(), info);
        } else {
            Boot.start(cpus[0], loaded);
        }
        return loaded;
    }

    /** Asks a running {@link #run} to return {@link RunOutcome.Stopped} soon; safe from any thread. */
    public void requestStop() {
        for (Cpu c : cpus) {
            c.requestStop();
        }
    }

    /** Modelled time in core cycles: the running CPU's cycle count, or the machine's time between turns. */
    public long platformTime() {
        return Math.max(now, cpus[running].cycles());
    }

    // ------------------------------------------------------------------ INIT and STARTUP (SDM Vol. 3A 8.4, 11.6.1)

    private void deliverInit(int i) {
        initPending[i] = true;
        sipiPending[i] = -1;
        cpus[running].stopAfterInstruction(StopReason.CYCLE_LIMIT); // end the sender's turn: the target reacts
    }

    private void deliverSipi(int i, int vector) {
        sipiPending[i] = vector;
        cpus[running].stopAfterInstruction(StopReason.CYCLE_LIMIT);
    }

    /** CPU {@code i} takes INIT: its INIT state (SDM Vol. 3A Table 10-1) and its APIC's, then it waits for SIPI. */
    private void enterInitState(int i) {
        Cpu c = cpus[i];
        long cycles = Math.max(c.cycles(), now);
        long apicBase = c.state().msr(Msr.IA32_APIC_BASE);
        c.reset();
        c.state().msr.put(Msr.IA32_APIC_BASE, apicBase); // INIT keeps the APIC's mode (SDM 11.12.5.1, Figure 11-27)
        c.addCycles(cycles);
        apics[i].reset();
        waitForSipi[i] = true;
    }

    /**
     * For a hypervisor that emulates INIT for its guest (the Java VMM after the INIT VM exit, which VMX non-root
     * operation takes for every INIT: SDM Vol. 3C 26.2; VMX root operation would block it, 24.8): CPU {@code i} takes
     * the INIT as the platform gives it to a bare CPU (its INIT state, then wait-for-SIPI) and its turn should end.
     * The next STARTUP IPI starts it as on a bare machine. Call only during that CPU's turn.
     */
    public void initAsPlatform(int i) {
        initPending[i] = false;
        sipiPending[i] = -1;
        enterInitState(i);
    }

    /** INIT: the CPU's INIT state (SDM Vol. 3A Table 10-1), then wait for SIPI; STARTUP: real mode at vector × 4 KiB. */
    private void applyStartup(int i) {
        Cpu c = cpus[i];
        CpuExtension ext = c.extension();
        // a vendor extension may hold INIT (VMX root operation) or take it (a VM exit in VMX non-root operation)
        CpuExtension.SignalAction initAction = !initPending[i] || ext == null ? CpuExtension.SignalAction.PLATFORM
                : ext.init(c);
        if (initAction != CpuExtension.SignalAction.PLATFORM) {
            initPending[i] = initAction == CpuExtension.SignalAction.HELD;
        }
        if (sipiPending[i] >= 0 && !initPending[i] && !waitForSipi[i] && ext != null
                && ext.startup(c, sipiPending[i]) != CpuExtension.SignalAction.PLATFORM) {
            sipiPending[i] = -1; // taken (SIPI exit) or blocked and discarded (VMX root operation)
        }
        if (initPending[i] && initAction == CpuExtension.SignalAction.PLATFORM) {
            initPending[i] = false;
            enterInitState(i);
        }
        if (sipiPending[i] >= 0) {
            int v = sipiPending[i];
            sipiPending[i] = -1;
            if (waitForSipi[i]) {
                waitForSipi[i] = false;
                if (c.cycles() < now) {
                    c.addCycles(now - c.cycles());
                }
                Boot.enterStartup(c, v);
            }
        }
    }

    // ------------------------------------------------------------------ running

    /**
     * Runs the CPUs until the guest halts for good, shuts down, writes the debug-exit port, or a limit
     * is reached. Once the guest has exited, further calls return the same exit at once.
     */
    public RunOutcome run(RunLimits limits) {
        long t0 = System.nanoTime(), time0 = now;
        long timeoutNanos = limits.timeout() == null ? Long.MAX_VALUE : limits.timeout().toNanos();
        long done = 0;
        int idleJumps = 0;
        int start = resumeCpu;
        long startBudget = resumeBudget;
        boolean ran = resumeRan;
        resumeCpu = 0;
        resumeBudget = -1;
        resumeRan = false;
        try {
            while (true) {
                long wall = System.nanoTime() - t0; // RunStats only when returning: no allocation per pass
                if (exited) {
                    return new RunOutcome.GuestExit(exitValue, new RunStats(done, now - time0, wall));
                }
                if (done >= limits.maxInstructions()) {
                    return new RunOutcome.InstructionLimit(limits.maxInstructions(), new RunStats(done, now - time0, wall));
                }
                if (wall >= timeoutNanos) {
                    return new RunOutcome.Timeout(limits.timeout(), new RunStats(done, now - time0, wall));
                }
                for (int i = start; i < cpus.length && done < limits.maxInstructions(); i++) {
                    long left = limits.maxInstructions() - done;
                    long budget = cpus.length > 1 ? Math.min(QUANTUM, left)
                            : limits.timeout() == null ? left : Math.min(SLICE, left);
                    if (i == start && startBudget > 0) {
                        budget = Math.min(budget, startBudget);
                    }
                    applyStartup(i);
                    long before = cpus[i].instructions();
                    StopReason r = turn(i, budget);
                    while (r == StopReason.VM_EXIT && !exited) {
                        // No Java VMM drives this machine: a VM exit / #VMEXIT was taken by root-mode x86 code
                        // (the model loaded host state), which simply goes on at HOST_RIP / after its VMRUN.
                        vmExits++;
                        long used = cpus[i].instructions() - before;
                        r = used >= budget ? StopReason.INSTRUCTION_LIMIT : turn(i, budget - used);
                    }
                    if (r == null) {
                        continue;
                    }
                    long n = cpus[i].instructions() - before;
                    done += n;
                    ran |= n > 0;
                    RunOutcome o = outcome(r, done, time0, t0);
                    if (o != null) {
                        if (o instanceof RunOutcome.Stopped && cpus.length > 1) {
                            rememberResume(i, budget - n, ran);
                        }
                        return o;
                    }
                }
                start = 0;
                startBudget = -1;
                if (ran) {
                    idleJumps = 0;
                } else if (done < limits.maxInstructions() && !exited) {
                    if (++idleJumps > MAX_IDLE_JUMPS || !jumpToNextDeadline()) {
                        return new RunOutcome.Halted(new RunStats(done, now - time0, System.nanoTime() - t0));
                    }
                }
                ran = false;
            }
        } finally {
            console.flush();
        }
    }

    /** A stop cut CPU {@code i}'s turn with {@code left} instructions of its quantum unused: the next run goes on there. */
    private void rememberResume(int i, long left, boolean ranInRound) {
        if (left > 0) {
            resumeCpu = i;
            resumeBudget = left;
        } else {
            resumeCpu = i + 1 < cpus.length ? i + 1 : 0;
            resumeBudget = -1;
        }
        resumeRan = resumeCpu != 0 && ranInRound;
    }

    /** CPU {@code i}'s turn (after {@link #applyStartup}): timers, then up to {@code budget} instructions; null if it cannot run. */
    private StopReason turn(int i, long budget) {
        if (waitForSipi[i]) {
            return null;
        }
        Cpu c = cpus[i];
        running = i;
        platform.apicBus.setCurrent(i);
        if (c.state().halted && c.cycles() < now) {
            c.addCycles(now - c.cycles()); // a halted CPU's clock keeps up with the others
        }
        apics[i].tick();
        platform.pit.tick();
        if (driver != null) {
            driver.beforeTurn(i);
        }
        long start = c.instructions();
        StopReason r = c.run(budget, cyclesToDeadline(i));
        while (r == StopReason.VM_EXIT && driver != null && !exited) {
            vmExits++;
            StopReason end = driver.vmExit(i);
            long left = budget - (c.instructions() - start);
            if (end != null || exited || left <= 0) {
                r = end != null ? end : exited ? StopReason.STOP_REQUESTED : StopReason.INSTRUCTION_LIMIT;
                break;
            }
            r = c.run(left, cyclesToDeadline(i));
        }
        now = Math.max(now, c.cycles());
        apics[i].tick();
        platform.pit.tick();
        return r;
    }

    /** Cycles CPU {@code i} may run before its next timer deadline (its APIC timer, the PIT). */
    private long cyclesToDeadline(int i) {
        long deadline = Math.min(apics[i].timerDeadline(), platform.pit.deadline());
        return deadline == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, deadline - cpus[i].cycles());
    }

    /**
     * Every CPU waits (HLT or wait-for-SIPI): advance modelled time to the next timer deadline that could
     * wake a CPU with IF = 1. False when there is none, i.e. the halt is final.
     */
    private boolean jumpToNextDeadline() {
        long next = Long.MAX_VALUE;
        boolean wakeable = false;
        for (int i = 0; i < cpus.length; i++) {
            if (!waitForSipi[i] && (cpus[i].state().rflags() & Flags.IF) != 0) {
                wakeable = true;
                next = Math.min(next, apics[i].timerDeadline());
            }
            if (!waitForSipi[i] && cpus[i].guestMode().active()) {
                next = Math.min(next, cpus[i].guestMode().wakeDeadline(cpus[i])); // e.g. the VMX-preemption timer
            }
        }
        if (wakeable) {
            next = Math.min(next, platform.pit.deadline());
        }
        if (next == Long.MAX_VALUE) {
            return false;
        }
        now = Math.max(now, next);
        for (int i = 0; i < cpus.length; i++) {
            if (!waitForSipi[i] && cpus[i].cycles() < now) {
                cpus[i].addCycles(now - cpus[i].cycles());
            }
        }
        return true;
    }

    /** The outcome a stop reason ends the run with, or null to go on. */
    private RunOutcome outcome(StopReason r, long done, long time0, long t0) {
        RunStats stats = new RunStats(done, now - time0, System.nanoTime() - t0);
        if (exited) {
            return new RunOutcome.GuestExit(exitValue, stats);
        }
        switch (r) {
            case HALTED:
            case WAITING_FOR_INTERRUPT: // the machine decides when no CPU can run
            case INSTRUCTION_LIMIT:
            case CYCLE_LIMIT:
                return null;
            case SHUTDOWN:
                String why = cpus[running].shutdownReason();
                if (driver != null && driver.shutdownReason(running) != null) {
                    why = driver.shutdownReason(running);
                }
                return new RunOutcome.Shutdown(why, stats);
            default:
                return new RunOutcome.Stopped(r, stats);
        }
    }

    private void guestExit(long value) {
        exited = true;
        exitValue = value;
        cpus[running].stopAfterInstruction(StopReason.STOP_REQUESTED);
    }

    // ------------------------------------------------------------------ snapshots (the debugger's reverse execution)

    /**
     * Whether {@link #snapshot} can copy this machine: every CPU can be snapshotted (its vendor extension is
     * {@link Snapshottable}) and the {@link VcpuDriver}, if any, is {@link Snapshottable} too.
     */
    public boolean snapshottable() {
        for (Cpu c : cpus) {
            if (!c.snapshottable()) {
                return false;
            }
        }
        return driver == null || driver instanceof Snapshottable;
    }

    @Override
    public MachineSnapshot snapshot() {
        return snapshot(null);
    }

    /**
     * A copy of the whole machine between two runs (never during one): every CPU ({@link Cpu#snapshot()}, with its
     * TLB and vendor extension), every local APIC, the 8259s, the 8254, the IOAPIC, the APIC bus, the UART, the
     * console's counters, the CMOS/RTC, fw_cfg, the PCI functions' configuration spaces and the DMA engine, the DMA
     * path and the DEV, the machine's turn and time fields (modelled time, where an interrupted round of turns
     * goes on, the INIT/SIPI state, the exit latch, the VM-exit count), the {@link VcpuDriver}'s state, and RAM,
     * incrementally against {@code previous} (a snapshot of this machine, or null; see {@link Ram#snapshot}).
     * Output already written to the console is not part of the state and is not taken back by a restore.
     *
     * @throws UnsupportedOperationException when {@link #snapshottable()} is false
     */
    public MachineSnapshot snapshot(MachineSnapshot previous) {
        if (!snapshottable()) {
            throw new UnsupportedOperationException("this machine cannot be snapshotted (its CPU extension or"
                    + " hypervisor driver has no snapshot)");
        }
        java.util.List<Snapshottable.Snapshot> parts = new java.util.ArrayList<>();
        for (Cpu c : cpus) {
            parts.add(c.snapshot());
        }
        for (LocalApic a : apics) {
            parts.add(a.snapshot());
        }
        parts.add(platform.apicBus.snapshot());
        parts.add(platform.pic.snapshot());
        parts.add(platform.ioapic.snapshot());
        parts.add(platform.pit.snapshot());
        parts.add(platform.pci.snapshot()); // every function's config space, the DMA engine's registers among them
        parts.add(platform.fwCfg.snapshot());
        parts.add(platform.cmos.snapshot());
        parts.add(platform.dma.snapshot());
        if (platform.dev != null) {
            parts.add(platform.dev.snapshot());
        }
        parts.add(uart.snapshot());
        parts.add(console.snapshot());
        if (driver != null) {
            parts.add(((Snapshottable) driver).snapshot());
        }
        boolean[] sipiWait = waitForSipi.clone(), init = initPending.clone();
        int[] sipi = sipiPending.clone();
        int run = running, rc = resumeCpu;
        long t = now, ev = exitValue, rb = resumeBudget, exits = vmExits;
        boolean ex = exited, rr = resumeRan;
        parts.add(new Snapshottable.Snapshot() {
            @Override
            public void restore() {
                System.arraycopy(sipiWait, 0, waitForSipi, 0, sipiWait.length);
                System.arraycopy(init, 0, initPending, 0, init.length);
                System.arraycopy(sipi, 0, sipiPending, 0, sipi.length);
                running = run;
                resumeCpu = rc;
                now = t;
                exitValue = ev;
                resumeBudget = rb;
                vmExits = exits;
                exited = ex;
                resumeRan = rr;
            }
        });
        Ram.Snapshot memory = ram.snapshot(previous == null ? null : previous.ram);
        return new MachineSnapshot(Snapshottable.all(parts.toArray(new Snapshottable.Snapshot[0])), memory);
    }

    /** A whole machine's state (see {@link Machine#snapshot(MachineSnapshot)}). */
    public static final class MachineSnapshot implements Snapshottable.Snapshot {
        private final Snapshottable.Snapshot state;
        private final Ram.Snapshot ram;

        MachineSnapshot(Snapshottable.Snapshot state, Ram.Snapshot ram) {
            this.state = state;
            this.ram = ram;
        }

        /** RAM first (CPUs refresh their TLBs' host pages from it), then every component. */
        @Override
        public void restore() {
            ram.restore();
            state.restore();
        }

        /** Bytes of this snapshot's own: component state plus the RAM pages copied for it. */
        @Override
        public long bytes() {
            return state.bytes() + ram.bytes();
        }

        /** Bytes of component state (RAM pages not counted). */
        public long stateBytes() {
            return state.bytes();
        }

        /** The RAM part (its page copies may be shared with other snapshots). */
        public Ram.Snapshot ram() {
            return ram;
        }
    }
}
