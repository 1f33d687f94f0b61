package dev.hvsim.svm;

import dev.hvsim.x86core.bus.PhysicalBus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;

/**
 * The VMCB as VMRUN read it: the bytes taken once (ARCHITECTURE.md "snapshot, check, commit"; the TOCTOU concern KVM's
 * svm/nested.c names). Checks and the commit read only this copy.
 *
 * <p>VMRUN refills one snapshot per CPU ({@link #perCpu()}, {@link #refill}) with the ranges of the VMCB that
 * VMRUN reads, {@link #CONTROL_END control area 000H-0FFH} and {@link #SAVE_START save area 400H}-{@link #SAVE_END
 * 66FH} (every field svm-model's {@code V} names lies in them: APM Vol. 2 Appendix B, Tables B-1 and B-2;
 * {@link #copied}); the bytes outside them are not copied and read as zero. Tools and tests take whole-page snapshots ({@link #read}, {@link #of}).
 *
 * <p>The bytes are kept as little-endian 8-byte words ({@code long[]}): a field read is an array load and a shift, small
 * enough for C2 to inline every one of VMRUN's and #VMEXIT's reads (the byte-array view VarHandles it replaced were
 * not all inlined in those long methods, and showed as calls per field in profiles). A RAM page is copied into the
 * words in bulk through a little-endian {@link LongBuffer} view of it (a memory copy on little-endian hosts).
 */
public final class VmcbSnapshot {
    public static final int SIZE = 4096;
    /** The end (exclusive) of the control-area bytes VMRUN copies (the last field it reads: the instruction bytes). */
    public static final int CONTROL_END = 0x100;
    /** The state-save-area bytes VMRUN copies: [{@code SAVE_START}, {@code SAVE_END}) (the last field: G_PAT at 668H). */
    public static final int SAVE_START = 0x400, SAVE_END = 0x670;
    /** The end of the host save area bytes #VMEXIT loads ({@link #refillHostState}): ES at 400H to RAX at 5F8H. */
    static final int HOST_STATE_END = 0x600;
    /** Byte {@code 8i + k} of the VMCB is bits {@code 8k+7:8k} of {@code w[i]}. */
    private final long[] w = new long[SIZE / 8];
    /** While non-null: one bit per 8-byte word of the VMCB that {@link #get} read (for {@code VmrunCheckMemo}). */
    private long[] track;
    /** The RAM page the last refill copied from and its little-endian long view (a new view only for a new page). */
    private byte[] viewPage;
    private LongBuffer view;

    private VmcbSnapshot() {
    }

    /**
     * Reads the VMCB at physical address {@code pa}. A page-aligned VMCB in plain RAM (VMRUN's rAX is 4 KiB aligned,
     * APM Vol. 2 15.5.1) is one copy of its RAM page's array; anything else is read through the bus 8 bytes at a time.
     */
    public static VmcbSnapshot read(PhysicalBus bus, long pa) {
        VmcbSnapshot v = new VmcbSnapshot();
        v.copy(bus, (pa & (SIZE - 1)) == 0 ? bus.ramPage(pa) : null, pa, 0, SIZE);
        return v;
    }

    /** An empty snapshot for one CPU's VMRUNs to refill ({@link #refill}): no allocation per VMRUN. */
    static VmcbSnapshot perCpu() {
        return new VmcbSnapshot();
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

    /** Whether VMRUN's snapshot copies the bytes [{@code from}, {@code to}) of the VMCB ({@link #refill}). */
    static boolean copied(int from, int to) {
        return to <= CONTROL_END || from >= SAVE_START && to <= SAVE_END;
    }

    /**
     * Refills this snapshot with the host state #VMEXIT loads from the host save area at {@code pa} (save-area layout,
     * {@link #SAVE_START} to {@link #HOST_STATE_END}; one bulk copy, cheaper than several of the words it needs):
     * from {@code page} when it is the RAM page at {@code pa}, else through the bus.
     */
    void refillHostState(PhysicalBus bus, byte[] page, long pa) {
        copy(bus, page, pa, SAVE_START, HOST_STATE_END);
    }

    private void copy(PhysicalBus bus, byte[] page, long pa, int from, int to) {
        if (page != null) {
            if (page != viewPage) {
                viewPage = page;
                view = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            }
            view.get(from >>> 3, w, from >>> 3, (to - from) >>> 3);
            return;
        }
        for (int i = from; i < to; i += 8) {
            w[i >>> 3] = bus.read(pa + i, 8);
        }
    }

    /** A snapshot of given bytes (tools, tests): a VMCB image of {@link #SIZE} bytes (shorter: zeros follow). */
    public static VmcbSnapshot of(byte[] bytes) {
        byte[] b = bytes.length == SIZE ? bytes : java.util.Arrays.copyOf(bytes, SIZE);
        VmcbSnapshot v = new VmcbSnapshot();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v.w);
        return v;
    }

    /** Little-endian value of {@code size} bytes (1 to 8) at {@code offset}. */
    public long get(int offset, int size) {
        if (track != null) {
            note(offset, size);
        }
        int shift = (offset & 7) << 3;
        if (shift + (size << 3) <= 64) { // within one word
            long v = w[offset >>> 3] >>> shift;
            return size == 8 ? v : v & ((1L << (size << 3)) - 1);
        }
        return bytes(offset, size);
    }

    /** The 8 bytes at {@code offset}: {@code get(offset, 8)} (small, so that VMRUN's and #VMEXIT's loads inline it). */
    public long q(int offset) {
        if (track != null) {
            note(offset, 8);
        }
        return (offset & 7) == 0 ? w[offset >>> 3] : bytes(offset, 8);
    }

    /** Notes the 8-byte words that {@code size} bytes at {@code offset} touch (see {@link #track}). */
    private void note(int offset, int size) {
        track[offset >>> 9] |= 1L << (offset >>> 3);
        int last = offset + size - 1;
        track[last >>> 9] |= 1L << (last >>> 3);
    }

    /** A value that spans two words, byte by byte. */
    private long bytes(int offset, int size) {
        if (size < 1 || size > 8) {
            throw new IllegalArgumentException("access size " + size);
        }
        long v = 0;
        for (int k = offset + size - 1; k >= offset; k--) {
            v = v << 8 | (w[k >>> 3] >>> ((k & 7) << 3) & 0xff);
        }
        return v;
    }

    public boolean bit(int offset, int bit) {
        return (get(offset, 4) >>> bit & 1) != 0;
    }

    /** The 8-byte word at {@code offset} (a multiple of 8), not tracked (the memo's comparison). */
    long word(int offset) {
        return w[offset >>> 3];
    }

    /** Starts (a 64-long bitmap, one bit per 8-byte word) or stops ({@code null}) noting the words {@link #get} reads. */
    void track(long[] words) {
        track = words;
    }
}
