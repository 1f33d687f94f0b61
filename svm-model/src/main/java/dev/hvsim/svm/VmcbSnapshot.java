package dev.hvsim.svm;

import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * The VMCB as VMRUN read it: one copy of the 4 KiB page taken once (ARCHITECTURE.md "snapshot, check, commit"; the
 * TOCTOU concern KVM's svm/nested.c names). Checks and the commit read only this copy.
 */
public final class VmcbSnapshot {
    public static final int SIZE = 4096;
    private final byte[] b;

    private VmcbSnapshot(byte[] b) {
        this.b = b;
    }

    /**
     * Reads the VMCB at physical address {@code pa}. A page-aligned VMCB in plain RAM (VMRUN's rAX is 4 KiB aligned,
     * APM Vol. 2 15.5.1) is one copy of its RAM page's array; anything else is read through the bus 8 bytes at a time.
     */
    public static VmcbSnapshot read(PhysicalBus bus, long pa) {
        byte[] b = new byte[SIZE];
        byte[] page = (pa & (SIZE - 1)) == 0 ? bus.ramPage(pa) : null;
        if (page != null) {
            System.arraycopy(page, 0, b, 0, SIZE);
            return new VmcbSnapshot(b);
        }
        for (int i = 0; i < SIZE; i += 8) {
            long v = bus.read(pa + i, 8);
            for (int k = 0; k < 8; k++) {
                b[i + k] = (byte) (v >>> 8 * k);
            }
        }
        return new VmcbSnapshot(b);
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
        long v = 0;
        for (int k = size - 1; k >= 0; k--) {
            v = v << 8 | (b[offset + k] & 0xff);
        }
        return v;
    }

    public long q(int offset) {
        return get(offset, 8);
    }

    public boolean bit(int offset, int bit) {
        return (get(offset, 4) >>> bit & 1) != 0;
    }
}
