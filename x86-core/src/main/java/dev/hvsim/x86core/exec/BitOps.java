package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;

/**
 * Bit and byte instructions: SDM Vol. 2A "BT", "BTC", "BTR", "BTS", "BSF", "BSR", "ADCX", "ADOX",
 * "ANDN", "BEXTR", "BLSI", "BLSMSK", "BLSR", "BZHI", "LZCNT", Vol. 2B "PDEP", "PEXT", "POPCNT", "TZCNT";
 * Vol. 1 7.3.7 (bit and byte instructions), 3.1.1.10 / Figure 3-x "bit base"; AMD APM Vol. 3 ch. 3 (the
 * same, with LZCNT under ABM). The VEX and ADX forms are in {@link BitOpsBmi}.
 *
 * <p>Undefined flags follow DEVIATIONS.md ("ALU families"). Without BMI1 an F3 0F BC instruction is BSF
 * and without ABM/LZCNT F3 0F BD is BSR, as on hardware (the feature-gated row is absent and the
 * decoder falls through to the prefix-less row).
 */
final class BitOps {
    static final int BT = 0, BTS = 1, BTR = 2, BTC = 3;
    /** Handler ids: bit tests by register (0..3) and by imm8 (4..7), then scans and counts. */
    static final int BT_IB = 4, BSF = 8, BSR = 9, TZCNT = 10, LZCNT = 11, POPCNT = 12;
    static final int ANDN = 13, BEXTR = 14, BLSR = 15, BLSMSK = 16, BLSI = 17, BZHI = 18, PDEP = 19, PEXT = 20,
            ADCX = 21, ADOX = 22;
    private static final String[] BT_NAMES = {"BT", "BTS", "BTR", "BTC"};

    private BitOps() {}

    static void register(OpcodeTable.Builder b) {
        int[] regOpcodes = {0xA3, 0xAB, 0xB3, 0xBB};
        for (int op = BT; op <= BTC; op++) {
            int lock = op == BT ? 0 : OpcodeRow.A_LOCK;
            b.row(1, regOpcodes[op], BT_NAMES[op] + " Ev,Gv", Family.BITOPS, op).attrs(lock).add();
            b.row(1, 0xBA, BT_NAMES[op] + " Ev,Ib", Family.BITOPS, BT_IB + op).reg(4 + op).attrs(lock).add();
        }
        b.row(1, 0xBC, "BSF Gv,Ev", Family.BITOPS, BSF).cost("bitscan").add();
        b.row(1, 0xBD, "BSR Gv,Ev", Family.BITOPS, BSR).cost("bitscan").add();
        b.row(1, 0xBC, "TZCNT Gv,Ev", Family.BITOPS, TZCNT).prefix(0xF3).feature(Feature.BMI1).cost("bitscan").add();
        b.row(1, 0xBD, "LZCNT Gv,Ev", Family.BITOPS, LZCNT).prefix(0xF3).feature(Feature.ABM).cost("bitscan").add();
        b.row(1, 0xB8, "POPCNT Gv,Ev", Family.BITOPS, POPCNT).prefix(0xF3).feature(Feature.POPCNT).cost("popcnt").add();
        BitOpsBmi.register(b);
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int h = d.handler;
        switch (h) {
            case BT: case BTS: case BTR: case BTC: bitTest(cpu, d, h, cpu.readG(d), true); break;
            case BT_IB + BT: case BT_IB + BTS: case BT_IB + BTR: case BT_IB + BTC:
                bitTest(cpu, d, h - BT_IB, d.imm, false);
                break;
            case BSF: case BSR: bitScan(cpu, d, h == BSF); break;
            case TZCNT: case LZCNT: count(cpu, d, h == TZCNT); break;
            case POPCNT: {
                long src = cpu.readE(d);
                cpu.writeG(d, Long.bitCount(src));
                cpu.state().setOszapc(src == 0 ? Flags.ZF : 0);
                break;
            }
            default: BitOpsBmi.execute(cpu, d); break;
        }
    }

    /**
     * BT/BTS/BTR/BTC. A register bit offset addressing memory is a signed "bit base" offset (SDM Vol. 2A
     * BT: the operand at EA + (operand size) * (BitOffset SAR log2(bits)) is accessed); an immediate
     * offset, and any offset into a register, is taken modulo the operand width.
     */
    private static void bitTest(Cpu cpu, DecodedInsn d, int op, long offset, boolean bitBase) {
        int size = d.opSize;
        int bits = size << 3;
        int bit;
        long lin = 0;
        long v;
        if (d.memOp) {
            long ea = cpu.ea(d);
            long so = Flags.sext(offset, size);
            if (bitBase) {
                ea = (ea + (so >> Integer.numberOfTrailingZeros(bits)) * size) & Flags.mask(d.addrSize);
            }
            bit = (int) so & (bits - 1);
            lin = cpu.linear(d.seg, ea, size, op == BT ? Mmu.READ : Mmu.WRITE);
            v = cpu.readLinear(lin, size, Mmu.READ);
        } else {
            bit = (int) offset & (bits - 1);
            v = cpu.readReg(d, d.rm, size);
        }
        long cf = (v >>> bit) & 1;
        if (op != BT) {
            long m = 1L << bit;
            long r = op == BTS ? v | m : op == BTR ? v & ~m : v ^ m;
            if (d.memOp) {
                cpu.writeLinear(lin, size, r);
            } else {
                cpu.writeReg(d, d.rm, size, r);
            }
        }
        CpuState s = cpu.state();
        s.setOszapc(s.oszapc() & ~Flags.CF | cf); // OF/SF/AF/PF kept: measured on AMD Zen, same policy for Intel
    }

    /** BSF/BSR: a zero source leaves the destination unwritten (not even zero-extended) with ZF = PF = 1. */
    private static void bitScan(Cpu cpu, DecodedInsn d, boolean forward) {
        long src = cpu.readE(d);
        CpuState s = cpu.state();
        if (src == 0) {
            s.setOszapc(Flags.ZF | Flags.PF);
            return;
        }
        long idx = forward ? Long.numberOfTrailingZeros(src) : 63 - Long.numberOfLeadingZeros(src);
        cpu.writeG(d, idx);
        s.setOszapc(Flags.parity(idx));
    }

    /** TZCNT/LZCNT: the operand width for a zero source, with CF = 1; ZF when the count is 0. */
    private static void count(Cpu cpu, DecodedInsn d, boolean trailing) {
        int bits = d.opSize << 3;
        long src = cpu.readE(d);
        long n;
        if (src == 0) {
            n = bits;
        } else {
            n = trailing ? Long.numberOfTrailingZeros(src) : Long.numberOfLeadingZeros(src) - (64 - bits);
        }
        cpu.writeG(d, n);
        CpuState s = cpu.state();
        long keep = cpu.vendor() == Vendor.AMD ? s.oszapc() & Flags.OF : 0; // AMD Zen keeps OF (measured)
        s.setOszapc(keep | (src == 0 ? Flags.CF : 0) | (n == 0 ? Flags.ZF : 0));
    }
}
