package dev.hvsim.svm;

import dev.hvsim.x86core.bus.PhysicalBus;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The VMCB as VMRUN read it: the bytes taken once (ARCHITECTURE.md "snapshot, check, commit"; the TOCTOU concern KVM's
 * svm/nested.c names). Checks and the commit read only this copy.
 *
 * <p>VMRUN refills one snapshot per CPU ({@link #perCpu()}, {@link #refill}) with the two ranges of the VMCB that
 * VMRUN reads, {@link #CONTROL_END control area 000H-0FFH} and {@link #SAVE_START save area 400H}-{@link #SAVE_END
 * 6FFH} (every field svm-model's {@code V} names lies in them: APM Vol. 2 Appendix B, Tables B-1 and B-2); the bytes
 * outside them are not copied and read as zero. Tools and tests take whole-page snapshots ({@link #read}, {@link #of}).
 */
public final class VmcbSnapshot {
    public static final int SIZE = 4096;
    /** The end (exclusive) of the control-area bytes VMRUN copies (the last field it reads: the instruction bytes). */
    public static final int CONTROL_END = 0x100;
    /** The state-save-area bytes VMRUN copies: [{@code SAVE_START}, {@code SAVE_END}) (the last field: G_PAT). */
    public static final int SAVE_START = 0x400, SAVE_END = 0x700;
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private final byte[] b;
    /** While non-null: one bit per 8-byte word of the VMCB that {@link #get} read (for {@code VmrunCheckMemo}). */
    private long[] track;

    private VmcbSnapshot(byte[] b) {
        this.b = b;
    }

    /**
     * Reads the VMCB at physical address {@code pa}. A page-aligned VMCB in plain RAM (VMRUN's rAX is 4 KiB aligned,
     * APM Vol. 2 15.5.1) is one copy of its RAM page's array; anything else is read through the bus 8 bytes at a time.
     */
    public static VmcbSnapshot read(PhysicalBus bus, long pa) {
        VmcbSnapshot v = new VmcbSnapshot(new byte[SIZE]);
        v.copy(bus, (pa & (SIZE - 1)) == 0 ? bus.ramPage(pa) : null, pa, 0, SIZE);
        return v;
    }

    /** An empty snapshot for one CPU's VMRUNs to refill ({@link #refill}): no allocation per VMRUN. */
    static VmcbSnapshot perCpu() {
        return new VmcbSnapshot(new byte[SIZE]);
    }

    /**
     * Refills this snapshot with the bytes of the VMCB at {@code pa} that VMRUN reads (control area up to
     * {@link #CONTROL_END}, save area from {@link #SAVE_START} to {@link #SAVE_END}); returns the VMCB's RAM page when
     * it is one (then the copy came from its array), else null (read through the bus).
     */
    byte[] refill(PhysicalBus bus, long pa) {
        byte[] page = (pa & (SIZE - 1)) == 0 ? bus.ramPage(pa) : null;
        copy(bus, page, pa, 0, CONTROL_END);
        copy(bus, page, pa, SAVE_START, SAVE_END);
        return page;
    }

    private void copy(PhysicalBus bus, byte[] page, long pa, int from, int to) {
        if (page != null) {
            System.arraycopy(page, from, b, from, to - from);
            return;
        }
        for (int i = from; i < to; i += 8) {
            LONG.set(b, i, bus.read(pa + i, 8));
        }
    }

    /**
     * A view of the RAM page {@code page} itself, not a copy: for reading state that is consumed at once (the host
     * state #VMEXIT loads from VM_HSAVE_PA), where a copy of the whole page would be wasted.
     */
    static VmcbSnapshot viewOf(byte[] page) {
        return new VmcbSnapshot(page);
    }

    /** A snapshot of given bytes (tools, tests). */
    public static VmcbSnapshot of(byte[] bytes) {
        return new VmcbSnapshot(bytes.clone());
    }

    /** Little-endian value of {@code size} bytes (1, 2, 4, 8) at {@code offset}. */
    public long get(int offset, int size) {
        if (track != null) {
            note(offset, size);
        }
        switch (size) {
            case 1: return b[offset] & 0xffL;
            case 2: return (short) SHORT.get(b, offset) & 0xffffL;
            case 4: return (int) INT.get(b, offset) & 0xffffffffL;
            case 8: return (long) LONG.get(b, offset);
            default: return bytes(offset, size);
        }
    }

    /** The 8 bytes at {@code offset}: {@code get(offset, 8)} (small, so that VMRUN's and #VMEXIT's loads inline it). */
    public long q(int offset) {
        if (track != null) {
            note(offset, 8);
        }
        return (long) LONG.get(b, offset);
    }

    /** Notes the 8-byte words that {@code size} bytes at {@code offset} touch (see {@link #track}). */
    private void note(int offset, int size) {
        track[offset >>> 9] |= 1L << (offset >>> 3);
        int last = offset + size - 1;
        track[last >>> 9] |= 1L << (last >>> 3);
    }

    private long bytes(int offset, int size) {
        long v = 0;
        for (int k = size - 1; k >= 0; k--) {
            v = v << 8 | (b[offset + k] & 0xff);
        }
        return v;
    }

    public boolean bit(int offset, int bit) {
        return (get(offset, 4) >>> bit & 1) != 0;
    }

    /** The 8-byte word at {@code offset} (a multiple of 8), not tracked (the memo's comparison). */
    long word(int offset) {
        return (long) LONG.get(b, offset);
    }

    /** Starts (a 64-long bitmap, one bit per 8-byte word) or stops ({@code null}) noting the words {@link #get} reads. */
    void track(long[] words) {
        track = words;
    }
}
