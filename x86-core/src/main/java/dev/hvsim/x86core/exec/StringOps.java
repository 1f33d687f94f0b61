package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * String instructions (SDM Vol. 1 7.3.9; Vol. 2A CMPS/CMPSB/CMPSW/CMPSD/CMPSQ, LODS; Vol. 2B MOVS, SCAS, STOS,
 * REP/REPE/REPZ/REPNE/REPNZ; AMD APM Vol. 3 same pages).
 *
 * <ul>
 *   <li>The address size selects SI/ESI/RSI, DI/EDI/RDI and the count CX/ECX/RCX; updates are written at
 *       that width (a 32-bit update in 64-bit mode zero-extends, a 16-bit one merges).</li>
 *   <li>The source is DS:rSI, overridable; the destination is always ES:rDI (SDM Vol. 2B MOVS).</li>
 *   <li>RFLAGS.DF selects the direction.</li>
 *   <li>REP executes iteration by iteration: rSI/rDI/rCX are updated after each completed iteration, so a
 *       fault mid-way leaves them describing the remaining work and RIP at the instruction, and the
 *       instruction resumes when re-executed (SDM Vol. 2B REP: "interruptible"). A count of zero does nothing
 *       at all. REPE/REPNE end CMPS/SCAS early on ZF. F2 on MOVS/LODS/STOS acts as REP (observed on
 *       hardware; the SDM calls it reserved).</li>
 *   <li>At most {@link #CHUNK} iterations run per step; then RIP stays at the instruction and the next step
 *       continues, as hardware may do to open an interrupt window. With RFLAGS.TF = 1 one iteration runs per
 *       step, so the single-step trap follows each iteration.</li>
 * </ul>
 */
final class StringOps {
    static final int MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4;
    /** Iterations per step before the instruction yields (re-executes) to bound the work of one step. */
    static final int CHUNK = 4096;

    private StringOps() {}

    static void register(OpcodeTable.Builder b) {
        b.row(0, 0xA4, "MOVS Yb,Xb", Family.STRING, MOVS).cost("string").add();
        b.row(0, 0xA5, "MOVS Yv,Xv", Family.STRING, MOVS).cost("string").add();
        b.row(0, 0xA6, "CMPS Xb,Yb", Family.STRING, CMPS).cost("string").add();
        b.row(0, 0xA7, "CMPS Xv,Yv", Family.STRING, CMPS).cost("string").add();
        b.row(0, 0xAA, "STOS Yb,AL", Family.STRING, STOS).cost("string").add();
        b.row(0, 0xAB, "STOS Yv,rAX", Family.STRING, STOS).cost("string").add();
        b.row(0, 0xAC, "LODS AL,Xb", Family.STRING, LODS).cost("string").add();
        b.row(0, 0xAD, "LODS rAX,Xv", Family.STRING, LODS).cost("string").add();
        b.row(0, 0xAE, "SCAS AL,Yb", Family.STRING, SCAS).cost("string").add();
        b.row(0, 0xAF, "SCAS rAX,Yv", Family.STRING, SCAS).cost("string").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        if (d.handler > SCAS) {
            throw ArchFault.ud();
        }
        if (d.rep == 0) {
            once(cpu, d);
            return;
        }
        int as = d.addrSize;
        long count = cpu.gpr(Reg.RCX, as);
        if (count == 0) {
            return;
        }
        boolean compares = d.handler == CMPS || d.handler == SCAS;
        boolean untilEqual = d.rep == 0xF2; // REPNE: stop when ZF = 1; REPE: stop when ZF = 0
        CpuState s = cpu.state();
        int budget = (s.flagsRest & Flags.TF) != 0 ? 1 : CHUNK;
        int done = 0;
        while (true) {
            once(cpu, d);
            count = (count - 1) & Flags.mask(as);
            cpu.setGpr(Reg.RCX, as, count);
            done++;
            if (count == 0 || compares && s.zf() == untilEqual) {
                break;
            }
            if (done == budget) {
                cpu.nextRip = s.rip; // not finished: run this instruction again next step
                break;
            }
        }
        cpu.addCycles((long) (done - 1) * d.cycles);
    }

    /** One iteration at the operand size, then rSI/rDI advance by it (backwards with DF = 1). */
    private static void once(Cpu cpu, DecodedInsn d) {
        int size = d.opSize;
        int as = d.addrSize;
        long step = (cpu.state().flagsRest & Flags.DF) != 0 ? -size : size;
        long si = cpu.gpr(Reg.RSI, as), di = cpu.gpr(Reg.RDI, as);
        switch (d.handler) {
            case MOVS:
                cpu.write(Reg.ES, di, size, cpu.read(Move.dataSeg(d), si, size));
                cpu.setGpr(Reg.RSI, as, si + step);
                cpu.setGpr(Reg.RDI, as, di + step);
                break;
            case CMPS: {
                long src = cpu.read(Move.dataSeg(d), si, size);
                long dst = cpu.read(Reg.ES, di, size);
                Arith.compute(cpu.state(), Arith.CMP, size, src, dst);
                cpu.setGpr(Reg.RSI, as, si + step);
                cpu.setGpr(Reg.RDI, as, di + step);
                break;
            }
            case STOS:
                cpu.write(Reg.ES, di, size, cpu.gpr(Reg.RAX, size));
                cpu.setGpr(Reg.RDI, as, di + step);
                break;
            case LODS:
                cpu.setGpr(Reg.RAX, size, cpu.read(Move.dataSeg(d), si, size));
                cpu.setGpr(Reg.RSI, as, si + step);
                break;
            default: // SCAS
                Arith.compute(cpu.state(), Arith.CMP, size, cpu.gpr(Reg.RAX, size), cpu.read(Reg.ES, di, size));
                cpu.setGpr(Reg.RDI, as, di + step);
        }
    }
}
