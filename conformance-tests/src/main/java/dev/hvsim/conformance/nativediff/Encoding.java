package dev.hvsim.conformance.nativediff;

import java.io.ByteArrayOutputStream;

/**
 * Assembles one instruction: legacy prefixes, REX, opcode, ModRM, SIB, displacement and
 * immediate, in the order of SDM Vol. 2A 2.1 (Figure 2-1). Mutable, used once.
 */
final class Encoding {
    boolean lock;
    boolean opsize;
    boolean addr32;
    int mandatory;
    boolean rexW;
    boolean rexR;
    boolean rexX;
    boolean rexB;
    /** Emit a REX prefix even when no bit is set (selects SPL..DIL, or pure redundancy). */
    boolean rexPresent;
    int[] opcode;
    /** Register added to the last opcode byte (Z forms), or -1. */
    int opcodeReg = -1;
    int modrm = -1;
    int sib = -1;
    long disp;
    int dispBytes;
    long imm;
    int immBytes;

    void setModRm(int mod, int rm) {
        modrm = (modrm < 0 ? 0 : modrm & 0x38) | mod << 6 | rm;
    }

    void setReg(int field) {
        modrm = (modrm < 0 ? 0 : modrm & 0xC7) | (field & 7) << 3;
        rexR = field >= 8;
    }

    void setRmReg(int reg) {
        setModRm(3, reg & 7);
        rexB = reg >= 8;
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        if (lock) {
            out.write(0xF0);
        }
        if (opsize) {
            out.write(0x66);
        }
        if (addr32) {
            out.write(0x67);
        }
        if (mandatory != 0) {
            out.write(mandatory);
        }
        boolean opReg = opcodeReg >= 8;
        if (rexPresent || rexW || rexR || rexX || rexB || opReg) {
            out.write(0x40 | (rexW ? 8 : 0) | (rexR ? 4 : 0) | (rexX ? 2 : 0) | (rexB || opReg ? 1 : 0));
        }
        for (int i = 0; i < opcode.length; i++) {
            boolean last = i == opcode.length - 1;
            out.write(last && opcodeReg >= 0 ? opcode[i] + (opcodeReg & 7) : opcode[i]);
        }
        if (modrm >= 0) {
            out.write(modrm);
        }
        if (sib >= 0) {
            out.write(sib);
        }
        writeLe(out, disp, dispBytes);
        writeLe(out, imm, immBytes);
        return out.toByteArray();
    }

    private static void writeLe(ByteArrayOutputStream out, long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }
}
