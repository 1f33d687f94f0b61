package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** Data transfer (SDM Vol. 2A/2B MOV, LEA; Vol. 1 7.3.1). */
final class Move {
    static final int MOV_EG = 0, MOV_GE = 1, MOV_EI = 2, MOV_ZI = 3, LEA = 4;

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
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case MOV_EG: cpu.writeE(d, cpu.readG(d)); break;
            case MOV_GE: cpu.writeG(d, cpu.readE(d)); break;
            case MOV_EI: cpu.writeE(d, d.imm); break;
            case MOV_ZI: cpu.writeReg(d, d.reg, d.opSize, d.imm); break;
            case LEA: cpu.writeG(d, cpu.ea(d)); break;
            default: throw ArchFault.ud();
        }
    }
}
