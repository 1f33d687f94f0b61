package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Shifts and rotates: SDM Vol. 2B "SAL/SAR/SHL/SHR - Shift", "RCL/RCR/ROL/ROR - Rotate", "SHLD - Double
 * Precision Shift Left", "SHRD - Double Precision Shift Right", "SARX/SHLX/SHRX - Shift Without Affecting
 * Flags", "RORX - Rotate Right Logical Without Affecting Flags"; Vol. 1 7.3.6 (shift and rotate
 * instructions); AMD APM Vol. 3 ch. 3 (same instructions). SHLD/SHRD and the BMI2 forms live in
 * {@link ShiftDouble}; this class owns the rows and the dispatch.
 *
 * <p>Counts are masked to 5 bits (6 with a 64-bit operand). A masked count of 0 changes neither the
 * operand nor the flags. Flags the manuals leave undefined (OF for counts other than 1, AF, CF for
 * SHL/SHR counts of at least the operand width, D0-D3/C0-C1 /6) follow the per-vendor policy of
 * x86-core/DEVIATIONS.md, section "ALU families".
 */
final class ShiftRotate {
    static final int ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL6 = 6, SAR = 7;
    /** Count forms of the group-2 rows: the constant 1, CL, imm8. */
    static final int C_ONE = 0, C_CL = 1, C_IMM = 2;
    static final int SHLD_IB = 24, SHLD_CL = 25, SHRD_IB = 26, SHRD_CL = 27, SARX = 28, SHLX = 29, SHRX = 30,
            RORX = 31;
    private static final String[] NAMES = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};

    private ShiftRotate() {}

    static void register(OpcodeTable.Builder b) {
        for (int op = 0; op < 8; op++) {
            // /6 is not in the SDM opcode map; Intel and AMD silicon execute it as SHL (DEVIATIONS.md).
            String n = NAMES[op];
            String cost = op < 4 ? "rotate" : "shift";
            b.row(0, 0xD0, n + " Eb,1", Family.SHIFT, op | C_ONE << 3).reg(op).cost(cost).add();
            b.row(0, 0xD1, n + " Ev,1", Family.SHIFT, op | C_ONE << 3).reg(op).cost(cost).add();
            b.row(0, 0xD2, n + " Eb,CL", Family.SHIFT, op | C_CL << 3).reg(op).cost(cost).add();
            b.row(0, 0xD3, n + " Ev,CL", Family.SHIFT, op | C_CL << 3).reg(op).cost(cost).add();
            b.row(0, 0xC0, n + " Eb,Ib", Family.SHIFT, op | C_IMM << 3).reg(op).cost(cost).add();
            b.row(0, 0xC1, n + " Ev,Ib", Family.SHIFT, op | C_IMM << 3).reg(op).cost(cost).add();
        }
        b.row(1, 0xA4, "SHLD Ev,Gv,Ib", Family.SHIFT, SHLD_IB).cost("shiftd").add();
        b.row(1, 0xA5, "SHLD Ev,Gv,CL", Family.SHIFT, SHLD_CL).cost("shiftd").add();
        b.row(1, 0xAC, "SHRD Ev,Gv,Ib", Family.SHIFT, SHRD_IB).cost("shiftd").add();
        b.row(1, 0xAD, "SHRD Ev,Gv,CL", Family.SHIFT, SHRD_CL).cost("shiftd").add();
        int vex = OpcodeRow.A_VEX | OpcodeRow.A_VEX_L0 | OpcodeRow.A_NO_REAL;
        b.row(2, 0xF7, "SARX Gy,Ey,By", Family.SHIFT, SARX).prefix(0xF3).attrs(vex).feature(Feature.BMI2)
                .cost("shift").add();
        b.row(2, 0xF7, "SHLX Gy,Ey,By", Family.SHIFT, SHLX).prefix(0x66).attrs(vex).feature(Feature.BMI2)
                .cost("shift").add();
        b.row(2, 0xF7, "SHRX Gy,Ey,By", Family.SHIFT, SHRX).prefix(0xF2).attrs(vex).feature(Feature.BMI2)
                .cost("shift").add();
        b.row(3, 0xF0, "RORX Gy,Ey,Ib", Family.SHIFT, RORX).prefix(0xF2).attrs(vex).feature(Feature.BMI2)
                .cost("rotate").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int h = d.handler;
        if (h < SHLD_IB) {
            int form = h >>> 3;
            long count = form == C_ONE ? 1 : form == C_CL ? cpu.gpr(Reg.RCX, 1) : d.imm;
            group2(cpu, d, h & 7, (int) count & (d.opSize == 8 ? 0x3f : 0x1f));
            return;
        }
        switch (h) {
            case SHLD_IB: case SHRD_IB: ShiftDouble.shiftDouble(cpu, d, h == SHLD_IB, (int) d.imm); break;
            case SHLD_CL: case SHRD_CL: ShiftDouble.shiftDouble(cpu, d, h == SHLD_CL, (int) cpu.gpr(Reg.RCX, 1)); break;
            case SARX: case SHLX: case SHRX: case RORX: ShiftDouble.bmi2(cpu, d, h); break;
            default: throw ArchFault.ud();
        }
    }

    /** ROL..SAR on the E operand with an already masked count; memory is read-modify-write. */
    private static void group2(Cpu cpu, DecodedInsn d, int op, int count) {
        int size = d.opSize;
        CpuState s = cpu.state();
        long lin = 0;
        long v;
        if (d.memOp) {
            lin = cpu.linear(d.seg, cpu.ea(d), size, Mmu.WRITE);
            v = cpu.readLinear(lin, size, Mmu.READ);
        } else {
            v = cpu.readReg(d, d.rm, size);
        }
        if (count == 0) {
            // SDM "Flags Affected": a count of 0 changes no flag; a register is still written, so a 32-bit
            // operand is zero-extended (measured on AMD Zen; the Intel profile does the same)
            if (!d.memOp) {
                cpu.writeReg(d, d.rm, size, v);
            }
            return;
        }
        // only rotates keep (RCL/RCR: consume) the old flags; shifts define all six
        long old = op <= RCR ? s.oszapc() : 0;
        long r = result(op, size, v, count, old & Flags.CF);
        long f = flags(op, size, v, count, r, old, cpu.vendor());
        if (d.memOp) {
            cpu.writeLinear(lin, size, r);
        } else {
            cpu.writeReg(d, d.rm, size, r);
        }
        s.setOszapc(f);
    }

    /** {@code x << n} that yields 0 for n of 64 and more (Java would take n modulo 64). */
    static long shl(long x, int n) {
        return n >= 64 ? 0 : x << n;
    }

    /** {@code x >>> n} that yields 0 for n of 64 and more. */
    static long shr(long x, int n) {
        return n >= 64 ? 0 : x >>> n;
    }

    static long bit(long x, int n) {
        return n >= 64 || n < 0 ? 0 : (x >>> n) & 1;
    }

    /** The result of a group-2 operation; {@code count} is masked and not 0, {@code cfIn} is 0 or 1. */
    static long result(int op, int size, long a, int count, long cfIn) {
        int bits = size << 3;
        long m = Flags.mask(size);
        a &= m;
        switch (op) {
            case ROL: {
                int k = count & (bits - 1);
                return k == 0 ? a : (a << k | a >>> (bits - k)) & m;
            }
            case ROR: {
                int k = count & (bits - 1);
                return k == 0 ? a : (a >>> k | a << (bits - k)) & m;
            }
            case RCL: {
                int k = count % (bits + 1); // SDM RCL: tempCOUNT = (COUNT AND 1FH) MOD 9 / 17; 33 / 65 exceed the mask
                return k == 0 ? a : (shl(a, k) | cfIn << (k - 1) | shr(a, bits + 1 - k)) & m;
            }
            case RCR: {
                int k = count % (bits + 1);
                return k == 0 ? a : (a >>> k | shl(cfIn, bits - k) | shl(a, bits + 1 - k)) & m;
            }
            case SHR: return shr(a, count);
            case SAR: return (Flags.sext(a, size) >> Math.min(count, 63)) & m;
            default: return shl(a, count) & m; // SHL and its /6 alias
        }
    }

    /**
     * The OSZAPC bits after a group-2 operation (SDM Vol. 2B "Flags Affected" of SAL/SAR/SHL/SHR and
     * RCL/RCR/ROL/ROR). OF uses the count-1 formula for every count, as both vendors' silicon does for
     * shifts (sandpile.org "OFx"; measured on AMD Zen); rotates keep SF/ZF/AF/PF.
     */
    static long flags(int op, int size, long a, int count, long r, long old, Vendor vendor) {
        int bits = size << 3;
        a &= Flags.mask(size);
        long msb = bit(r, bits - 1);
        long next = bit(r, bits - 2);
        long cf;
        long of;
        switch (op) {
            case ROL: cf = r & 1; of = msb ^ cf; break;
            case ROR: cf = msb; of = msb ^ next; break;
            case RCL: case RCR: {
                int k = count % (bits + 1);
                if (k == 0) {
                    cf = old & Flags.CF;
                } else {
                    cf = op == RCL ? bit(a, bits - k) : bit(a, k - 1);
                }
                of = op == RCL ? msb ^ cf : msb ^ next;
                break;
            }
            default: return shiftFlags(op, size, a, count, r, vendor);
        }
        return (old & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF)) | cf | (of != 0 ? Flags.OF : 0);
    }

    /** The OSZAPC bits after SHL/SHR/SAR with a masked, non-zero count (see {@link #flags}). */
    static long shiftFlags(int op, int size, long a, int count, long r, Vendor vendor) {
        int bits = size << 3;
        long cf;
        long of;
        switch (op) {
            case SHR: cf = bit(a, count - 1); of = bit(r, bits - 1) ^ bit(r, bits - 2); break;
            case SAR: cf = bit(Flags.sext(a, size), Math.min(count, bits) - 1); of = 0; break;
            default: cf = count <= bits ? bit(a, bits - count) : 0; of = bit(r, bits - 1) ^ cf; break;
        }
        return Flags.szp(r, size) | cf | (of != 0 ? Flags.OF : 0) | shiftAf(vendor);
    }

    /** AF after a shift (undefined in the SDM): AMD silicon sets it, the Intel profile clears it. */
    static long shiftAf(Vendor vendor) {
        return vendor == Vendor.AMD ? Flags.AF : 0;
    }
}
