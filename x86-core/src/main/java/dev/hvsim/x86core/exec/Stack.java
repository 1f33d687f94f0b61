package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Stack instructions (SDM Vol. 1 6.2-6.5; Vol. 2B PUSH, POP, PUSHA/PUSHAD, POPA/POPAD, PUSHF/PUSHFD/PUSHFQ,
 * POPF/POPFD/POPFQ; Vol. 2A ENTER, LEAVE; AMD APM Vol. 3 same pages). Operand size decides how much is
 * pushed (d64: 64 bits in 64-bit mode, 16 with a 66 prefix), the stack address size (SS.B, or 64) how rSP
 * wraps. Every instruction either completes or faults with rSP and the registers it would change intact.
 * The flags instructions are in {@link StackFlags}.
 */
final class Stack {
    static final int PUSH_Z = 0, POP_Z = 1, PUSH_I = 2, PUSH_E = 3, POP_E = 4, PUSHA = 5, POPA = 6, PUSHF = 7,
            POPF = 8, ENTER = 9, LEAVE = 10;

    private Stack() {}

    static void register(OpcodeTable.Builder b) {
        int d64 = OpcodeRow.A_D64;
        b.rowPlusR(0, 0x50, "PUSH Zv", Family.STACK, PUSH_Z, d64, "stack");
        b.rowPlusR(0, 0x58, "POP Zv", Family.STACK, POP_Z, d64, "stack");
        b.row(0, 0x68, "PUSH Iz", Family.STACK, PUSH_I).attrs(d64).cost("stack").add();
        b.row(0, 0x6A, "PUSH Ibs", Family.STACK, PUSH_I).attrs(d64).cost("stack").add();
        b.row(0, 0xFF, "PUSH Ev", Family.STACK, PUSH_E).reg(6).attrs(d64).cost("stack").add();
        b.row(0, 0x8F, "POP Ev", Family.STACK, POP_E).reg(0).attrs(d64).cost("stack").add();
        b.row(0, 0x60, "PUSHA", Family.STACK, PUSHA).attrs(OpcodeRow.A_I64).cost("stack").add();
        b.row(0, 0x61, "POPA", Family.STACK, POPA).attrs(OpcodeRow.A_I64).cost("stack").add();
        b.row(0, 0x9C, "PUSHF", Family.STACK, PUSHF).attrs(d64).intercept(InterceptPoint.PUSHF).cost("flags").add();
        b.row(0, 0x9D, "POPF", Family.STACK, POPF).attrs(d64).intercept(InterceptPoint.POPF).cost("flags").add();
        b.row(0, 0xC8, "ENTER Iw,Ib", Family.STACK, ENTER).attrs(d64).cost("stack").add();
        b.row(0, 0xC9, "LEAVE", Family.STACK, LEAVE).attrs(d64).cost("stack").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case PUSH_Z: cpu.push(cpu.gpr(d.reg, d.opSize), d.opSize); break; // PUSH rSP pushes the old value
            case POP_Z: popRegister(cpu, d); break;
            case PUSH_I: cpu.push(d.imm, d.opSize); break;
            case PUSH_E: cpu.push(cpu.readE(d), d.opSize); break;
            case POP_E: popE(cpu, d); break;
            case PUSHA: pusha(cpu, d.opSize); break;
            case POPA: popa(cpu, d.opSize); break;
            case PUSHF: StackFlags.pushf(cpu, d.opSize); break;
            case POPF: StackFlags.popf(cpu, d.opSize); break;
            case ENTER: enter(cpu, d); break;
            case LEAVE: leave(cpu, d.opSize); break;
            default: throw ArchFault.ud();
        }
    }

    /** POP r: rSP is incremented first, so POP rSP leaves the popped value in rSP (SDM Vol. 2B POP). */
    private static void popRegister(Cpu cpu, DecodedInsn d) {
        long v = cpu.pop(d.opSize);
        cpu.setGpr(d.reg, d.opSize, v);
    }

    /**
     * POP r/m: "If the ESP register is used as a base register for addressing a destination operand in
     * memory, the POP instruction computes the effective address of the operand after it increments the
     * ESP register" (SDM Vol. 2B POP). A faulting store restores rSP.
     */
    private static void popE(Cpu cpu, DecodedInsn d) {
        if (!d.memOp) {
            cpu.writeReg(d, d.rm, d.opSize, cpu.pop(d.opSize));
            return;
        }
        CpuState s = cpu.state();
        long oldRsp = s.gpr[Reg.RSP];
        long v = cpu.pop(d.opSize);
        try {
            cpu.writeE(d, v);
        } catch (RuntimeException e) {
            s.gpr[Reg.RSP] = oldRsp;
            throw e;
        }
    }

    /**
     * PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI; all eight stores checked first. In real and
     * virtual-8086 mode a slot straddling the SS limit is #GP(0), not #SS (SDM Vol. 2B PUSHA real-address mode
     * exceptions: "#GP If the ESP or SP register contains 7, 9, 11, 13, or 15").
     */
    private static void pusha(Cpu cpu, int size) {
        int sas = cpu.stackAddrSize();
        long mask = Flags.mask(sas);
        long sp = cpu.gpr(Reg.RSP, sas);
        boolean realLike = cpu.realMode() || cpu.v86();
        for (int i = 1; i <= 8; i++) {
            long off = (sp - (long) i * size) & mask;
            if (realLike && off + size - 1 > cpu.state().seg[Reg.SS].limit) {
                throw ArchFault.gp0();
            }
            cpu.probeWrite(cpu.linear(Reg.SS, off, size, Mmu.WRITE), size);
        }
        long origSp = cpu.gpr(Reg.RSP, size);
        for (int r = Reg.RAX; r <= Reg.RDI; r++) {
            long v = r == Reg.RSP ? origSp : cpu.gpr(r, size);
            cpu.write(Reg.SS, (sp - (long) (r + 1) * size) & mask, size, v);
        }
        cpu.setGpr(Reg.RSP, sas, sp - 8L * size);
    }

    /** POPA/POPAD: DI, SI, BP, (SP skipped), BX, DX, CX, AX; all eight loads done before any register changes. */
    private static void popa(Cpu cpu, int size) {
        long di = cpu.peek(0, size), si = cpu.peek(size, size), bp = cpu.peek(2L * size, size);
        long bx = cpu.peek(4L * size, size), dx = cpu.peek(5L * size, size), cx = cpu.peek(6L * size, size);
        long ax = cpu.peek(7L * size, size);
        cpu.peek(3L * size, size); // the skipped SP slot is still read (limit-checked)
        cpu.setGpr(Reg.RDI, size, di);
        cpu.setGpr(Reg.RSI, size, si);
        cpu.setGpr(Reg.RBP, size, bp);
        cpu.setGpr(Reg.RBX, size, bx);
        cpu.setGpr(Reg.RDX, size, dx);
        cpu.setGpr(Reg.RCX, size, cx);
        cpu.setGpr(Reg.RAX, size, ax);
        int sas = cpu.stackAddrSize();
        cpu.setGpr(Reg.RSP, sas, cpu.gpr(Reg.RSP, sas) + 8L * size);
    }

    /**
     * ENTER imm16, imm8 (SDM Vol. 2A ENTER): push rBP, copy level-1 frame pointers from the enclosing frame
     * (read through SS at rBP - i * size, rBP wrapping by stack address size), push the new frame pointer,
     * then rBP = frame, rSP -= imm16. The level is imm8 mod 32. The final rSP is write-checked ("a write
     * using the final value of the stack pointer would cause a page fault"); a fault restores rSP/rBP.
     */
    private static void enter(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        int level = (int) (d.imm2 & 31);
        long alloc = d.imm & 0xffff;
        int sas = cpu.stackAddrSize();
        long mask = Flags.mask(sas);
        CpuState s = cpu.state();
        long oldRsp = s.gpr[Reg.RSP], oldRbp = s.gpr[Reg.RBP];
        try {
            cpu.push(cpu.gpr(Reg.RBP, size), size);
            long frame = cpu.gpr(Reg.RSP, sas);
            long bp = cpu.gpr(Reg.RBP, sas);
            for (int i = 1; i < level; i++) {
                bp = (bp - size) & mask;
                cpu.push(cpu.read(Reg.SS, bp, size), size);
            }
            if (level > 0) {
                cpu.push(frame, size);
            }
            long finalSp = (cpu.gpr(Reg.RSP, sas) - alloc) & mask;
            cpu.probeWrite(cpu.linear(Reg.SS, finalSp, size, Mmu.WRITE), size);
            cpu.setGpr(Reg.RBP, size, frame);
            cpu.setGpr(Reg.RSP, sas, finalSp);
        } catch (RuntimeException e) {
            s.gpr[Reg.RSP] = oldRsp;
            s.gpr[Reg.RBP] = oldRbp;
            throw e;
        }
    }

    /** LEAVE (SDM Vol. 2A): rSP = rBP (stack address size), then rBP = POP(); the load happens first. */
    private static void leave(Cpu cpu, int size) {
        int sas = cpu.stackAddrSize();
        long bp = cpu.gpr(Reg.RBP, sas);
        long v = cpu.read(Reg.SS, bp, size);
        cpu.setGpr(Reg.RSP, sas, bp + size);
        cpu.setGpr(Reg.RBP, size, v);
    }
}
