package dev.hvsim.machine.device;

/**
 * One PCI function's configuration space (256 bytes, PCI Local Bus Specification 3.0, 6.1) as
 * {@link PciHost} reaches it. Offsets are 0..255 and an access never crosses a dword; implementations never
 * throw for guest-controlled offsets or values.
 */
public interface PciFunction {

    /** Reads {@code size} bytes (1, 2 or 4) at configuration offset {@code reg}. */
    long configRead(int reg, int size);

    /** Writes the low {@code size} bytes of {@code value} at configuration offset {@code reg}. */
    void configWrite(int reg, int size, long value);
}
