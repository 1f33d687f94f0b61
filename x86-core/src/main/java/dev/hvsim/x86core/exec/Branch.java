package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Near control transfer (SDM Vol. 1 6.3; Vol. 2A JMP, Jcc, CALL, LOOP/LOOPcc, JCXZ/JECXZ/JRCXZ; Vol. 2B RET;
 * AMD APM Vol. 3 same pages). The target is truncated to the operand size ({@link Cpu#jumpNear}: a 16-bit
 * operand size wraps IP at 64 KiB) and checked against the CS limit or for canonicality before anything
 * changes; a CALL pushes only after its target was checked.
 *
 * <p>Vendor difference (SDM Vol. 1 3.6.1 / Vol. 2A 2.2.1.7 versus AMD APM Vol. 3 1.2.7): in 64-bit mode the
 * near branches are f64. Intel ignores a 66 prefix (64-bit operand size, rel32); AMD honours it (16-bit
 * operand size: rel16, a 16-bit return address and IP truncated to 16 bits). The decoder applies this for
 * rows marked {@link OpcodeRow#A_F64}. LOOP and JrCXZ count with rCX of the address size (CX, ECX, RCX).
 */
final class Branch {
    static final int JMP_REL = 0, JCC = 1, CALL_REL = 2, RET = 3, RET_IMM = 4, JMP_E = 5, CALL_E = 6, LOOP = 7,
            JRCXZ = 8;

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
        b.row(0, 0xFF, "CALL Ev", Family.BRANCH, CALL_E).reg(2).attrs(f64).cost("branch").add();
        b.row(0, 0xFF, "JMP Ev", Family.BRANCH, JMP_E).reg(4).attrs(f64).cost("branch").add();
        b.row(0, 0xE0, "LOOPNE Jb", Family.BRANCH, LOOP).attrs(f64).cost("branch").add();
        b.row(0, 0xE1, "LOOPE Jb", Family.BRANCH, LOOP).attrs(f64).cost("branch").add();
        b.row(0, 0xE2, "LOOP Jb", Family.BRANCH, LOOP).attrs(f64).cost("branch").add();
        b.row(0, 0xE3, "JrCXZ Jb", Family.BRANCH, JRCXZ).attrs(f64).cost("branch").add();
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
            case CALL_REL: call(cpu, cpu.nextRip + d.imm, d.opSize); break;
            case CALL_E: call(cpu, cpu.readE(d), d.opSize); break;
            case JMP_E: cpu.jumpNear(cpu.readE(d), d.opSize); break;
            case RET: case RET_IMM: ret(cpu, d); break;
            case LOOP: loop(cpu, d); break;
            case JRCXZ:
                if (cpu.gpr(Reg.RCX, d.addrSize) == 0) {
                    cpu.jumpNear(cpu.nextRip + d.imm, d.opSize);
                }
                break;
            default: throw ArchFault.ud();
        }
    }

    /** CALL near: the target is checked before the push changes state (SDM Vol. 2A CALL). */
    private static void call(Cpu cpu, long target, int size) {
        long ret = cpu.nextRip;
        cpu.jumpNear(target, size);
        cpu.push(ret, size);
    }

    /** RET / RET imm16: the return address is checked before rSP changes (SDM Vol. 2B RET). */
    private static void ret(Cpu cpu, DecodedInsn d) {
        long target = cpu.peek(0, d.opSize);
        cpu.jumpNear(target, d.opSize);
        int sas = cpu.stackAddrSize();
        long release = d.handler == RET_IMM ? d.imm & 0xffff : 0;
        cpu.setGpr(Reg.RSP, sas, cpu.gpr(Reg.RSP, sas) + d.opSize + release);
    }

    /**
     * LOOP/LOOPE/LOOPNE (SDM Vol. 2A LOOP/LOOPcc): decrement the count register of the address size without
     * touching the flags, branch while it is non-zero (and ZF = 1 for E1, ZF = 0 for E0). A faulting
     * target leaves the count unchanged.
     */
    private static void loop(Cpu cpu, DecodedInsn d) {
        int as = d.addrSize;
        long count = (cpu.gpr(Reg.RCX, as) - 1) & Flags.mask(as);
        int op = d.row.opcode();
        boolean take = count != 0 && (op == 0xE2 || cpu.state().zf() == (op == 0xE1));
        if (take) {
            cpu.jumpNear(cpu.nextRip + d.imm, d.opSize);
        }
        cpu.setGpr(Reg.RCX, as, count);
    }
}
