package dev.hvsim.x86core.bus;

/**
 * The x86 I/O port space (64 Ki ports). Implemented by {@code machine/}, where devices register port
 * ranges. An unassigned port reads all-ones and ignores writes. Never throws for any port or value.
 */
public interface IoBus {

    /** IN of {@code size} bytes (1, 2 or 4) from {@code port} (0..0xffff); zero-extended. */
    long in(int port, int size);

    /** OUT of the low {@code size} bytes (1, 2 or 4) of {@code value} to {@code port}. */
    void out(int port, int size, long value);
}
