package dev.hvsim.vmcs;

import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * The bytes of one VMCS region, little-endian, addressed by offset 0..size-1: a {@code byte[]} (a VMCS cached
 * by the model) or a region in physical memory through the x86-core {@link PhysicalBus} (what VMCLEAR writes
 * back and VMPTRLD reads).
 */
public interface VmcsMemory {

    /** Reads {@code size} (1, 2, 4 or 8) bytes at {@code offset}, zero-extended. */
    long read(int offset, int size);

    /** Writes the low {@code size} (1, 2, 4 or 8) bytes of {@code value} at {@code offset}. */
    void write(int offset, int size, long value);

    /**
     * Reads {@code sizes[i]} bytes at {@code offsets[i]} into {@code out[i]} for every i (size 0: writes 0): the
     * same as {@link #read} per element. A RAM page overrides it with one tight loop over its array.
     */
    default void readAll(int[] offsets, int[] sizes, long[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = sizes[i] == 0 ? 0 : read(offsets[i], sizes[i]);
        }
    }

    /** A view of an array; offsets outside it throw IndexOutOfBoundsException. */
    static VmcsMemory of(byte[] region) {
        return new VmcsMemory() {
            @Override
            public long read(int offset, int size) {
                java.util.Objects.checkFromIndexSize(offset, size, region.length);
                long v = 0;
                for (int i = size - 1; i >= 0; i--) {
                    v = v << 8 | (region[offset + i] & 0xff);
                }
                return v;
            }

            @Override
            public void write(int offset, int size, long value) {
                java.util.Objects.checkFromIndexSize(offset, size, region.length);
                for (int i = 0; i < size; i++) {
                    region[offset + i] = (byte) (value >>> (8 * i));
                }
            }
        };
    }

    /**
     * A view of the region at physical address {@code base} on {@code bus}. A page-aligned region in plain RAM
     * (every region VMPTRLD accepts, SDM Vol. 3C 31.3) is read and written directly in the RAM page's array, which
     * is the same memory the CPU's loads and stores use; anything else goes through the bus per access.
     * Writes through the array view are not reported to the bus's write observers (decode caches): a VMCS page
     * is not code.
     */
    static VmcsMemory of(PhysicalBus bus, long base) {
        byte[] page = (base & 0xfff) == 0 ? bus.ramPage(base) : null;
        if (page != null) {
            return new PageVmcsMemory(page);
        }
        return new VmcsMemory() {
            @Override
            public long read(int offset, int size) {
                return bus.read(base + offset, size);
            }

            @Override
            public void write(int offset, int size, long value) {
                bus.write(base + offset, size, value);
            }
        };
    }

    /** A region that is one 4 KiB RAM page: little-endian accesses to its array. */
    final class PageVmcsMemory implements VmcsMemory {
        private static final java.lang.invoke.VarHandle SHORT =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final java.lang.invoke.VarHandle INT =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final java.lang.invoke.VarHandle LONG =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
        private final byte[] page;

        PageVmcsMemory(byte[] page) {
            this.page = page;
        }

        /** Byte loads, like {@link #write} (the launch state is read at every VM entry of the Java root API). */
        @Override
        public long read(int offset, int size) {
            java.util.Objects.checkFromIndexSize(offset, size, page.length);
            if (size != 1 && size != 2 && size != 4 && size != 8) {
                throw new IllegalArgumentException("access size " + size);
            }
            byte[] p = page;
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | (p[offset + i] & 0xffL);
            }
            return v;
        }

        @Override
        public void readAll(int[] offsets, int[] sizes, long[] out) {
            byte[] p = page;
            for (int i = 0; i < out.length; i++) {
                int o = offsets[i];
                switch (sizes[i]) {
                    case 0: out[i] = 0; break;
                    case 2: out[i] = (short) SHORT.get(p, o) & 0xffffL; break;
                    case 4: out[i] = (int) INT.get(p, o) & 0xffffffffL; break;
                    case 8: out[i] = (long) LONG.get(p, o); break;
                    default: out[i] = read(o, sizes[i]); break;
                }
            }
        }

        /**
         * Byte stores rather than the array-view VarHandles: the VM exit stores a few fields per exit, and C2 did not
         * always inline the VarHandle's guard here (it showed as a call per store in profiles).
         */
        @Override
        public void write(int offset, int size, long value) {
            java.util.Objects.checkFromIndexSize(offset, size, page.length);
            byte[] p = page;
            switch (size) {
                case 8:
                    p[offset + 7] = (byte) (value >>> 56);
                    p[offset + 6] = (byte) (value >>> 48);
                    p[offset + 5] = (byte) (value >>> 40);
                    p[offset + 4] = (byte) (value >>> 32);
                    // fall through
                case 4:
                    p[offset + 3] = (byte) (value >>> 24);
                    p[offset + 2] = (byte) (value >>> 16);
                    // fall through
                case 2:
                    p[offset + 1] = (byte) (value >>> 8);
                    // fall through
                case 1:
                    p[offset] = (byte) value;
                    break;
                default: throw new IllegalArgumentException("access size " + size);
            }
        }
    }
}
