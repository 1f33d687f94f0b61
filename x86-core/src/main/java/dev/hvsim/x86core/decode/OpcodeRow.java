package dev.hvsim.x86core.decode;

import java.util.List;

/**
 * One row of the opcode map, in SDM vocabulary (SDM Vol. 2D Appendix A): where the opcode lives
 * (map, byte, mandatory prefix, ModRM.reg / mod / rm constraints), the mnemonic and operand codes, the
 * handler that executes it, and the columns the interpreter applies centrally before the handler runs:
 * mode validity, CPL 0, LOCK legality, CPUID feature and the intercept point.
 *
 * @param map        0 one-byte, 1 {@code 0F}, 2 {@code 0F 38}, 3 {@code 0F 3A}
 * @param opcode     the opcode byte
 * @param prefix     mandatory prefix: {@link #ANY}, {@link #NONE}, 0x66, 0xF3 or 0xF2
 * @param reg        ModRM.reg opcode extension (/digit), or -1
 * @param mod        {@link #MOD_ANY}, {@link #MOD_MEM} or {@link #MOD_REG}
 * @param rm         ModRM.rm for register-only encodings such as {@code 0F 01 C1}, or -1
 * @param mnemonic   SDM mnemonic
 * @param operands   SDM operand codes (Eb, Gv, Iz, ...)
 * @param family     the handler family ({@link dev.hvsim.x86core.exec.Family})
 * @param handler    the handler id within the family
 * @param attrs      bit set of the {@code A_*} attributes
 * @param feature    required CPUID feature, or null
 * @param intercept  the intercept point asked of the guest mode before the handler, or null
 * @param cost       latency class name looked up in the CPU profile
 */
public record OpcodeRow(int map, int opcode, int prefix, int reg, int mod, int rm, String mnemonic,
        List<String> operands, int family, int handler, int attrs, Feature feature, InterceptPoint intercept,
        String cost) {

    public static final int ANY = -1, NONE = 0;
    public static final int MOD_ANY = 0, MOD_MEM = 1, MOD_REG = 2;

    /** LOCK prefix allowed (with a memory destination). */
    public static final int A_LOCK = 1;
    /** Invalid in 64-bit mode (i64). */
    public static final int A_I64 = 1 << 1;
    /** Valid only in 64-bit mode (o64). */
    public static final int A_O64 = 1 << 2;
    /** Operand size defaults to 64 bits in 64-bit mode (d64). */
    public static final int A_D64 = 1 << 3;
    /** Operand size forced to 64 bits in 64-bit mode (f64); on AMD a 66 prefix still selects 16 bits. */
    public static final int A_F64 = 1 << 4;
    /** Privileged: #GP(0) unless CPL = 0. */
    public static final int A_CPL0 = 1 << 5;
    /** Encoded with a VEX prefix. */
    public static final int A_VEX = 1 << 6;
    /** VEX.L must be 0. */
    public static final int A_VEX_L0 = 1 << 7;
    /** #UD in real and virtual-8086 mode. */
    public static final int A_NO_REAL = 1 << 8;
    /** Operand size is 32 bits outside 64-bit mode and 64 in it, whatever the prefixes (MOV CR/DR). */
    public static final int A_SIZE_NATIVE = 1 << 9;
    /** The row's reg field is a REX.W-dependent selector: only matches when REX.W = 1. */
    public static final int A_REXW1 = 1 << 10;
    /** Only matches when REX.W = 0 (or no REX). */
    public static final int A_REXW0 = 1 << 11;
    /** Invalid in VMX/SVM-less profiles etc.: the row is an explicit #UD (UD0/UD1/UD2, reserved). */
    public static final int A_UD = 1 << 12;
    /** VEX.W = 1 selects this row. */
    public static final int A_VEXW1 = 1 << 13;
    /** Time-stamp read (RDTSC, RDTSCP): #GP(0) when CR4.TSD = 1 and CPL > 0, before any intercept. */
    public static final int A_TSD = 1 << 14;
    /**
     * ModRM.mod is ignored and the r/m field always names a register (MOV CR/DR, SDM Vol. 2B MOV:
     * "the 2 bits in the mod field are ignored").
     */
    public static final int A_MOD_IGNORED = 1 << 15;

    public boolean has(int attr) {
        return (attrs & attr) != 0;
    }

    public String text() {
        return operands.isEmpty() ? mnemonic : mnemonic + " " + String.join(",", operands);
    }
}
