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

    /** A view of the region at physical address {@code base} on {@code bus}. */
    static VmcsMemory of(PhysicalBus bus, long base) {
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
}
