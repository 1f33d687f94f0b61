package dev.hvsim.x86core.exec;

/**
 * Handler families: one class each, grouped as the SDM groups instructions. An opcode row names its
 * family and a handler id within it; {@link Exec#execute} dispatches with two dense int switches so no
 * call on the per-instruction path is megamorphic.
 */
public final class Family {
    public static final int ARITH = 1, SHIFT = 2, MULDIV = 3, BITOPS = 4, DECIMAL = 5, MOVE = 6, STACK = 7,
            BRANCH = 8, STRING = 9, MISC = 10, SYSTEM = 11, SEGMENT = 12, IO = 13, FPU = 14, FLAGS = 15;
    /** Rows contributed by the installed {@link dev.hvsim.x86core.CpuExtension}; executed by it. */
    public static final int EXTENSION = 16;

    private Family() {}
}
