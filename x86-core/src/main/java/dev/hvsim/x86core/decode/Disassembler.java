package dev.hvsim.x86core.decode;

import dev.hvsim.x86core.Reg;

/**
 * Renders a decoded instruction in Intel syntax with its operands resolved (registers by size, memory
 * operands as {@code [base+index*scale+disp]}, immediates, branch targets) for traces, failure reports
 * and the debugger. Not on the execution path.
 */
public final class Disassembler {
    private static final String[] R8 = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};
    private static final String[] R8_LEGACY = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
    private static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
    private static final String[] SEG = {"es", "cs", "ss", "ds", "fs", "gs"};

    private Disassembler() {}

    /** The instruction at {@code rip} (used for relative branch targets). */
    public static String format(DecodedInsn d, long rip) {
        if (d.row == null) {
            return "(bad)";
        }
        StringBuilder sb = new StringBuilder();
        if (d.lock) {
            sb.append("lock ");
        }
        if (d.rep == 0xF3 && d.row.family() == dev.hvsim.x86core.exec.Family.STRING) {
            sb.append("rep ");
        } else if (d.rep == 0xF2 && d.row.family() == dev.hvsim.x86core.exec.Family.STRING) {
            sb.append("repne ");
        }
        sb.append(d.row.mnemonic().toLowerCase());
        String sep = " ";
        boolean firstImm = true;
        for (String op : d.row.operands()) {
            sb.append(sep);
            sep = ", ";
            sb.append(operand(d, op, rip, firstImm));
            if (op.startsWith("I") || op.startsWith("J")) {
                firstImm = false;
            }
        }
        return sb.toString();
    }

    private static String operand(DecodedInsn d, String op, long rip, boolean firstImm) {
        int vsize = d.opSize;
        switch (op.charAt(0)) {
            case 'E': case 'M': case 'W': case 'Q':
                return d.memOp ? memory(d, Decoder.operandSize(op, vsize, d)) : reg(d, d.rm, Decoder.operandSize(op, vsize, d));
            case 'G': case 'R':
                return op.charAt(0) == 'R' && !d.memOp ? reg(d, d.rm, Decoder.operandSize(op, vsize, d))
                        : reg(d, d.reg, Decoder.operandSize(op, vsize, d));
            case 'Z':
                return reg(d, d.reg, Decoder.operandSize(op, vsize, d));
            case 'B':
                return reg(d, d.vexReg, Decoder.operandSize(op, vsize, d));
            case 'S':
                return (d.reg & 7) < 6 ? SEG[d.reg & 7] : "sreg" + (d.reg & 7);
            case 'C':
                return "cr" + d.reg;
            case 'D':
                return op.equals("DX") ? "dx" : "dr" + d.reg;
            case 'I':
                return "0x" + Long.toHexString(firstImm ? d.imm : d.imm2);
            case 'J':
                return "0x" + Long.toHexString(rip + d.length + d.imm);
            case 'O':
                return "[0x" + Long.toHexString(d.imm) + "]";
            case 'A':
                return op.equals("Ap") ? "0x" + Long.toHexString(d.imm2) + ":0x" + Long.toHexString(d.imm) : op.toLowerCase();
            default:
                if (op.equals("rAX")) {
                    return reg(d, Reg.RAX, vsize);
                }
                if (op.equals("eAX")) {
                    return reg(d, Reg.RAX, vsize == 8 ? 4 : vsize);
                }
                return op.toLowerCase();
        }
    }

    /** A register name for a register number and size in bytes. */
    public static String reg(DecodedInsn d, int r, int size) {
        switch (size) {
            case 1:
                if (r < 8) {
                    return d != null && !d.rex ? R8_LEGACY[r] : R8[r];
                }
                return "r" + r + "b";
            case 2: return r < 8 ? R16[r] : "r" + r + "w";
            case 4: return r < 8 ? "e" + R16[r] : "r" + r + "d";
            default: return r < 8 ? "r" + R16[r] : "r" + r;
        }
    }

    private static String memory(DecodedInsn d, int size) {
        StringBuilder sb = new StringBuilder();
        sb.append(switch (size) {
            case 1 -> "byte ";
            case 2 -> "word ";
            case 4 -> "dword ";
            case 8 -> "qword ";
            default -> "";
        });
        sb.append(d.segOverride >= 0 ? SEG[d.segOverride] + ":" : "").append('[');
        boolean any = false;
        if (d.base == DecodedInsn.BASE_RIP) {
            sb.append("rip");
            any = true;
        } else if (d.base >= 0) {
            sb.append(reg(d, d.base, d.addrSize));
            any = true;
        }
        if (d.index >= 0) {
            sb.append(any ? "+" : "").append(reg(d, d.index, d.addrSize)).append('*').append(1 << d.scale);
            any = true;
        }
        if (d.disp != 0 || !any) {
            sb.append(d.disp < 0 && any ? "-0x" + Long.toHexString(-d.disp) : (any ? "+" : "") + "0x" + Long.toHexString(d.disp));
        }
        return sb.append(']').toString();
    }
}
