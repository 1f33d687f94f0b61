package dev.hvsim.x86core.bus;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian 1/2/4/8-byte access to a 4 KiB page array, for the CPU's TLB fast path and the
 * machine's RAM. The caller guarantees that {@code off + size <= page.length}.
 */
public final class PageAccess {
    private static final VarHandle LE16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private PageAccess() {}

    /** Reads {@code size} bytes at {@code off}, zero-extended. */
    public static long read(byte[] p, int off, int size) {
        switch (size) {
            case 1: return p[off] & 0xffL;
            case 2: return (short) LE16.get(p, off) & 0xffffL;
            case 4: return (int) LE32.get(p, off) & 0xffffffffL;
            default: return (long) LE64.get(p, off);
        }
    }

    /** Writes the low {@code size} bytes of {@code v} at {@code off}. */
    public static void write(byte[] p, int off, int size, long v) {
        switch (size) {
            case 1: p[off] = (byte) v; break;
            case 2: LE16.set(p, off, (short) v); break;
            case 4: LE32.set(p, off, (int) v); break;
            default: LE64.set(p, off, v);
        }
    }
}
