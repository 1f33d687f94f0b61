package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;

/**
 * Binary arithmetic and logic (SDM Vol. 2A/2B: ADD, ADC, SUB, SBB, CMP, AND, OR, XOR, TEST, INC, DEC,
 * NEG, NOT; Vol. 1 7.3.2, 7.3.4). Flags are exact and lazily evaluated; AF after logic operations is
 * architecturally undefined and follows the profile policy in DEVIATIONS.md (cleared).
 */
final class Arith {
    static final int ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7, TEST = 8,
            INC = 9, DEC = 10, NEG = 11, NOT = 12;
    /** Operand forms: destination E / G / rAX, source G / E / immediate; unary E; register in opcode. */
    static final int F_EG = 0, F_GE = 1, F_EI = 2, F_AI = 3, F_E = 4, F_Z = 5;
    private static final String[] NAMES = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST",
        "INC", "DEC", "NEG", "NOT"};

    private Arith() {}

    private static int h(int op, int form) {
        return op | form << 4;
    }

    static void register(OpcodeTable.Builder b) {
        for (int op = 0; op < 8; op++) {
            String n = NAMES[op];
            int lock = op == CMP ? 0 : OpcodeRow.A_LOCK;
            int base = op * 8;
            b.row(0, base, n + " Eb,Gb", Family.ARITH, h(op, F_EG)).attrs(lock).add();
            b.row(0, base + 1, n + " Ev,Gv", Family.ARITH, h(op, F_EG)).attrs(lock).add();
            b.row(0, base + 2, n + " Gb,Eb", Family.ARITH, h(op, F_GE)).add();
            b.row(0, base + 3, n + " Gv,Ev", Family.ARITH, h(op, F_GE)).add();
            b.row(0, base + 4, n + " AL,Ib", Family.ARITH, h(op, F_AI)).add();
            b.row(0, base + 5, n + " rAX,Iz", Family.ARITH, h(op, F_AI)).add();
            b.row(0, 0x80, n + " Eb,Ib", Family.ARITH, h(op, F_EI)).reg(op).attrs(lock).add();
            b.row(0, 0x81, n + " Ev,Iz", Family.ARITH, h(op, F_EI)).reg(op).attrs(lock).add();
            b.row(0, 0x82, n + " Eb,Ib", Family.ARITH, h(op, F_EI)).reg(op).attrs(lock | OpcodeRow.A_I64).add();
            b.row(0, 0x83, n + " Ev,Ibs", Family.ARITH, h(op, F_EI)).reg(op).attrs(lock).add();
        }
        b.row(0, 0x84, "TEST Eb,Gb", Family.ARITH, h(TEST, F_EG)).add();
        b.row(0, 0x85, "TEST Ev,Gv", Family.ARITH, h(TEST, F_EG)).add();
        b.row(0, 0xA8, "TEST AL,Ib", Family.ARITH, h(TEST, F_AI)).add();
        b.row(0, 0xA9, "TEST rAX,Iz", Family.ARITH, h(TEST, F_AI)).add();
        for (int r = 0; r < 2; r++) { // F6 /1 and F7 /1 are undocumented aliases of /0 on both vendors
            b.row(0, 0xF6, "TEST Eb,Ib", Family.ARITH, h(TEST, F_EI)).reg(r).add();
            b.row(0, 0xF7, "TEST Ev,Iz", Family.ARITH, h(TEST, F_EI)).reg(r).add();
        }
        b.row(0, 0xF6, "NOT Eb", Family.ARITH, h(NOT, F_E)).reg(2).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xF7, "NOT Ev", Family.ARITH, h(NOT, F_E)).reg(2).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xF6, "NEG Eb", Family.ARITH, h(NEG, F_E)).reg(3).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xF7, "NEG Ev", Family.ARITH, h(NEG, F_E)).reg(3).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xFE, "INC Eb", Family.ARITH, h(INC, F_E)).reg(0).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xFE, "DEC Eb", Family.ARITH, h(DEC, F_E)).reg(1).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xFF, "INC Ev", Family.ARITH, h(INC, F_E)).reg(0).attrs(OpcodeRow.A_LOCK).add();
        b.row(0, 0xFF, "DEC Ev", Family.ARITH, h(DEC, F_E)).reg(1).attrs(OpcodeRow.A_LOCK).add();
        b.rowPlusR(0, 0x40, "INC Zv", Family.ARITH, h(INC, F_Z), OpcodeRow.A_I64, "alu");
        b.rowPlusR(0, 0x48, "DEC Zv", Family.ARITH, h(DEC, F_Z), OpcodeRow.A_I64, "alu");
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int op = d.handler & 15;
        int size = d.opSize;
        switch (d.handler >>> 4) {
            case F_EG: toE(cpu, d, op, cpu.readG(d)); break;
            case F_EI: toE(cpu, d, op, d.imm); break;
            case F_GE: {
                long r = compute(cpu.state(), op, size, cpu.readG(d), cpu.readE(d));
                if (op != CMP && op != TEST) {
                    cpu.writeG(d, r);
                }
                break;
            }
            case F_AI: {
                long r = compute(cpu.state(), op, size, cpu.gpr(Reg.RAX, size), d.imm);
                if (op != CMP && op != TEST) {
                    cpu.setGpr(Reg.RAX, size, r);
                }
                break;
            }
            case F_Z: {
                long r = compute(cpu.state(), op, size, cpu.gpr(d.reg, size), 0);
                cpu.setGpr(d.reg, size, r);
                break;
            }
            default: toE(cpu, d, op, 0);
        }
    }

    /** Destination is the E operand: a register, or memory read-modify-write (write-checked first). */
    private static void toE(Cpu cpu, DecodedInsn d, int op, long src) {
        int size = d.opSize;
        if (!d.memOp) {
            long r = compute(cpu.state(), op, size, cpu.readReg(d, d.rm, size), src);
            if (op != CMP && op != TEST) {
                cpu.writeReg(d, d.rm, size, r);
            }
            return;
        }
        boolean writes = op != CMP && op != TEST;
        long lin = cpu.linear(d.seg, cpu.ea(d), size, writes ? Mmu.WRITE : Mmu.READ);
        long dst = cpu.readLinear(lin, size, Mmu.READ);
        if (!writes) {
            compute(cpu.state(), op, size, dst, src);
            return;
        }
        CpuState s = cpu.state();
        // Compute into scratch flags only after the store succeeded: keep the old flags for a faulting store.
        int lfOp = s.lfOp, lfSize = s.lfSize;
        long a = s.lfDst, b = s.lfSrc, c = s.lfRes, x = s.lfAux;
        long r = compute(s, op, size, dst, src);
        try {
            cpu.writeLinear(lin, size, r);
        } catch (RuntimeException e) {
            s.lfOp = lfOp; s.lfSize = lfSize; s.lfDst = a; s.lfSrc = b; s.lfRes = c; s.lfAux = x;
            throw e;
        }
    }

    /** Computes the result and sets the flags lazily. */
    static long compute(CpuState s, int op, int size, long dst, long src) {
        long r;
        switch (op) {
            case ADD: r = dst + src; s.lazy(CpuState.LF_ADD, size, dst, src, r); return r;
            case ADC: {
                long c = s.cf() ? 1 : 0;
                r = dst + src + c;
                s.lazyCarry(CpuState.LF_ADC, size, dst, src, r, c);
                return r;
            }
            case SBB: {
                long c = s.cf() ? 1 : 0;
                r = dst - src - c;
                s.lazyCarry(CpuState.LF_SBB, size, dst, src, r, c);
                return r;
            }
            case SUB: case CMP: r = dst - src; s.lazy(CpuState.LF_SUB, size, dst, src, r); return r;
            case AND: case TEST: r = dst & src; s.lazy(CpuState.LF_LOGIC, size, 0, 0, r); return r;
            case OR: r = dst | src; s.lazy(CpuState.LF_LOGIC, size, 0, 0, r); return r;
            case XOR: r = dst ^ src; s.lazy(CpuState.LF_LOGIC, size, 0, 0, r); return r;
            case INC: r = dst + 1; s.lazyIncDec(CpuState.LF_INC, size, dst, r); return r;
            case DEC: r = dst - 1; s.lazyIncDec(CpuState.LF_DEC, size, dst, r); return r;
            case NEG: r = -dst; s.lazy(CpuState.LF_SUB, size, 0, dst, r); return r;
            default: return ~dst; // NOT: flags unaffected
        }
    }
}
