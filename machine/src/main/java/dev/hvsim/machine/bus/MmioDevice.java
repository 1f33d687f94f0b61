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
}
