package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * Segment-register loads, far control transfers and software interrupts.
 *
 * <ul>
 *   <li>SDM Vol. 2B MOV (8C/8E "Move to/from segment registers"), PUSH and POP (segment-register forms);
 *       Vol. 2A LDS/LES/LFS/LGS/LSS; Vol. 3A 3.4.3-3.4.5 (segment registers, descriptors), 5.4-5.6
 *       (segment-register load checks), 6.8.3 (MOV SS / POP SS interrupt shadow).</li>
 *   <li>SDM Vol. 2A CALL and JMP (far forms), Vol. 2B RET (far) and IRET: see {@link FarTransfer} and
 *       {@link FarReturn}.</li>
 *   <li>SDM Vol. 2A INT n/INTO/INT3/INT1; Vol. 3A 6.4.2 software-generated exceptions, 20.3.3 (INT n in
 *       virtual-8086 mode): delivery itself is {@link Interrupts#softwareInterrupt}.</li>
 *   <li>AMD APM Vol. 3 (same instruction pages), Vol. 2 4.5-4.11.</li>
 * </ul>
 *
 * <p>Handler ids carry the segment register in bits 7:4 (the opcode map is data: which register an
 * opcode names lives in its row, not in the handler).
 */
final class SegmentInsns {
    static final int MOV_E_SREG = 0, MOV_SREG_E = 1, PUSH_SREG = 2, POP_SREG = 3, LOAD_FAR_PTR = 4, JMP_FAR_AP = 5,
            JMP_FAR_M = 6, CALL_FAR_AP = 7, CALL_FAR_M = 8, RET_FAR = 9, RET_FAR_IMM = 10, IRET = 11, INT_N = 12,
            INT3 = 13, INTO = 14, INT1 = 15;

    private SegmentInsns() {}

    private static int h(int op, int sreg) {
        return op | sreg << 4;
    }

    static void register(OpcodeTable.Builder b) {
        int seg = Family.SEGMENT;
        int i64 = OpcodeRow.A_I64;
        b.row(0, 0x8C, "MOV Ev,Sw", seg, MOV_E_SREG).cost("mov").add();
        b.row(0, 0x8E, "MOV Sw,Ew", seg, MOV_SREG_E).cost("segload").add();
        String[] names = {"ES", "CS", "SS", "DS"};
        for (int r = 0; r < 4; r++) {
            b.row(0, 0x06 + 8 * r, "PUSH " + names[r], seg, h(PUSH_SREG, r)).attrs(i64).cost("stack").add();
            if (r != Reg.CS) {
                b.row(0, 0x07 + 8 * r, "POP " + names[r], seg, h(POP_SREG, r)).attrs(i64).cost("segload").add();
            }
        }
        b.row(1, 0xA0, "PUSH FS", seg, h(PUSH_SREG, Reg.FS)).attrs(OpcodeRow.A_D64).cost("stack").add();
        b.row(1, 0xA1, "POP FS", seg, h(POP_SREG, Reg.FS)).attrs(OpcodeRow.A_D64).cost("segload").add();
        b.row(1, 0xA8, "PUSH GS", seg, h(PUSH_SREG, Reg.GS)).attrs(OpcodeRow.A_D64).cost("stack").add();
        b.row(1, 0xA9, "POP GS", seg, h(POP_SREG, Reg.GS)).attrs(OpcodeRow.A_D64).cost("segload").add();
        // C4/C5 with ModRM.mod != 11 outside 64-bit mode; the decoder routes the rest to VEX
        b.row(0, 0xC4, "LES Gz,Mp", seg, h(LOAD_FAR_PTR, Reg.ES)).attrs(i64).cost("segload").add();
        b.row(0, 0xC5, "LDS Gz,Mp", seg, h(LOAD_FAR_PTR, Reg.DS)).attrs(i64).cost("segload").add();
        b.row(1, 0xB2, "LSS Gv,Mp", seg, h(LOAD_FAR_PTR, Reg.SS)).cost("segload").add();
        b.row(1, 0xB4, "LFS Gv,Mp", seg, h(LOAD_FAR_PTR, Reg.FS)).cost("segload").add();
        b.row(1, 0xB5, "LGS Gv,Mp", seg, h(LOAD_FAR_PTR, Reg.GS)).cost("segload").add();
        b.row(0, 0xEA, "JMP Ap", seg, JMP_FAR_AP).attrs(i64).cost("far").add();
        b.row(0, 0x9A, "CALL Ap", seg, CALL_FAR_AP).attrs(i64).cost("far").add();
        b.row(0, 0xFF, "CALL Mp", seg, CALL_FAR_M).reg(3).cost("far").add();
        b.row(0, 0xFF, "JMP Mp", seg, JMP_FAR_M).reg(5).cost("far").add();
        b.row(0, 0xCB, "RETF", seg, RET_FAR).cost("far").add();
        b.row(0, 0xCA, "RETF Iw", seg, RET_FAR_IMM).cost("far").add();
        b.row(0, 0xCF, "IRET", seg, IRET).intercept(InterceptPoint.IRET).cost("iret").add();
        b.row(0, 0xCD, "INT Ib", seg, INT_N).intercept(InterceptPoint.INTN).cost("int").add();
        b.row(0, 0xCC, "INT3", seg, INT3).intercept(InterceptPoint.INT3).cost("int").add();
        b.row(0, 0xCE, "INTO", seg, INTO).attrs(i64).intercept(InterceptPoint.INTO).cost("int").add();
        b.row(0, 0xF1, "INT1", seg, INT1).intercept(InterceptPoint.ICEBP).cost("int").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int sreg = d.handler >>> 4;
        switch (d.handler & 15) {
            case MOV_E_SREG: movFromSreg(cpu, d); break;
            case MOV_SREG_E: movToSreg(cpu, d); break;
            case PUSH_SREG: pushSreg(cpu, d, sreg); break;
            case POP_SREG: popSreg(cpu, d, sreg); break;
            case LOAD_FAR_PTR: loadFarPointer(cpu, d, sreg); break;
            case JMP_FAR_AP: FarTransfer.jmp(cpu, (int) d.imm2 & 0xffff, d.imm, d.opSize); break;
            case CALL_FAR_AP: FarTransfer.call(cpu, (int) d.imm2 & 0xffff, d.imm, d.opSize); break;
            case JMP_FAR_M: case CALL_FAR_M: farIndirect(cpu, d); break;
            case RET_FAR: FarReturn.ret(cpu, d.opSize, 0); break;
            case RET_FAR_IMM: FarReturn.ret(cpu, d.opSize, (int) (d.imm & 0xffff)); break;
            case IRET: FarReturn.iret(cpu, d.opSize); break;
            case INT_N: cpu.interrupts().softwareInterrupt((int) (d.imm & 0xff), Interrupts.Kind.SOFTWARE_INT); break;
            case INT3: cpu.interrupts().softwareInterrupt(Vectors.BP, Interrupts.Kind.SOFTWARE_EXCEPTION); break;
            case INTO:
                if (cpu.state().of()) {
                    cpu.interrupts().softwareInterrupt(Vectors.OF, Interrupts.Kind.SOFTWARE_EXCEPTION);
                }
                break;
            case INT1: cpu.interrupts().softwareInterrupt(Vectors.DB, Interrupts.Kind.PRIV_SOFTWARE_EXCEPTION); break;
            default: throw ArchFault.ud();
        }
    }

    /** ModRM.reg names a segment register; 6 and 7 are #UD (SDM Vol. 2B MOV). REX.R is ignored. */
    private static int sregField(DecodedInsn d) {
        int r = d.reg & 7;
        if (r > Reg.GS) {
            throw ArchFault.ud();
        }
        return r;
    }

    /**
     * MOV Ev,Sw: a memory destination is always 16 bits; a register destination of 32/64 bits receives
     * the zero-extended selector (SDM Vol. 2B MOV, "Pentium Pro and later").
     */
    private static void movFromSreg(Cpu cpu, DecodedInsn d) {
        int sel = cpu.state().seg[sregField(d)].selector;
        if (d.memOp) {
            cpu.write(d.seg, cpu.ea(d), 2, sel);
        } else {
            cpu.writeReg(d, d.rm, d.opSize, sel);
        }
    }

    /** MOV Sw,Ew: CS is #UD; MOV SS starts the one-instruction interrupt shadow (SDM Vol. 3A 6.8.3). */
    private static void movToSreg(Cpu cpu, DecodedInsn d) {
        int r = sregField(d);
        if (r == Reg.CS) {
            throw ArchFault.ud();
        }
        int sel = (int) cpu.readE(d, 2);
        cpu.segmentation().load(r, sel);
        if (r == Reg.SS) {
            cpu.beginMovSsShadow();
        }
    }

    /**
     * PUSH Sreg. With a 32/64-bit operand, recent Intel processors store only the 16-bit selector,
     * leaving the rest of the slot unchanged; AMD zero-extends (SDM Vol. 2B PUSH; APM Vol. 3 PUSH).
     */
    private static void pushSreg(Cpu cpu, DecodedInsn d, int r) {
        int size = d.opSize;
        int sel = cpu.state().seg[r].selector;
        if (size == 2 || cpu.vendor() == Vendor.AMD) {
            cpu.push(sel, size);
            return;
        }
        int sas = cpu.stackAddrSize();
        long sp = (cpu.state().gpr[Reg.RSP] - size) & Flags.mask(sas);
        long lin = cpu.linear(Reg.SS, sp, size, Mmu.WRITE);
        cpu.probeWrite(lin, size);
        cpu.writeLinear(lin, 2, sel);
        cpu.setGpr(Reg.RSP, sas, sp);
    }

    /** POP Sreg: the load's checks run before rSP moves; POP SS starts the interrupt shadow. */
    private static void popSreg(Cpu cpu, DecodedInsn d, int r) {
        int size = d.opSize;
        int sel = (int) cpu.peek(0, size) & 0xffff;
        int sas = cpu.stackAddrSize();
        cpu.segmentation().load(r, sel);
        cpu.setGpr(Reg.RSP, sas, cpu.state().gpr[Reg.RSP] + size);
        if (r == Reg.SS) {
            cpu.beginMovSsShadow();
        }
    }

    /**
     * LDS/LES/LFS/LGS/LSS: offset then selector from memory; the segment load (with its faults) comes
     * before the register write. REX.W selects m16:64 on Intel; AMD ignores it (m16:32) (DEVIATIONS.md).
     */
    private static void loadFarPointer(Cpu cpu, DecodedInsn d, int r) {
        int size = farOffsetSize(cpu, d);
        long ea = cpu.ea(d);
        long off = cpu.read(d.seg, ea, size);
        int sel = (int) cpu.read(d.seg, (ea + size) & Flags.mask(d.addrSize), 2);
        cpu.segmentation().load(r, sel);
        cpu.writeReg(d, d.reg, size, off);
    }

    private static int farOffsetSize(Cpu cpu, DecodedInsn d) {
        return d.opSize == 8 && cpu.vendor() == Vendor.AMD ? 4 : d.opSize;
    }

    /** JMP m16:16/32/64 (FF /5), CALL m16:16/32/64 (FF /3). */
    private static void farIndirect(Cpu cpu, DecodedInsn d) {
        int size = farOffsetSize(cpu, d);
        long ea = cpu.ea(d);
        long off = cpu.read(d.seg, ea, size);
        int sel = (int) cpu.read(d.seg, (ea + size) & Flags.mask(d.addrSize), 2);
        if ((d.handler & 15) == JMP_FAR_M) {
            FarTransfer.jmp(cpu, sel, off, size);
        } else {
            FarTransfer.call(cpu, sel, off, size);
        }
    }
}
