package dev.hvsim.conformance.nativediff;

import java.util.List;

/**
 * The fixed guest-visible layout shared by the native harness ({@code harness.c}) and any
 * model-side {@link IsaExecutor}: where the case's code and data live, and the order of the
 * general-purpose registers in {@link IsaCase#gprs()} and {@link IsaOutcome#gprs()}.
 *
 * <p>Code runs in 64-bit mode at CPL 3. The case's bytes start at {@link #CODE}; executing
 * past the last byte (offset {@code code.length}) ends the case. The data region is
 * {@link #DATA_SIZE} bytes at {@link #DATA}, zero-padded beyond the case's data bytes.
 */
public final class IsaLayout {
    /** Linear address of the first instruction byte (one RWX page). */
    public static final long CODE = 0x2000_0000L;
    /** Linear address of the data region (read/write). */
    public static final long DATA = 0x1000_0000L;
    /** Size of the data region in bytes (two 4 KiB pages). */
    public static final int DATA_SIZE = 8192;
    /** Largest code length the harness accepts (page minus its 14-byte exit trailer). */
    public static final int MAX_CODE = 4096 - 14;
    /** Number of general-purpose registers. */
    public static final int GPR_COUNT = 16;

    /** Register names in hardware encoding order: index {@code i} is the register numbered i. */
    public static final List<String> GPR_NAMES = List.of(
            "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
            "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15");

    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

    private IsaLayout() {
    }
}
