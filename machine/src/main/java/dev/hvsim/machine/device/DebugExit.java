package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;
import java.util.function.LongConsumer;

/**
 * QEMU's {@code isa-debug-exit} device as configured by {@code -device isa-debug-exit,iobase=0xf4,iosize=4}:
 * a write of value v to any of its ports (0xf4..0xf7) with any width (1, 2 or 4 bytes) ends the run;
 * QEMU then exits with status {@code (v << 1) | 1}, v being the written value zero-extended from the
 * access width (so an OUTB of 0x80 gives the same v as an OUTL of 0x80). The offset inside the range
 * does not matter. Reads return 0 (QEMU's {@code debug_exit_read}).
 *
 * <p>Here the write calls the machine's exit handler with v; the machine stops the CPU after the OUT
 * retires and reports a guest exit.
 */
public final class DebugExit implements IoDevice {
    /** The conventional base port. */
    public static final int PORT = 0xf4;
    /** Ports covered (QEMU's {@code iosize=4}). */
    public static final int SIZE = 4;

    private final LongConsumer onExit;

    /** A device that reports each write's value to {@code onExit}. */
    public DebugExit(LongConsumer onExit) {
        this.onExit = onExit;
    }

    /** The process exit status QEMU derives from a written value: {@code (v << 1) | 1}. */
    public static long status(long value) {
        return (value << 1) | 1;
    }

    @Override
    public long in(int offset, int size) {
        return 0;
    }

    @Override
    public void out(int offset, int size, long value) {
        onExit.accept(value);
    }
}
