package dev.hvsim.conformance.nativediff;

/**
 * Operand forms in SDM Vol. 2 Appendix A notation: E = ModRM r/m (register or memory),
 * G = ModRM reg, Z = register in the low opcode bits, I = immediate, M = memory only.
 * The first operand is the destination.
 */
public enum Form {
    /** E, G: ModRM.rm is the destination. */
    E_G,
    /** G, E: ModRM.reg is the destination. */
    G_E,
    /** E, I with a /digit opcode extension. */
    E_I,
    /** E alone with a /digit opcode extension. */
    E,
    /** E, 1 (shift group D0/D1). */
    E_1,
    /** E, CL (shift group D2/D3). */
    E_CL,
    /** G, E, I (three-operand IMUL). */
    G_E_I,
    /** E, G, I (SHLD/SHRD imm8). */
    E_G_I,
    /** E, G, CL (SHLD/SHRD CL). */
    E_G_CL,
    /** AL/AX/EAX/RAX, I. */
    ACC_I,
    /** Z (opcode + register). */
    Z,
    /** Z, I (MOV B0+r / B8+r). */
    Z_I,
    /** rAX, Z (XCHG 90+r). */
    ACC_Z,
    /** Implicit operands only. */
    NONE,
    /** I alone (PUSH imm). */
    I,
    /** Relative branch target (Jcc). */
    J,
    /** G, M (LEA: address computed, memory not accessed). */
    G_M
}
