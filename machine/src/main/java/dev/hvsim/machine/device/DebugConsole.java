package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;

/**
 * The Bochs/QEMU debug console at port 0xe9: each byte written appears on the console. Reading the
 * port returns 0xe9 (QEMU's {@code isa-debugcon} "readback" value), which lets a guest detect it.
 * A wider OUT emits only its low byte, as QEMU's device (1-byte access size) does.
 */
public final class DebugConsole implements IoDevice {
    /** The conventional port. */
    public static final int PORT = 0xe9;
    /** The value an IN returns. */
    public static final int READBACK = 0xe9;

    private final ConsoleOutput console;

    /** A debug console writing to {@code console}. */
    public DebugConsole(ConsoleOutput console) {
        this.console = console;
    }

    @Override
    public long in(int offset, int size) {
        return READBACK;
    }

    @Override
    public void out(int offset, int size, long value) {
        console.put((int) value);
    }
}
