package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Data transfer (SDM Vol. 1 7.3.1; Vol. 2A/2B instruction pages MOV, MOVZX, MOVSX/MOVSXD, LEA, XLAT/XLATB,
 * CBW/CWDE/CDQE, CWD/CDQ/CQO, CMOVcc, SETcc, BSWAP, MOVBE; AMD APM Vol. 3 ch. 3 for the same pages).
 * The exchange instructions (XCHG, XADD, CMPXCHG, CMPXCHG8B/16B) of this family live in {@link Exchange};
 * {@link #execute} delegates handler ids from {@link Exchange#BASE} on.
 *
 * <p>Vendor notes: MOVSXD with a 66 prefix moves 16 bits on both vendors (checked on an AMD host; the
 * Intel SDM MOVSXD page lists {@code MOVSXD r16, r/m16}). BSWAP with a 16-bit operand is undefined (SDM
 * Vol. 2A BSWAP); the model clears the low word, as observed on hardware (see DEVIATIONS.md).
 */
final class Move {
    static final int MOV_EG = 0, MOV_GE = 1, MOV_EI = 2, MOV_ZI = 3, LEA = 4, MOV_AO = 5, MOV_OA = 6,
            MOVZX_B = 7, MOVZX_W = 8, MOVSX_B = 9, MOVSX_W = 10, MOVSXD = 11, CBW = 12, CWD = 13, CMOV = 14,
            SETCC = 15, BSWAP = 16, MOVBE_LOAD = 17, MOVBE_STORE = 18, XLAT = 19;

    private Move() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0x88, "MOV Eb,Gb", Family.MOVE, MOV_EG).cost("mov").add();
        b.row(0, 0x89, "MOV Ev,Gv", Family.MOVE, MOV_EG).cost("mov").add();
        b.row(0, 0x8A, "MOV Gb,Eb", Family.MOVE, MOV_GE).cost("mov").add();
        b.row(0, 0x8B, "MOV Gv,Ev", Family.MOVE, MOV_GE).cost("mov").add();
        b.rowPlusR(0, 0xB0, "MOV Zb,Ib", Family.MOVE, MOV_ZI, 0, "mov");
        b.rowPlusR(0, 0xB8, "MOV Zv,Iv", Family.MOVE, MOV_ZI, 0, "mov");
        b.row(0, 0xC6, "MOV Eb,Ib", Family.MOVE, MOV_EI).reg(0).cost("mov").add();
        b.row(0, 0xC7, "MOV Ev,Iz", Family.MOVE, MOV_EI).reg(0).cost("mov").add();
        b.row(0, 0x8D, "LEA Gv,M", Family.MOVE, LEA).cost("lea").add();
        // moffs forms: the offset is address-size wide (SDM Vol. 2A MOV, note on moffs; Vol. 2A 2.2.1.4)
        b.row(0, 0xA0, "MOV AL,Ob", Family.MOVE, MOV_AO).cost("mov").add();
        b.row(0, 0xA1, "MOV rAX,Ov", Family.MOVE, MOV_AO).cost("mov").add();
        b.row(0, 0xA2, "MOV Ob,AL", Family.MOVE, MOV_OA).cost("mov").add();
        b.row(0, 0xA3, "MOV Ov,rAX", Family.MOVE, MOV_OA).cost("mov").add();
        b.row(1, 0xB6, "MOVZX Gv,Eb", Family.MOVE, MOVZX_B).cost("mov").add();
        b.row(1, 0xB7, "MOVZX Gv,Ew", Family.MOVE, MOVZX_W).cost("mov").add();
        b.row(1, 0xBE, "MOVSX Gv,Eb", Family.MOVE, MOVSX_B).cost("mov").add();
        b.row(1, 0xBF, "MOVSX Gv,Ew", Family.MOVE, MOVSX_W).cost("mov").add();
        // 63 is ARPL outside 64-bit mode (system family); o64 here
        b.row(0, 0x63, "MOVSXD Gv,Ed", Family.MOVE, MOVSXD).attrs(OpcodeRow.A_O64).cost("mov").add();
        b.row(0, 0x98, "CBW", Family.MOVE, CBW).cost("alu").add();
        b.row(0, 0x99, "CWD", Family.MOVE, CWD).cost("alu").add();
        b.row(0, 0xD7, "XLAT", Family.MOVE, XLAT).cost("mov").add();
        for (int cc = 0; cc < 16; cc++) {
            b.row(1, 0x40 + cc, "CMOV" + Branch.COND[cc] + " Gv,Ev", Family.MOVE, CMOV).feature(Feature.CMOV)
                    .cost("cmov").add();
            b.row(1, 0x90 + cc, "SET" + Branch.COND[cc] + " Eb", Family.MOVE, SETCC).cost("setcc").add();
        }
        b.rowPlusR(1, 0xC8, "BSWAP Zv", Family.MOVE, BSWAP, 0, "bswap");
        for (int p : new int[] {OpcodeRow.NONE, 0x66}) { // F2 0F 38 F0/F1 is CRC32; F3 is #UD
            b.row(2, 0xF0, "MOVBE Gv,Mv", Family.MOVE, MOVBE_LOAD).prefix(p).feature(Feature.MOVBE).cost("mov").add();
            b.row(2, 0xF1, "MOVBE Mv,Gv", Family.MOVE, MOVBE_STORE).prefix(p).feature(Feature.MOVBE).cost("mov").add();
        }
        Exchange.register(b);
    }

    /**
     * The frequent MOV forms stay in this small method so the JIT can inline it into the dispatch;
     * the rest are in {@link #executeOther}.
     */
    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case MOV_EG: cpu.writeE(d, cpu.readG(d)); break;
            case MOV_GE: cpu.writeG(d, cpu.readE(d)); break;
            case MOV_EI: cpu.writeE(d, d.imm); break;
            case MOV_ZI: cpu.writeReg(d, d.reg, d.opSize, d.imm); break;
            case LEA: cpu.writeG(d, cpu.ea(d)); break; // ea() is address-size wide; writeG truncates/zero-extends
            default: executeOther(cpu, d);
        }
    }

    private static void executeOther(Cpu cpu, DecodedInsn d) {
        if (d.handler >= Exchange.BASE) {
            Exchange.execute(cpu, d);
            return;
        }
        switch (d.handler) {
            case MOV_AO: cpu.setGpr(Reg.RAX, d.opSize, cpu.read(dataSeg(d), moffs(d), d.opSize)); break;
            case MOV_OA: cpu.write(dataSeg(d), moffs(d), d.opSize, cpu.gpr(Reg.RAX, d.opSize)); break;
            case MOVZX_B: cpu.writeG(d, cpu.readE(d, 1)); break;
            case MOVZX_W: cpu.writeG(d, cpu.readE(d, 2)); break;
            case MOVSX_B: cpu.writeG(d, (byte) cpu.readE(d, 1)); break;
            case MOVSX_W: cpu.writeG(d, (short) cpu.readE(d, 2)); break;
            case MOVSXD: movsxd(cpu, d); break;
            case CBW: cbw(cpu, d.opSize); break;
            case CWD: cwd(cpu, d.opSize); break;
            case CMOV: cmov(cpu, d); break;
            case SETCC: cpu.writeE(d, 1, Branch.cond(cpu.state(), d.row.opcode() & 15) ? 1 : 0); break;
            case BSWAP: cpu.setGpr(d.reg, d.opSize, bswap(cpu.gpr(d.reg, d.opSize), d.opSize)); break;
            case MOVBE_LOAD: cpu.writeG(d, byteSwap(cpu.readE(d), d.opSize)); break;
            case MOVBE_STORE: cpu.writeE(d, byteSwap(cpu.readG(d), d.opSize)); break;
            case XLAT: xlat(cpu, d); break;
            default: throw ArchFault.ud();
        }
    }

    /** DS unless overridden: for operands without ModRM (moffs, XLAT, string sources). */
    static int dataSeg(DecodedInsn d) {
        return d.segOverride >= 0 ? d.segOverride : Reg.DS;
    }

    private static long moffs(DecodedInsn d) {
        return d.imm & Flags.mask(d.addrSize);
    }

    /** MOVSXD (SDM Vol. 2A MOVSX/MOVSXD): 32-bit source sign-extended to 64; 16/32-bit forms just move. */
    private static void movsxd(Cpu cpu, DecodedInsn d) {
        int src = d.opSize == 2 ? 2 : 4;
        cpu.writeG(d, Flags.sext(cpu.readE(d, src), src));
    }

    /** CBW/CWDE/CDQE: the accumulator's lower half sign-extended into the whole. */
    private static void cbw(Cpu cpu, int size) {
        int half = size >>> 1;
        cpu.setGpr(Reg.RAX, size, Flags.sext(cpu.gpr(Reg.RAX, half), half));
    }

    /** CWD/CDQ/CQO: rDX filled with the sign of rAX. */
    private static void cwd(Cpu cpu, int size) {
        boolean neg = (cpu.gpr(Reg.RAX, size) & Flags.signBit(size)) != 0;
        cpu.setGpr(Reg.RDX, size, neg ? -1L : 0);
    }

    /**
     * CMOVcc (SDM Vol. 2A): the source is read (and may fault) whatever the condition; in 64-bit mode a
     * 32-bit CMOV zero-extends the destination even when the condition is false.
     */
    private static void cmov(Cpu cpu, DecodedInsn d) {
        long v = cpu.readE(d);
        if (Branch.cond(cpu.state(), d.row.opcode() & 15)) {
            cpu.writeG(d, v);
        } else if (d.opSize == 4) {
            cpu.writeG(d, cpu.readG(d));
        }
    }

    /** BSWAP; the 16-bit form is undefined: it clears the low word, as observed on hardware. */
    private static long bswap(long v, int size) {
        return size == 2 ? 0 : byteSwap(v, size);
    }

    static long byteSwap(long v, int size) {
        switch (size) {
            case 2: return Short.reverseBytes((short) v) & 0xffffL;
            case 4: return Integer.reverseBytes((int) v) & 0xffffffffL;
            default: return Long.reverseBytes(v);
        }
    }

    /** XLAT (SDM Vol. 2B): AL from seg:[rBX + zero-extended AL], rBX by address size. */
    private static void xlat(Cpu cpu, DecodedInsn d) {
        long off = (cpu.gpr(Reg.RBX, d.addrSize) + cpu.gpr(Reg.RAX, 1)) & Flags.mask(d.addrSize);
        cpu.setGpr(Reg.RAX, 1, cpu.read(dataSeg(d), off, 1));
    }
}
