package dev.hvsim.machine.bus;

/**
 * A device behind a range of I/O ports on the {@link IoPortBus}. Offsets are relative to the first port
 * of the range the device was registered for. Implementations never throw for guest-controlled offsets
 * or values.
 */
public interface IoDevice {

    /** IN of {@code size} bytes (1, 2 or 4) at {@code offset}; the bus masks the result to the size. */
    long in(int offset, int size);

    /** OUT of the low {@code size} bytes of {@code value} at {@code offset}. */
    void out(int offset, int size, long value);
}
