package dev.hvsim.machine.bus;

/**
 * A device that claims a range of physical addresses on the {@link MemoryBus}. Offsets are relative to
 * the start of the region the device was mapped at. Implementations never throw for guest-controlled
 * offsets or values.
 */
public interface MmioDevice {

    /** Reads {@code size} bytes (1, 2, 4 or 8) at {@code offset}; the bus masks the result to the size. */
    long read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);

    /**
     * A region that is plain memory in 4 KiB pages (no side effects on access): {@link MemoryBus#ramPage} gives its
     * pages like RAM pages, so the CPU and bulk readers (a VMCB snapshot) access them directly.
     */
    interface PageBacked {
        /** The page at {@code offset} (4 KiB aligned) of the region, allocated on first use. */
        byte[] page(long offset);
    }
}
