package dev.hvsim.conformance.nativediff;

/**
 * One row of the instruction {@link Catalogue}: an opcode form in SDM vocabulary with the
 * facts the generator needs. Immutable.
 *
 * @param mnemonic  Intel mnemonic (lower case, as rendered)
 * @param operands  operand notation from SDM Vol. 2 Appendix A (e.g. {@code "Ev,Gv"})
 * @param mandatory mandatory prefix (0xF3) or 0
 * @param opcode    opcode bytes (for {@link Form#Z} forms the register is added to the last)
 * @param digit     ModRM.reg opcode extension (/digit) or -1 for /r
 * @param form      operand form
 * @param sizes     allowed operand sizes, a mask of {@link #B}, {@link #W}, {@link #D}, {@link #Q}
 * @param eBits     size of the E operand when it differs from the operand size (MOVZX,
 *                  CMPXCHG16B ...) or 0
 * @param imm       immediate kind
 * @param rule      how flags are affected ({@link FlagRule#FIXED} uses {@code flags})
 * @param flags     fixed flag effect (SDM Vol. 2, "Flags Affected")
 * @param cc        condition code 0..15 for Jcc/SETcc/CMOVcc, else -1
 * @param attrs     attribute bits ({@link #WRITES_DEST} ...)
 * @param feature   CPUID feature required, or null
 * @param weight    relative selection weight
 */
public record Template(String mnemonic, String operands, int mandatory, int[] opcode, int digit,
                       Form form, int sizes, int eBits, Imm imm, FlagRule rule, FlagEffect flags,
                       int cc, int attrs, CpuFeatures.Feature feature, double weight) {
    /** Operand-size bits. */
    public static final int B = 1, W = 2, D = 4, Q = 8;

    /** The first (destination) operand is written. */
    public static final int WRITES_DEST = 1;
    /** The second (source) register operand is written too (XCHG, XADD). */
    public static final int WRITES_SRC = 2;
    /** The E operand must be memory. */
    public static final int MEM_ONLY = 4;
    /** The E operand must be a register. */
    public static final int REG_ONLY = 8;
    /** A LOCK prefix is valid with a memory destination. */
    public static final int LOCKABLE = 16;
    /** Default operand size is 64 (PUSH/POP): Q needs no REX.W. */
    public static final int DEFAULT64 = 32;
    /** DIV-style: a prelude may make the dividend small to avoid #DE. */
    public static final int DIVIDE_UNSIGNED = 64;
    /** IDIV-style: a prelude may sign-extend the dividend. */
    public static final int DIVIDE_SIGNED = 128;
    /** BT-family E,G: the G bit offset is masked to 0..255 before a memory form. */
    public static final int BIT_OFFSET = 256;
    /** Condition-dependent reads: {@link #cc} selects the flags (SDM Vol. 1 Table B-1). */
    public static final int CONDITIONAL = 512;

    /** Immediate kinds. */
    public enum Imm {
        /** No immediate. */
        NONE,
        /** imm8. */
        IB,
        /** imm8 used as a shift/rotate count. */
        COUNT,
        /** imm16 for 16-bit operands, else imm32 (sign-extended for 64-bit). */
        IZ,
        /** imm16/imm32/imm64 by operand size (MOV B8+r). */
        IV
    }

    /** Whether {@code attr} is set. */
    public boolean has(int attr) {
        return (attrs & attr) != 0;
    }

    /** SDM-style name, e.g. {@code "add Ev,Gv"}. */
    public String name() {
        return mnemonic + " " + operands;
    }
}
