package dev.hvsim.conformance.nativediff;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The binary batch format spoken with {@code harness.c} (all integers little-endian):
 * <pre>
 * header (harness to Java, once): "HVH1" u32 version=1, u64 CODE, u64 DATA,
 *                                 u32 DATA_SIZE, u32 MAX_CODE
 * case   (Java to harness):       "HVC1" u64 gpr[16], u64 rflags, u32 codeLen, u32 dataLen,
 *                                 code bytes, data bytes
 * outcome (harness to Java):      "HVO1" i32 vector, u64 gpr[16], u64 rflags, u64 ripOffset,
 *                                 u32 dataLen, data bytes
 * </pre>
 * End of input is EOF. GPRs are in encoding order (RAX..R15).
 */
final class BatchCodec {
    static final int MAGIC_HEADER = 0x31485648; // "HVH1"
    static final int MAGIC_CASE = 0x31435648;   // "HVC1"
    static final int MAGIC_OUT = 0x314F5648;    // "HVO1"
    private static final int CASE_HEADER = 4 + 16 * 8 + 8 + 4 + 4;
    private static final int OUT_HEADER = 4 + 4 + 16 * 8 + 8 + 8 + 4;

    private BatchCodec() {
    }

    /** Writes one case record. */
    static void writeCase(OutputStream out, IsaCase c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(CASE_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_CASE);
        for (long g : c.gprs()) {
            b.putLong(g);
        }
        b.putLong(c.rflags()).putInt(c.code().length).putInt(c.data().length);
        out.write(b.array());
        out.write(c.code());
        out.write(c.data());
    }

    /** Reads and checks the harness header against {@link IsaLayout}. */
    static void readHeader(DataInputStream in) throws IOException {
        ByteBuffer b = readLe(in, 4 + 4 + 8 + 8 + 4 + 4);
        int magic = b.getInt();
        int version = b.getInt();
        long code = b.getLong();
        long data = b.getLong();
        int dataSize = b.getInt();
        int maxCode = b.getInt();
        if (magic != MAGIC_HEADER || version != 1 || code != IsaLayout.CODE
                || data != IsaLayout.DATA || dataSize != IsaLayout.DATA_SIZE
                || maxCode != IsaLayout.MAX_CODE) {
            throw new IOException("harness header does not match IsaLayout");
        }
    }

    /** Reads one outcome record. */
    static IsaOutcome readOutcome(DataInputStream in) throws IOException {
        ByteBuffer b = readLe(in, OUT_HEADER);
        if (b.getInt() != MAGIC_OUT) {
            throw new IOException("bad outcome magic");
        }
        int vector = b.getInt();
        long[] gprs = new long[IsaLayout.GPR_COUNT];
        for (int i = 0; i < gprs.length; i++) {
            gprs[i] = b.getLong();
        }
        long rflags = b.getLong();
        long rip = b.getLong();
        byte[] data = new byte[b.getInt()];
        in.readFully(data);
        return new IsaOutcome(gprs, rflags, rip, data, vector);
    }

    private static ByteBuffer readLe(DataInputStream in, int n) throws IOException {
        byte[] raw = new byte[n];
        try {
            in.readFully(raw);
        } catch (EOFException e) {
            throw new EOFException("harness output ended early");
        }
        return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }
}
