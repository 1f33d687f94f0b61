package dev.hvsim.machine.device;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The byte sink shared by the serial port and the debug console: guest output goes to one
 * {@link OutputStream} (stdout for the CLI), flushed at each newline and when the run ends.
 *
 * <p>A failing stream (a closed pipe) never stops the guest: the first {@link IOException} is kept
 * for {@link #error()} and later bytes are dropped.
 */
public final class ConsoleOutput implements dev.hvsim.x86core.Snapshottable {
    private final OutputStream out;
    private IOException error;
    private long bytesWritten;

    /** A console writing to {@code out}. */
    public ConsoleOutput(OutputStream out) {
        this.out = out;
    }

    /**
     * Set while a debugger re-executes output the console showed before (reverse execution): counted, not written.
     * Set and read on the thread that runs the machine.
     */
    private boolean muted;

    /** Mutes or unmutes the console: while muted, bytes are counted as written but do not reach the stream. */
    public void setMuted(boolean on) {
        muted = on;
    }

    /** Emits one byte (the low 8 bits of {@code b}). */
    public void put(int b) {
        if (error != null) {
            return;
        }
        if (muted) {
            bytesWritten++;
            return;
        }
        try {
            out.write(b & 0xff);
            bytesWritten++;
            if ((b & 0xff) == '\n') {
                out.flush();
            }
        } catch (IOException e) {
            error = e;
        }
    }

    /** Flushes the stream (the machine calls this when a run ends). */
    public void flush() {
        if (error != null || muted) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            error = e;
        }
    }

    /** Bytes the guest wrote that reached the stream. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** The first write error, or null. */
    public IOException error() {
        return error;
    }

    /** The byte count and the first write error (bytes already written to the stream are not taken back). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long n = bytesWritten;
        IOException e = error;
        return () -> {
            bytesWritten = n;
            error = e;
        };
    }
}
