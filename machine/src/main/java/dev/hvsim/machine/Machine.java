package dev.hvsim.machine;

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
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.StopReason;

/**
 * A PC around one x86-core {@link Cpu}: sparse RAM, the physical and I/O buses, and the devices
 * (16550 UART at 0x3f8, debug console at 0xe9, debug exit at 0xf4). Load a guest with
 * {@link #loadElf} or {@link #loadFlat} (which also put the CPU in the boot-protocol start state),
 * then {@link #run} it under {@link RunLimits}.
 *
 * <pre>{@code
 * Machine m = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), System.out));
 * m.loadElf(Files.readAllBytes(path));
 * RunOutcome o = m.run(RunLimits.instructions(1_000_000_000L).withTimeout(Duration.ofSeconds(10)));
 * }</pre>
 *
 * <p>A machine holds no static state: several run side by side in one JVM, each on its own thread.
 * Only {@link #requestStop()} may be called from another thread.
 */
public final class Machine {
    /** Instructions per slice when a timeout is set: the clock is read between slices. */
    public static final long SLICE = 1 << 20;

    private final MachineConfig config;
    private final Ram ram;
    private final MemoryBus memory;
    private final IoPortBus io;
    private final ConsoleOutput console;
    private final Uart16550 uart;
    private final Cpu cpu;
    private boolean exited;
    private long exitValue;
    private LoadedImage image;

    /** Builds the machine: RAM, buses, devices and the CPU in its power-on state. */
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
        this.cpu = new Cpu(config.profile(), memory, io);
    }

    public MachineConfig config() { return config; }
    public Cpu cpu() { return cpu; }
    public Ram ram() { return ram; }
    public MemoryBus memory() { return memory; }
    public IoPortBus io() { return io; }
    public ConsoleOutput console() { return console; }
    public Uart16550 uart() { return uart; }

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
        if (entry >= 0 && (entry >= ram.size() || entry > 0xffffffffL)) {
            throw new LoadException(String.format("entry 0x%x is outside RAM (%d MiB) or above 4 GiB", entry,
                    config.memoryMiB()));
        }
        LoadedImage loaded = ElfLoader.load(file, memory);
        if (entry >= 0) {
            loaded = new LoadedImage(loaded.format(), entry, loaded.mode(), loaded.segments());
        }
        return started(loaded);
    }

    /**
     * Loads a flat image at {@code address} and puts the CPU at {@code entry} (-1: the load address),
     * in real mode when the address is below 1 MiB, else in 32-bit protected mode.
     */
    public LoadedImage loadFlat(byte[] bytes, long address, long entry) throws LoadException {
        return started(FlatLoader.load(bytes, address, entry, memory));
    }

    private LoadedImage started(LoadedImage loaded) {
        image = loaded;
        exited = false;
        Boot.start(cpu, loaded);
        return loaded;
    }

    /** Asks a running {@link #run} to return {@link RunOutcome.Stopped} soon; safe from any thread. */
    public void requestStop() {
        cpu.requestStop();
    }

    /**
     * Runs the CPU until the guest halts for good, shuts down, writes the debug-exit port, or a limit
     * is reached. Once the guest has exited, further calls return the same exit at once.
     */
    public RunOutcome run(RunLimits limits) {
        long insn0 = cpu.instructions(), cycles0 = cpu.cycles(), t0 = System.nanoTime();
        long timeoutNanos = limits.timeout() == null ? Long.MAX_VALUE : limits.timeout().toNanos();
        try {
            while (true) {
                long done = cpu.instructions() - insn0;
                RunStats stats = new RunStats(done, cpu.cycles() - cycles0, System.nanoTime() - t0);
                if (exited) {
                    return new RunOutcome.GuestExit(exitValue, stats);
                }
                if (done >= limits.maxInstructions()) {
                    return new RunOutcome.InstructionLimit(limits.maxInstructions(), stats);
                }
                if (stats.wallNanos() >= timeoutNanos) {
                    return new RunOutcome.Timeout(limits.timeout(), stats);
                }
                long left = limits.maxInstructions() - done;
                StopReason r = cpu.run(limits.timeout() == null ? left : Math.min(SLICE, left), Long.MAX_VALUE);
                RunOutcome o = outcome(r, insn0, cycles0, t0);
                if (o != null) {
                    return o;
                }
            }
        } finally {
            console.flush();
        }
    }

    /** The outcome a stop reason ends the run with, or null to go on with the next slice. */
    private RunOutcome outcome(StopReason r, long insn0, long cycles0, long t0) {
        RunStats stats = new RunStats(cpu.instructions() - insn0, cpu.cycles() - cycles0, System.nanoTime() - t0);
        if (exited) {
            return new RunOutcome.GuestExit(exitValue, stats);
        }
        switch (r) {
            case HALTED:
            case WAITING_FOR_INTERRUPT: // no device raises interrupts yet, so nothing can wake the CPU
                return new RunOutcome.Halted(stats);
            case SHUTDOWN:
                return new RunOutcome.Shutdown(cpu.shutdownReason(), stats);
            case INSTRUCTION_LIMIT:
            case CYCLE_LIMIT:
                return null;
            default:
                return new RunOutcome.Stopped(r, stats);
        }
    }

    private void guestExit(long value) {
        exited = true;
        exitValue = value;
        cpu.stopAfterInstruction(StopReason.STOP_REQUESTED);
    }
}
