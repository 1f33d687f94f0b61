package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Double-precision shifts and the BMI2 flagless shifts, part of the {@link ShiftRotate} family: SDM
 * Vol. 2B "SHLD", "SHRD", "SARX/SHLX/SHRX", "RORX"; AMD APM Vol. 3 ch. 3 SHLD/SHRD and Vol. 3 BMI2.
 *
 * <p>16-bit SHLD/SHRD with a count above 16 have an undefined result (SDM SHLD "Operation"); the model
 * shifts the 48-bit value dst:src:src (SHLD) or src:src:dst (SHRD), which is what AMD Zen returns
 * (measured) and what P6-family Intel cores are reported to do. See DEVIATIONS.md for the flags.
 */
final class ShiftDouble {
    private ShiftDouble() {}

    static void shiftDouble(Cpu cpu, DecodedInsn d, boolean left, int rawCount) {
        int size = d.opSize;
        int count = rawCount & (size == 8 ? 0x3f : 0x1f);
        CpuState s = cpu.state();
        long lin = 0;
        long dst;
        if (d.memOp) {
            lin = cpu.linear(d.seg, cpu.ea(d), size, Mmu.WRITE);
            dst = cpu.readLinear(lin, size, Mmu.READ);
        } else {
            dst = cpu.readReg(d, d.rm, size);
        }
        if (count == 0) {
            if (!d.memOp) {
                cpu.writeReg(d, d.rm, size, dst); // no flag changes, but a 32-bit register is zero-extended
            }
            return;
        }
        long src = cpu.readG(d);
        long r = left ? shld(size, dst, src, count) : shrd(size, dst, src, count);
        long cf = left ? shldCarry(size, dst, src, count) : shrdCarry(size, dst, src, count);
        int bits = size << 3;
        long msb = ShiftRotate.bit(r, bits - 1);
        long of = left ? msb ^ cf : msb ^ ShiftRotate.bit(r, bits - 2);
        if (count >= bits && cpu.vendor() == Vendor.AMD) {
            // 16-bit counts 16..31 on AMD Zen (measured): CF = 0 above 16, and SHLD's OF equals CF
            cf = count > bits ? 0 : cf;
            of = left ? cf : of;
        }
        long f = Flags.szp(r, size) | cf | (of != 0 ? Flags.OF : 0) | ShiftRotate.shiftAf(cpu.vendor());
        if (d.memOp) {
            cpu.writeLinear(lin, size, r);
        } else {
            cpu.writeReg(d, d.rm, size, r);
        }
        s.setOszapc(f);
    }

    /** The wide value shifted by SHLD: dst:src (32 bits for 16-bit operands widened to dst:src:src). */
    private static long shldWide(int size, long dst, long src) {
        long m = Flags.mask(size);
        dst &= m;
        src &= m;
        return size == 2 ? dst << 32 | src << 16 | src : dst << 32 | src;
    }

    static long shld(int size, long dst, long src, int count) {
        if (size == 8) {
            return dst << count | src >>> (64 - count); // count is 1..63
        }
        int width = size == 2 ? 48 : 64;
        return (ShiftRotate.shl(shldWide(size, dst, src), count) >>> (width - (size << 3))) & Flags.mask(size);
    }

    static long shldCarry(int size, long dst, long src, int count) {
        if (size == 8) {
            return ShiftRotate.bit(dst, 64 - count);
        }
        int width = size == 2 ? 48 : 64;
        return ShiftRotate.bit(shldWide(size, dst, src), width - count);
    }

    /** The wide value shifted by SHRD: src:dst (src:src:dst for 16-bit operands). */
    private static long shrdWide(int size, long dst, long src) {
        long m = Flags.mask(size);
        dst &= m;
        src &= m;
        return size == 2 ? src << 32 | src << 16 | dst : src << 32 | dst;
    }

    static long shrd(int size, long dst, long src, int count) {
        if (size == 8) {
            return dst >>> count | src << (64 - count);
        }
        return (shrdWide(size, dst, src) >>> count) & Flags.mask(size);
    }

    static long shrdCarry(int size, long dst, long src, int count) {
        if (size == 8) {
            return ShiftRotate.bit(dst, count - 1);
        }
        return ShiftRotate.bit(shrdWide(size, dst, src), count - 1);
    }

    /** SARX/SHLX/SHRX Gy,Ey,By and RORX Gy,Ey,Ib: no flags; counts masked to 5 or 6 bits. */
    static void bmi2(Cpu cpu, DecodedInsn d, int h) {
        int size = d.opSize;
        long v = cpu.readE(d);
        int mask = size == 8 ? 0x3f : 0x1f;
        long r;
        if (h == ShiftRotate.RORX) {
            if (d.vexReg != 0) {
                throw ArchFault.ud(); // SDM RORX: VEX.vvvv is reserved and must be 1111b
            }
            r = ShiftRotate.result(ShiftRotate.ROR, size, v, (int) d.imm & mask, 0);
        } else {
            int count = (int) cpu.gpr(d.vexReg, size) & mask;
            int op = h == ShiftRotate.SARX ? ShiftRotate.SAR : h == ShiftRotate.SHLX ? ShiftRotate.SHL : ShiftRotate.SHR;
            r = count == 0 ? v : ShiftRotate.result(op, size, v, count, 0);
        }
        cpu.setGpr(d.reg, size, r);
    }
}
