package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Multiply and divide: SDM Vol. 2A "MUL - Unsigned Multiply", "IMUL - Signed Multiply", "DIV - Unsigned
 * Divide", "IDIV - Signed Divide", Vol. 2B "MULX - Unsigned Multiply Without Affecting Flags"; Vol. 1
 * 7.3.2 (binary arithmetic); AMD APM Vol. 3 ch. 3 MUL, IMUL, DIV, IDIV, MULX.
 *
 * <p>CF and OF are exact. SF/ZF/AF/PF after a multiply and all six flags after a divide are undefined;
 * the profiles follow DEVIATIONS.md ("ALU families"): Intel computes SF/ZF/PF from the low half of the
 * product with AF clear and leaves flags unchanged on divide; AMD (measured on Zen) keeps SF/ZF/AF/PF
 * on multiply and sets SF=ZF=PF=0, AF=1 on divide, CF and OF unchanged.
 */
final class MulDiv {
    static final int MUL = 0, IMUL1 = 1, DIV = 2, IDIV = 3, IMUL_GE = 4, IMUL_GEI = 5, MULX = 6;
    private static final String[] GROUP3 = {"MUL", "IMUL", "DIV", "IDIV"};

    private MulDiv() {}

    static void register(OpcodeTable.Builder b) {
        for (int op = MUL; op <= IDIV; op++) {
            String cost = op < DIV ? "mul" : "div";
            b.row(0, 0xF6, GROUP3[op] + " Eb", Family.MULDIV, op).reg(op + 4).cost(cost).add();
            b.row(0, 0xF7, GROUP3[op] + " Ev", Family.MULDIV, op).reg(op + 4).cost(cost).add();
        }
        b.row(1, 0xAF, "IMUL Gv,Ev", Family.MULDIV, IMUL_GE).cost("mul").add();
        b.row(0, 0x69, "IMUL Gv,Ev,Iz", Family.MULDIV, IMUL_GEI).cost("mul").add();
        b.row(0, 0x6B, "IMUL Gv,Ev,Ibs", Family.MULDIV, IMUL_GEI).cost("mul").add();
        b.row(2, 0xF6, "MULX Gy,By,Ey", Family.MULDIV, MULX).prefix(0xF2)
                .attrs(OpcodeRow.A_VEX | OpcodeRow.A_VEX_L0 | OpcodeRow.A_NO_REAL).feature(Feature.BMI2).cost("mul").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case MUL: mul(cpu, d, false); break;
            case IMUL1: mul(cpu, d, true); break;
            case DIV: div(cpu, d, false); break;
            case IDIV: div(cpu, d, true); break;
            case IMUL_GE: imul(cpu, d, cpu.readG(d), cpu.readE(d)); break;
            case IMUL_GEI: imul(cpu, d, cpu.readE(d), d.imm); break;
            case MULX: mulx(cpu, d); break;
            default: throw ArchFault.ud();
        }
    }

    /** Unsigned high 64 bits of a 64x64 product (Java 17 has only the signed {@link Math#multiplyHigh}). */
    static long unsignedMultiplyHigh(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    }

    /** MUL/IMUL with one operand: AX = AL * r/m8, DX:AX, EDX:EAX, RDX:RAX (SDM Vol. 2A Table 3-x of MUL). */
    private static void mul(Cpu cpu, DecodedInsn d, boolean signed) {
        int size = d.opSize;
        long src = cpu.readE(d);
        long a = cpu.gpr(Reg.RAX, size);
        long lo;
        long hi;
        if (size == 8) {
            lo = a * src;
            hi = signed ? Math.multiplyHigh(a, src) : unsignedMultiplyHigh(a, src);
        } else {
            long p = signed ? Flags.sext(a, size) * Flags.sext(src, size) : a * src; // at most 64 bits
            int bits = size << 3;
            lo = p & Flags.mask(size);
            hi = (p >> bits) & Flags.mask(size);
        }
        boolean overflow = signed ? hi != (Flags.sext(lo, size) >> 63 & Flags.mask(size)) : hi != 0;
        if (size == 1) {
            cpu.setGpr(Reg.RAX, 2, hi << 8 | lo);
        } else {
            cpu.setGpr(Reg.RAX, size, lo);
            cpu.setGpr(Reg.RDX, size, hi);
        }
        setMulFlags(cpu, size, lo, overflow);
    }

    /** IMUL Gv,Ev / Gv,Ev,imm: the truncated signed product into G, CF = OF = overflow (also the fast path's). */
    static void imul(Cpu cpu, DecodedInsn d, long x, long y) {
        cpu.writeG(d, imulProduct(d.opSize, x, y));
        imulFlags(cpu, d.opSize, x, y);
    }

    /** The low 64 bits of the signed product of the operands sign-extended from {@code size} (SDM Vol. 2A IMUL). */
    static long imulProduct(int size, long x, long y) {
        return Flags.sext(x, size) * Flags.sext(y, size);
    }

    /** IMUL's flags for the two-operand forms: CF = OF = the truncated product differs from the full one. */
    static void imulFlags(Cpu cpu, int size, long x, long y) {
        long a = Flags.sext(x, size);
        long b = Flags.sext(y, size);
        long lo = a * b;
        boolean overflow;
        if (size == 8) {
            overflow = Math.multiplyHigh(a, b) != (lo >> 63);
        } else {
            overflow = Flags.sext(lo, size) != lo;
        }
        setMulFlags(cpu, size, lo, overflow);
    }

    private static void setMulFlags(Cpu cpu, int size, long lo, boolean overflow) {
        CpuState s = cpu.state();
        long cfof = overflow ? Flags.CF | Flags.OF : 0;
        if (cpu.vendor() == Vendor.AMD) {
            s.setOszapc(s.oszapc() & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF) | cfof);
        } else {
            s.setOszapc(Flags.szp(lo, size) | cfof);
        }
    }

    /** MULX Gy,By,Ey: hi:lo = rDX * r/m; the low half goes to By, then the high half to Gy (SDM MULX). */
    private static void mulx(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        long src = cpu.readE(d);
        long a = cpu.gpr(Reg.RDX, size);
        long lo;
        long hi;
        if (size == 8) {
            lo = a * src;
            hi = unsignedMultiplyHigh(a, src);
        } else {
            long p = a * src;
            lo = p & 0xffffffffL;
            hi = p >>> 32;
        }
        cpu.setGpr(d.vexReg, size, lo);
        cpu.setGpr(d.reg, size, hi); // same register for both: the high half wins
    }

    /** DIV/IDIV: #DE on a zero divisor or a quotient that does not fit (SDM Vol. 2A DIV "Operation"). */
    private static void div(Cpu cpu, DecodedInsn d, boolean signed) {
        int size = d.opSize;
        long src = cpu.readE(d);
        if (src == 0) {
            throw ArchFault.de();
        }
        long lo = cpu.gpr(Reg.RAX, size == 1 ? 2 : size);
        long q;
        long r;
        if (size == 8) {
            long hi = cpu.gpr(Reg.RDX, 8);
            q = signed ? sdiv128(hi, lo, src) : udiv128(hi, lo, src);
            r = lo - q * src; // |remainder| < |divisor|: the low 64 bits are the whole remainder
        } else {
            long dividend = size == 1 ? lo : cpu.gpr(Reg.RDX, size) << (size << 3) | lo;
            int bits = size << 3;
            if (signed) {
                long n = Flags.sext(dividend, size == 1 ? 2 : size * 2);
                long v = Flags.sext(src, size);
                q = n / v; // Long.MIN_VALUE / -1 wraps in Java and fails the range check
                r = n % v;
                if (q != Flags.sext(q, size)) {
                    throw ArchFault.de();
                }
            } else {
                q = Long.divideUnsigned(dividend, src);
                r = Long.remainderUnsigned(dividend, src);
                if ((q >>> bits) != 0) {
                    throw ArchFault.de();
                }
            }
        }
        if (size == 1) {
            cpu.setGpr(Reg.RAX, 2, (r & 0xff) << 8 | (q & 0xff));
        } else {
            cpu.setGpr(Reg.RAX, size, q);
            cpu.setGpr(Reg.RDX, size, r);
        }
        if (cpu.vendor() == Vendor.AMD) {
            CpuState s = cpu.state();
            s.setOszapc(s.oszapc() & (Flags.CF | Flags.OF) | Flags.AF);
        }
    }

    /**
     * Unsigned 128-by-64 division {@code hi:lo / d} (d != 0); #DE when the quotient needs more than 64
     * bits, i.e. when {@code hi >= d}. Restoring shift-subtract, one quotient bit per step.
     */
    static long udiv128(long hi, long lo, long d) {
        if (Long.compareUnsigned(hi, d) >= 0) {
            throw ArchFault.de();
        }
        if (hi == 0) {
            return Long.divideUnsigned(lo, d);
        }
        long q = 0;
        long r = hi; // invariant: r < d (unsigned)
        for (int i = 63; i >= 0; i--) {
            boolean carry = r < 0; // 2r overflows 64 bits: then 2r + bit >= d for sure
            r = r << 1 | (lo >>> i) & 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, d) >= 0) {
                r -= d;
                q |= 1;
            }
        }
        return q;
    }

    /** Signed 128-by-64 division (SDM IDIV: #DE unless -2^63 <= quotient <= 2^63 - 1), truncating. */
    static long sdiv128(long hi, long lo, long d) {
        boolean negN = hi < 0;
        long nh = hi;
        long nl = lo;
        if (negN) {
            nl = -lo;
            nh = ~hi + (lo == 0 ? 1 : 0);
        }
        long ad = d < 0 ? -d : d; // Long.MIN_VALUE stays, read as unsigned 2^63
        long q = udiv128(nh, nl, ad);
        if (negN != d < 0) {
            if (Long.compareUnsigned(q, Long.MIN_VALUE) > 0) {
                throw ArchFault.de();
            }
            return -q;
        }
        if (q < 0) {
            throw ArchFault.de();
        }
        return q;
    }
}
