package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * BMI1/BMI2 bit manipulation and ADX, part of the {@link BitOps} family: SDM Vol. 2A "ANDN", "BEXTR",
 * "BLSI", "BLSMSK", "BLSR", "BZHI", "ADCX", "ADOX", Vol. 2B "PDEP", "PEXT"; Vol. 1 5.1.16 (BMI1/BMI2);
 * AMD APM Vol. 3 (BMI1, BMI2). VEX forms need VEX.L = 0 and are #UD in real and virtual-8086 mode
 * (SDM Vol. 2A 2.3, exception class 13). Where these leave AF/PF/SF undefined, PF is the parity of the
 * result, SF its sign and AF is clear (BEXTR sets AF on AMD): DEVIATIONS.md "ALU families".
 */
final class BitOpsBmi {
    private BitOpsBmi() {}

    static void register(OpcodeTable.Builder b) {
        int vex = OpcodeRow.A_VEX | OpcodeRow.A_VEX_L0 | OpcodeRow.A_NO_REAL;
        int none = OpcodeRow.NONE;
        b.row(2, 0xF2, "ANDN Gy,By,Ey", Family.BITOPS, BitOps.ANDN).prefix(none).attrs(vex).feature(Feature.BMI1).add();
        b.row(2, 0xF7, "BEXTR Gy,Ey,By", Family.BITOPS, BitOps.BEXTR).prefix(none).attrs(vex).feature(Feature.BMI1).add();
        b.row(2, 0xF3, "BLSR By,Ey", Family.BITOPS, BitOps.BLSR).prefix(none).reg(1).attrs(vex).feature(Feature.BMI1).add();
        b.row(2, 0xF3, "BLSMSK By,Ey", Family.BITOPS, BitOps.BLSMSK).prefix(none).reg(2).attrs(vex)
                .feature(Feature.BMI1).add();
        b.row(2, 0xF3, "BLSI By,Ey", Family.BITOPS, BitOps.BLSI).prefix(none).reg(3).attrs(vex).feature(Feature.BMI1).add();
        b.row(2, 0xF5, "BZHI Gy,Ey,By", Family.BITOPS, BitOps.BZHI).prefix(none).attrs(vex).feature(Feature.BMI2).add();
        b.row(2, 0xF5, "PDEP Gy,By,Ey", Family.BITOPS, BitOps.PDEP).prefix(0xF2).attrs(vex).feature(Feature.BMI2).add();
        b.row(2, 0xF5, "PEXT Gy,By,Ey", Family.BITOPS, BitOps.PEXT).prefix(0xF3).attrs(vex).feature(Feature.BMI2).add();
        b.row(2, 0xF6, "ADCX Gy,Ey", Family.BITOPS, BitOps.ADCX).prefix(0x66).feature(Feature.ADX).add();
        b.row(2, 0xF6, "ADOX Gy,Ey", Family.BITOPS, BitOps.ADOX).prefix(0xF3).feature(Feature.ADX).add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        CpuState s = cpu.state();
        switch (d.handler) {
            case BitOps.ANDN: {
                long r = ~cpu.gpr(d.vexReg, size) & cpu.readE(d) & Flags.mask(size);
                cpu.setGpr(d.reg, size, r);
                s.setOszapc(Flags.szp(r, size));
                break;
            }
            case BitOps.BEXTR: bextr(cpu, d); break;
            case BitOps.BLSR: case BitOps.BLSMSK: case BitOps.BLSI: lowestSetBit(cpu, d); break;
            case BitOps.BZHI: {
                long src = cpu.readE(d);
                int n = (int) cpu.gpr(d.vexReg, size) & 0xff;
                int bits = size << 3;
                long r = n < bits ? src & ((1L << n) - 1) : src;
                cpu.setGpr(d.reg, size, r);
                s.setOszapc(Flags.szp(r, size) | (n > bits - 1 ? Flags.CF : 0));
                break;
            }
            case BitOps.PDEP: cpu.setGpr(d.reg, size, pdep(cpu.gpr(d.vexReg, size), cpu.readE(d))); break;
            case BitOps.PEXT: cpu.setGpr(d.reg, size, pext(cpu.gpr(d.vexReg, size), cpu.readE(d))); break;
            case BitOps.ADCX: case BitOps.ADOX: addCarryOnly(cpu, d, d.handler == BitOps.ADCX ? Flags.CF : Flags.OF); break;
            default: throw ArchFault.ud();
        }
    }

    /** BEXTR: start = By[7:0], length = By[15:8]; ZF from the result, CF = OF = 0. */
    private static void bextr(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        int bits = size << 3;
        long src = cpu.readE(d);
        long ctl = cpu.gpr(d.vexReg, size);
        int start = (int) ctl & 0xff;
        int len = (int) (ctl >>> 8) & 0xff;
        long r = start >= bits ? 0 : src >>> start;
        if (len < bits) {
            r &= (1L << len) - 1;
        }
        cpu.setGpr(d.reg, size, r);
        long af = cpu.vendor() == Vendor.AMD ? Flags.AF : 0; // AMD Zen sets AF (measured)
        cpu.state().setOszapc(Flags.szp(r, size) | af);
    }

    /** BLSR/BLSMSK/BLSI By,Ey: reset / mask up to / isolate the lowest set bit (CF from the source). */
    private static void lowestSetBit(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        long src = cpu.readE(d);
        long r;
        long f;
        switch (d.handler) {
            case BitOps.BLSR:
                r = (src - 1) & src;
                f = Flags.szp(r, size) | (src == 0 ? Flags.CF : 0);
                break;
            case BitOps.BLSMSK:
                r = ((src - 1) ^ src) & Flags.mask(size);
                f = Flags.szp(r, size) & ~Flags.ZF | (src == 0 ? Flags.CF : 0); // SDM BLSMSK: ZF cleared
                break;
            default:
                r = -src & src;
                f = Flags.szp(r, size) | (src != 0 ? Flags.CF : 0);
                break;
        }
        cpu.setGpr(d.vexReg, size, r);
        cpu.state().setOszapc(f);
    }

    /** PDEP: deposit the low bits of {@code src} at the set bits of {@code mask}, lowest first. */
    static long pdep(long src, long mask) {
        long r = 0;
        for (long m = mask, k = 1; m != 0; m &= m - 1, k <<= 1) {
            if ((src & k) != 0) {
                r |= m & -m;
            }
        }
        return r;
    }

    /** PEXT: gather the bits of {@code src} at the set bits of {@code mask} into the low bits. */
    static long pext(long src, long mask) {
        long r = 0;
        for (long m = mask, k = 1; m != 0; m &= m - 1, k <<= 1) {
            if ((src & m & -m) != 0) {
                r |= k;
            }
        }
        return r;
    }

    /** ADCX (carry in/out through CF) and ADOX (through OF): unsigned add, no other flag changes. */
    private static void addCarryOnly(Cpu cpu, DecodedInsn d, long flag) {
        int size = d.opSize;
        CpuState s = cpu.state();
        long old = s.oszapc();
        long a = cpu.readG(d);
        long b = cpu.readE(d);
        long c = (old & flag) != 0 ? 1 : 0;
        long r = a + b + c;
        boolean carry;
        if (size == 8) {
            carry = c == 0 ? Long.compareUnsigned(r, a) < 0 : Long.compareUnsigned(r, a) <= 0;
        } else {
            carry = (r >>> 32) != 0;
        }
        cpu.writeG(d, r);
        s.setOszapc(carry ? old | flag : old & ~flag);
    }
}
