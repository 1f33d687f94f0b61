package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;

/**
 * Specialised execution of the most frequent instruction forms: register and simple-memory MOV, two-
 * register and register-immediate ALU operations, INC/DEC of a register, SHL/SHR/SAR by an immediate,
 * IMUL of two registers, Jcc/JMP, LEA, and PUSH/POP/CALL/
 * RET in 64-bit mode, all with 32- or 64-bit operands. The form is classified once at decode time
 * ({@link #classify}); executing it is one dense switch with straight-line code per case, instead of the
 * family → form → operation → size switches of the general handlers, whose unpredictable indirect
 * branches dominate the interpreter's cost. Every case computes exactly what the general handler of the
 * same row computes (the whole instruction test suite and the native-differential suite run through this
 * path); anything else falls through to {@link Exec#execute}.
 */
public final class FastPath {
    /** The specialised forms ({@code DecodedInsn.fast}); the block translator (x86-core {@code jit}) reads them too. */
    public static final int NONE = 0, MOV_RR = 1, MOV_LOAD = 2, MOV_STORE = 3, ALU_RR = 4, ALU_RI = 5, INC_R = 6,
            DEC_R = 7, JCC = 8, JMP = 9, LEA = 10, PUSH_R = 11, POP_R = 12, CALL = 13, RET = 14, NOP = 15,
            MOV_RI = 16, SHIFT_RI = 17, IMUL_RR = 18;

    /** ALU operations of {@link #ALU_RR}/{@link #ALU_RI} as {@link #aluKind} names them. */
    public static final int K_ADD = 0, K_SUB = 1, K_CMP = 2, K_AND = 3, K_TEST = 4, K_OR = 5, K_XOR = 6;

    private FastPath() {}

    /** The ALU operation of an {@link #ALU_RR}/{@link #ALU_RI} instruction (the same choice {@link #execute} makes). */
    public static int aluKind(DecodedInsn d) {
        switch (d.handler & 15) {
            case Arith.ADD: return K_ADD;
            case Arith.SUB: return K_SUB;
            case Arith.CMP: return K_CMP;
            case Arith.AND: return K_AND;
            case Arith.TEST: return K_TEST;
            case Arith.OR: return K_OR;
            default: return K_XOR;
        }
    }

    // ---- the same computations for translated code (x86-core jit), so both paths share one definition ----

    /** Jcc's condition {@code cc} (low nibble of the opcode) on materialised flags (SDM Vol. 1 Appendix B). */
    public static boolean condition(CpuState s, int cc) {
        return Branch.cond(s, cc);
    }

    /** {@link #SHIFT_RI}'s result: {@code op} is {@code fastA}, {@code count} is {@code fastB} (masked, non-zero). */
    public static long shiftResult(int op, int size, long v, int count) {
        return ShiftRotate.result(op, size, v, count, 0);
    }

    /** {@link #SHIFT_RI}'s flags, set in {@code s} as the interpreter sets them. */
    public static void shiftFlags(CpuState s, int op, int size, long v, int count, long res, boolean amd) {
        s.setOszapc(ShiftRotate.shiftFlags(op, size, v, count, res, amd ? Vendor.AMD : Vendor.INTEL));
    }

    /** {@link #IMUL_RR}'s product (before the 32-bit zero extension of the register write). */
    public static long imulProduct(int size, long x, long y) {
        return MulDiv.imulProduct(size, x, y);
    }

    /** {@link #IMUL_RR}'s flags, set on {@code cpu} as the interpreter sets them (AMD keeps SF/ZF/AF/PF). */
    public static void imulFlags(Cpu cpu, int size, long x, long y) {
        MulDiv.imulFlags(cpu, size, x, y);
    }

    /** Sets {@code d.fast}, {@code d.fastA}, {@code d.fastB} for a freshly decoded instruction. */
    public static void classify(DecodedInsn d) {
        d.fast = NONE;
        if (d.lock || d.rep != 0 || d.opSize < 4 || d.checks != 0 || d.intercept != null) {
            return;
        }
        switch (d.family) {
            case Family.MOVE: classifyMove(d); break;
            case Family.ARITH: classifyArith(d); break;
            case Family.BRANCH: classifyBranch(d); break;
            case Family.STACK:
                if (d.codeSize == 64 && d.opSize == 8 && !d.memOp) {
                    d.fast = d.handler == Stack.PUSH_Z ? PUSH_R : d.handler == Stack.POP_Z && d.reg != Reg.RSP ? POP_R : NONE;
                }
                break;
            case Family.SHIFT: classifyShift(d); break;
            case Family.MULDIV:
                if (d.handler == MulDiv.IMUL_GE && !d.memOp) {
                    set(d, IMUL_RR, d.reg, d.rm);
                }
                break;
            case Family.MISC:
                // 90 with REX.B is XCHG r8, rAX (Misc handles it), not a NOP
                d.fast = d.handler == Misc.NOP || d.handler == Misc.NOP90 && d.reg == Reg.RAX ? NOP : NONE;
                break;
            default: break;
        }
    }

    private static void classifyMove(DecodedInsn d) {
        switch (d.handler) {
            case Move.MOV_EG:
                set(d, d.memOp ? MOV_STORE : MOV_RR, d.rm, d.reg);
                break;
            case Move.MOV_GE:
                set(d, d.memOp ? MOV_LOAD : MOV_RR, d.reg, d.rm);
                break;
            case Move.MOV_ZI:
                set(d, MOV_RI, d.reg, 0);
                break;
            case Move.LEA:
                if (d.addrSize == d.opSize) {
                    set(d, LEA, d.reg, 0);
                }
                break;
            default: break;
        }
    }

    private static void classifyArith(DecodedInsn d) {
        int op = d.handler & 15;
        int form = d.handler >>> 4;
        boolean plain = op == Arith.ADD || op == Arith.SUB || op == Arith.AND || op == Arith.OR || op == Arith.XOR
                || op == Arith.CMP || op == Arith.TEST;
        if (d.memOp) {
            return;
        }
        if (plain && form == Arith.F_EG) {
            set(d, ALU_RR, d.rm, d.reg);
        } else if (plain && form == Arith.F_GE) {
            set(d, ALU_RR, d.reg, d.rm);
        } else if (plain && form == Arith.F_EI) {
            set(d, ALU_RI, d.rm, 0);
        } else if (form == Arith.F_E && (op == Arith.INC || op == Arith.DEC)) {
            set(d, op == Arith.INC ? INC_R : DEC_R, d.rm, 0);
        }
    }

    /** SHL/SHR/SAR r, imm8 with a non-zero masked count (a zero count changes no flag: general path). */
    private static void classifyShift(DecodedInsn d) {
        int h = d.handler;
        int op = h & 7;
        if (h < ShiftRotate.SHLD_IB && h >>> 3 == ShiftRotate.C_IMM && !d.memOp
                && (op == ShiftRotate.SHL || op == ShiftRotate.SHR || op == ShiftRotate.SAR)) {
            int count = (int) d.imm & (d.opSize == 8 ? 0x3f : 0x1f);
            if (count != 0) {
                set(d, SHIFT_RI, op, count);
            }
        }
    }

    private static void classifyBranch(DecodedInsn d) {
        switch (d.handler) {
            case Branch.JCC: set(d, JCC, d.row.opcode() & 15, 0); break;
            case Branch.JMP_REL: set(d, JMP, 0, 0); break;
            case Branch.CALL_REL: if (d.codeSize == 64 && d.opSize == 8) { set(d, CALL, 0, 0); } break;
            case Branch.RET: if (d.codeSize == 64 && d.opSize == 8) { set(d, RET, 0, 0); } break;
            default: break;
        }
    }

    private static void set(DecodedInsn d, int fast, int a, int b) {
        d.fast = fast;
        d.fastA = a;
        d.fastB = b;
    }

    /**
     * Executes a decoded instruction: the specialised case for its form, or the general handler. Every case
     * is one call so that this method stays small enough for the JIT to inline into the step loop.
     */
    public static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.fast) {
            case MOV_RR: movRr(cpu, d); break;
            case MOV_RI: movRi(cpu, d); break;
            case MOV_LOAD: load(cpu, d); break;
            case MOV_STORE: store(cpu, d); break;
            case LEA: lea(cpu, d); break;
            case ALU_RR: aluRr(cpu, d); break;
            case ALU_RI: aluRi(cpu, d); break;
            case INC_R: case DEC_R: incDec(cpu, d); break;
            case JCC: jcc(cpu, d); break;
            case JMP: cpu.jumpNear(cpu.nextRip + d.imm, d.opSize); break;
            case PUSH_R: push(cpu, d); break;
            case POP_R: pop(cpu, d); break;
            case CALL: call(cpu, d); break;
            case RET: ret(cpu); break;
            case SHIFT_RI: shift(cpu, d); break;
            case IMUL_RR: imul(cpu, d); break;
            case NOP: break;
            default: Exec.execute(cpu, d);
        }
    }

    /** As ShiftRotate's group 2 for a register and a non-zero count, with the same result and flag functions. */
    private static void shift(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        int size = d.opSize;
        int r = d.rm;
        long v = size == 8 ? s.gpr[r] : s.gpr[r] & 0xffffffffL;
        long res = ShiftRotate.result(d.fastA, size, v, d.fastB, 0);
        put(s.gpr, r, size, res);
        s.setOszapc(ShiftRotate.shiftFlags(d.fastA, size, v, d.fastB, res, cpu.vendor()));
    }

    /** IMUL r, r/m with a register source: MulDiv's own computation, without the family dispatch. */
    private static void imul(Cpu cpu, DecodedInsn d) {
        long[] g = cpu.state().gpr;
        MulDiv.imul(cpu, d, g[d.fastA], g[d.fastB]);
    }

    private static void movRi(Cpu cpu, DecodedInsn d) {
        put(cpu.state().gpr, d.fastA, d.opSize, d.imm);
    }

    private static void load(Cpu cpu, DecodedInsn d) {
        put(cpu.state().gpr, d.fastA, d.opSize, cpu.read(d.seg, cpu.ea(d), d.opSize));
    }

    private static void store(Cpu cpu, DecodedInsn d) {
        cpu.write(d.seg, cpu.ea(d), d.opSize, cpu.state().gpr[d.fastB]);
    }

    private static void lea(Cpu cpu, DecodedInsn d) {
        put(cpu.state().gpr, d.fastA, d.opSize, cpu.ea(d));
    }

    private static void push(Cpu cpu, DecodedInsn d) {
        cpu.push(cpu.state().gpr[d.reg], 8);
    }

    private static void pop(Cpu cpu, DecodedInsn d) {
        cpu.state().gpr[d.reg] = cpu.pop(8);
    }

    private static void aluRi(Cpu cpu, DecodedInsn d) {
        alu(cpu.state(), d, d.imm);
    }

    private static void movRr(Cpu cpu, DecodedInsn d) {
        long[] g = cpu.state().gpr;
        put(g, d.fastA, d.opSize, g[d.fastB]);
    }

    private static void aluRr(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        long v = s.gpr[d.fastB];
        alu(s, d, d.opSize == 8 ? v : v & 0xffffffffL);
    }

    private static void jcc(Cpu cpu, DecodedInsn d) {
        if (Branch.cond(cpu.state(), d.fastA)) {
            cpu.jumpNear(cpu.nextRip + d.imm, d.opSize);
        }
    }

    private static void call(Cpu cpu, DecodedInsn d) {
        long ret = cpu.nextRip;
        cpu.jumpNear(ret + d.imm, 8);
        cpu.push(ret, 8);
    }

    /** The return address is checked before RSP changes (SDM Vol. 2B RET). */
    private static void ret(Cpu cpu) {
        cpu.jumpNear(cpu.peek(0, 8), 8);
        cpu.state().gpr[Reg.RSP] += 8;
    }

    /** A 32-bit register write zero-extends (SDM Vol. 1 3.4.1.1). */
    private static void put(long[] g, int r, int size, long v) {
        g[r] = size == 8 ? v : v & 0xffffffffL;
    }

    private static void alu(CpuState s, DecodedInsn d, long src) {
        long[] g = s.gpr;
        int size = d.opSize;
        int r = d.fastA;
        long dst = size == 8 ? g[r] : g[r] & 0xffffffffL;
        long res;
        switch (d.handler & 15) {
            case Arith.ADD: res = dst + src; s.lazy(CpuState.LF_ADD, size, dst, src, res); break;
            case Arith.SUB: res = dst - src; s.lazy(CpuState.LF_SUB, size, dst, src, res); break;
            case Arith.CMP: s.lazy(CpuState.LF_SUB, size, dst, src, dst - src); return;
            case Arith.AND: res = dst & src; s.lazy(CpuState.LF_LOGIC, size, 0, 0, res); break;
            case Arith.TEST: s.lazy(CpuState.LF_LOGIC, size, 0, 0, dst & src); return;
            case Arith.OR: res = dst | src; s.lazy(CpuState.LF_LOGIC, size, 0, 0, res); break;
            default: res = dst ^ src; s.lazy(CpuState.LF_LOGIC, size, 0, 0, res); break;
        }
        put(g, r, size, res);
    }

    private static void incDec(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        long[] g = s.gpr;
        int size = d.opSize;
        int r = d.fastA;
        long dst = size == 8 ? g[r] : g[r] & 0xffffffffL;
        long res;
        if (d.fast == INC_R) {
            res = dst + 1;
            s.lazyIncDec(CpuState.LF_INC, size, dst, res);
        } else {
            res = dst - 1;
            s.lazyIncDec(CpuState.LF_DEC, size, dst, res);
        }
        put(g, r, size, res);
    }
}
