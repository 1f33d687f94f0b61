package dev.hvsim.x86core;

/** Register numbers as encoded in ModRM/REX (SDM Vol. 2A 2.1.5, Table 2-2) and segment register numbers. */
public final class Reg {
    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
            R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;
    /** Segment registers in Sreg encoding order (SDM Vol. 2A 3.1.1.3). */
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    /** No segment override. */
    public static final int SEG_NONE = -1;

    public static final String[] GPR_NAMES = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"};
    public static final String[] SEG_NAMES = {"ES", "CS", "SS", "DS", "FS", "GS"};

    private Reg() {}
}
