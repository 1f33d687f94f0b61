package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/** Near control transfer (SDM Vol. 2A JMP, Jcc, CALL; Vol. 2B RET; Vol. 1 6.3). */
final class Branch {
    static final int JMP_REL = 0, JCC = 1, CALL_REL = 2, RET = 3, RET_IMM = 4;

    private Branch() {}

    static void register(OpcodeTable.Builder b) {
        int f64 = OpcodeRow.A_F64;
        b.row(0, 0xEB, "JMP Jb", Family.BRANCH, JMP_REL).attrs(f64).cost("branch").add();
        b.row(0, 0xE9, "JMP Jz", Family.BRANCH, JMP_REL).attrs(f64).cost("branch").add();
        for (int cc = 0; cc < 16; cc++) {
            b.row(0, 0x70 + cc, "J" + COND[cc] + " Jb", Family.BRANCH, JCC).attrs(f64).cost("branch").add();
            b.row(1, 0x80 + cc, "J" + COND[cc] + " Jz", Family.BRANCH, JCC).attrs(f64).cost("branch").add();
        }
        b.row(0, 0xE8, "CALL Jz", Family.BRANCH, CALL_REL).attrs(f64).cost("branch").add();
        b.row(0, 0xC3, "RET", Family.BRANCH, RET).attrs(f64).cost("branch").add();
        b.row(0, 0xC2, "RET Iw", Family.BRANCH, RET_IMM).attrs(f64).cost("branch").add();
    }

    static final String[] COND = {"O", "NO", "B", "NB", "Z", "NZ", "BE", "NBE", "S", "NS", "P", "NP", "L", "NL",
        "LE", "NLE"};

    /** Condition codes (SDM Vol. 1 Appendix B, Table B-1) from the low nibble of the opcode. */
    static boolean cond(CpuState s, int cc) {
        boolean r;
        switch (cc >>> 1) {
            case 0: r = s.of(); break;
            case 1: r = s.cf(); break;
            case 2: r = s.zf(); break;
            case 3: r = s.cf() || s.zf(); break;
            case 4: r = s.sf(); break;
            case 5: r = s.pf(); break;
            case 6: r = s.sf() != s.of(); break;
            default: r = s.zf() || s.sf() != s.of(); break;
        }
        return r ^ ((cc & 1) != 0);
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case JMP_REL: cpu.jumpNear(cpu.nextRip + d.imm, d.opSize); break;
            case JCC:
                if (cond(cpu.state(), d.row.opcode() & 15)) {
                    cpu.jumpNear(cpu.nextRip + d.imm, d.opSize);
                }
                break;
            case CALL_REL: {
                long target = cpu.nextRip + d.imm;
                long ret = cpu.nextRip;
                cpu.jumpNear(target, d.opSize); // checks the target before the push changes state
                cpu.push(ret, d.opSize);
                break;
            }
            case RET: case RET_IMM: {
                long target = cpu.peek(0, d.opSize);
                cpu.jumpNear(target, d.opSize);
                cpu.pop(d.opSize);
                if (d.handler == RET_IMM) {
                    int sas = cpu.stackAddrSize();
                    cpu.setGpr(dev.hvsim.x86core.Reg.RSP, sas, cpu.gpr(dev.hvsim.x86core.Reg.RSP, sas) + (d.imm & 0xffff));
                }
                break;
            }
            default: throw ArchFault.ud();
        }
    }
}
