package dev.hvsim.x86core.decode;

/**
 * One decoded instruction: the row it matched plus everything the handler needs, resolved once at
 * decode time (effective operand and address size, ModRM/SIB operands, displacement, immediates).
 * Immutable after decoding except for the block-translation fields {@link #heat} and {@link #block};
 * cached per physical address by the decode cache.
 */
public final class DecodedInsn {
    /** Base register value meaning "RIP-relative" (64-bit mode, ModRM mod=00 rm=101). */
    public static final int BASE_RIP = 16;

    public OpcodeRow row;
    public int family;
    /** The row's centrally applied checks (A_UD, A_NO_REAL, A_CPL0, A_TSD), copied for the hot path. */
    public int checks;
    /** The row's intercept point, copied for the hot path; null when none. */
    public InterceptPoint intercept;
    public int handler;
    public int length;
    /** Code size the bytes were decoded in: 16, 32 or 64. */
    public int codeSize;
    /** Effective operand size in bytes (1, 2, 4 or 8). */
    public int opSize;
    /** Effective address size in bytes (2, 4 or 8). */
    public int addrSize;
    public boolean hasModrm;
    public int mod;
    /** ModRM.reg extended by REX.R (or the register in the opcode's low bits, extended by REX.B). */
    public int reg;
    /** ModRM.rm extended by REX.B (register form). */
    public int rm;
    public boolean memOp;
    /** Memory operand: base register or -1, or {@link #BASE_RIP}; index register or -1; scale as a shift. */
    public int base = -1, index = -1, scale;
    public long disp;
    /** Effective segment of the memory operand (override or default). */
    public int seg;
    /** Segment override prefix, or -1. */
    public int segOverride = -1;
    public long imm, imm2;
    /** 0, 0xF3 (REP/REPE) or 0xF2 (REPNE): the last of F2/F3 seen. */
    public int rep;
    public boolean lock;
    public boolean rex;
    public boolean rexW;
    /** 0x66 present. */
    public boolean opsizePrefix;
    /** VEX.vvvv (inverted back to a register number), VEX.L. */
    public int vexReg;
    public int vexL;
    /** Specialised form for the interpreter's fast path (0: none) and its two operands (exec.FastPath). */
    public int fast, fastA, fastB;
    /** Cycle cost from the profile's latency table. */
    public int cycles;
    /** True when the instruction lies in one 4 KiB page (only those are cached). */
    public boolean cacheable;
    /**
     * Block translation (x86-core {@code jit}), the one mutable part: how often the 64-bit fast loop reached
     * this instruction as a possible block start (negative: never translate from here), and the translated
     * block that starts here, if any. Both die with the decode-cache page, so a write to the page drops them.
     */
    public int heat;
    public dev.hvsim.x86core.jit.TranslatedBlock block;

    /** Register number for a byte-register operand field without REX: 4..7 are AH, CH, DH, BH. */
    public boolean highByte(int regField) {
        return !rex && regField >= 4 && regField < 8;
    }

    @Override
    public String toString() {
        return row == null ? "(undecoded)" : row.text();
    }
}
