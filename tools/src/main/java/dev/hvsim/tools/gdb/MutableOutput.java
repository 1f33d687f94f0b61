package dev.hvsim.tools.gdb;

import java.io.IOException;
import java.io.OutputStream;

/** The console of a replayed machine: silent while the replay re-executes what was already printed. */
final class MutableOutput extends OutputStream {
    private final OutputStream out;
    volatile boolean muted;

    MutableOutput(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
        if (!muted) {
            out.write(b);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (!muted) {
            out.write(b, off, len);
        }
    }

    @Override
    public void flush() throws IOException {
        if (!muted) {
            out.flush();
        }
    }
}
