package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.GuestMode;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segmentation;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.TripleFault;

/**
 * Far RET and IRET/IRETD/IRETQ (SDM Vol. 2B RET "far return" and IRET pseudo-code; Vol. 3A 5.8.6
 * returning from a called procedure, 6.7.1 NMI unblocking, 6.14.3 IRET in IA-32e mode, 20.3 leaving and
 * entering virtual-8086 mode; AMD APM Vol. 2 4.11.5, 8.7.5). IRET with NT = 1 is a task return: not
 * modelled outside IA-32e mode (shutdown naming the feature), #GP(0) inside it (DEVIATIONS.md).
 *
 * <p>All values are peeked and checked before anything is committed, so a fault leaves RSP, CS, SS and
 * RFLAGS unchanged.
 */
final class FarReturn {
    private FarReturn() {}

    // ------------------------------------------------------------------ RET far

    /** RET far (CB) and RET far imm16 (CA). */
    static void ret(Cpu cpu, int opSize, int imm) {
        long ip = cpu.peek(0, opSize);
        int cs = (int) cpu.peek(opSize, opSize) & 0xffff;
        int sas = cpu.stackAddrSize();
        if (!cpu.protectedMode() || cpu.v86()) {
            long target = realTarget(cpu, ip, opSize);
            cpu.segmentation().loadRealCs(cs);
            addSp(cpu, sas, 2L * opSize + imm);
            cpu.nextRip = target;
            return;
        }
        long desc = TransferChecks.returnCode(cpu, cs);
        int attr = Segmentation.attr(desc);
        int rpl = cs & 3;
        long target = TransferChecks.target(cpu, truncate(ip, opSize), attr, Segmentation.limit(desc));
        if (rpl == cpu.cpl()) {
            cpu.segmentation().loadCs(cs, desc, rpl);
            addSp(cpu, sas, 2L * opSize + imm);
            cpu.nextRip = target;
            return;
        }
        // RETURN-TO-OUTER-PRIVILEGE-LEVEL: skip the parameters, pop SS:eSP, release parameters again
        long off = 2L * opSize + imm;
        long newSp = cpu.peek(off, opSize);
        int ss = (int) cpu.peek(off + opSize, opSize) & 0xffff;
        long ssDesc = TransferChecks.returnSs(cpu, ss, rpl, TransferChecks.is64(cpu, attr));
        cpu.segmentation().loadCs(cs, desc, rpl);
        loadSs(cpu, ss, ssDesc);
        cpu.setGpr(Reg.RSP, cpu.stackAddrSize(), newSp + imm);
        cpu.segmentation().nullInaccessibleDataSegments(rpl);
        cpu.nextRip = target;
    }

    private static long truncate(long ip, int opSize) {
        return opSize == 2 ? ip & 0xffff : opSize == 4 ? ip & 0xffffffffL : ip;
    }

    private static long realTarget(Cpu cpu, long ip, int opSize) {
        long target = truncate(ip, opSize);
        if (Long.compareUnsigned(target, cpu.state().seg[Reg.CS].limit) > 0) {
            throw ArchFault.gp0();
        }
        return target;
    }

    private static void addSp(Cpu cpu, int sas, long n) {
        cpu.setGpr(Reg.RSP, sas, cpu.state().gpr[Reg.RSP] + n);
    }

    private static void loadSs(Cpu cpu, int ss, long ssDesc) {
        if ((ss & 0xfffc) == 0) {
            cpu.segmentation().loadNullSs(ss);
        } else {
            cpu.segmentation().loadSs(ss, ssDesc);
        }
    }

    // ------------------------------------------------------------------ IRET

    /** IRET / IRETD / IRETQ (CF) by mode. */
    static void iret(Cpu cpu, int opSize) {
        // SDM Vol. 3A 6.7.1: IRET unblocks NMIs even if the instruction faults (a guest mode may say otherwise).
        if (!cpu.guestMode().active() || cpu.guestMode().iretUnblocksNmis(cpu)) {
            cpu.state().nmiBlocked = false;
        }
        if (cpu.realMode()) {
            iretReal(cpu, opSize);
        } else if (cpu.v86()) {
            iretV86(cpu, opSize);
        } else if (cpu.longMode()) {
            iretLong(cpu, opSize);
        } else {
            iretProtected(cpu, opSize);
        }
        cpu.signalEvent();
    }

    /** Real-address mode: pop IP, CS, FLAGS; a 32-bit pop keeps VM, VIF, VIP (mask 257FD5H). */
    private static void iretReal(Cpu cpu, int sz) {
        CpuState s = cpu.state();
        long ip = cpu.peek(0, sz);
        int cs = (int) cpu.peek(sz, sz) & 0xffff;
        long fl = cpu.peek(2L * sz, sz);
        long target = realTarget(cpu, ip, sz);
        long old = s.rflags();
        long nf = sz == 2 ? (old & ~0xffffL) | (fl & 0xffff) : (fl & 0x257fd5L) | (old & 0x1a0000L);
        int sas = cpu.stackAddrSize();
        cpu.segmentation().loadRealCs(cs);
        addSp(cpu, sas, 3L * sz);
        s.setRflags(nf);
        cpu.nextRip = target;
    }

    /**
     * Virtual-8086 mode without VME: #GP(0) unless IOPL = 3; VM, IOPL, VIP and VIF are kept (SDM Vol. 2B
     * IRET "RETURN-FROM-VIRTUAL-8086-MODE", Vol. 3A 20.2.7).
     */
    private static void iretV86(Cpu cpu, int sz) {
        CpuState s = cpu.state();
        if (s.iopl() < 3) {
            throw ArchFault.gp0();
        }
        long ip = cpu.peek(0, sz);
        int cs = (int) cpu.peek(sz, sz) & 0xffff;
        long fl = cpu.peek(2L * sz, sz);
        long target = realTarget(cpu, ip, sz);
        long old = s.rflags();
        long keep = Flags.VM | Flags.IOPL | Flags.VIP | Flags.VIF;
        long nf = sz == 2 ? (old & ~0xffffL) | (fl & 0xffff & ~Flags.IOPL) | (old & Flags.IOPL)
                : (fl & ~keep) | (old & keep);
        int sas = cpu.stackAddrSize();
        cpu.segmentation().loadRealCs(cs);
        addSp(cpu, sas, 3L * sz);
        s.setRflags(nf);
        cpu.nextRip = target;
    }

    /** Legacy protected mode (IA32_EFER.LMA = 0). */
    private static void iretProtected(Cpu cpu, int sz) {
        CpuState s = cpu.state();
        if ((s.flagsRest & Flags.NT) != 0) {
            if (cpu.guestMode().active()) { // a guest mode may exit before the task return (VMX reason 9)
                cpu.guestMode().interceptTaskSwitch((int) cpu.readSystem(s.tr.base, 2) & 0xffff,
                        GuestMode.TASK_SWITCH_IRET, cpu);
            }
            throw new TripleFault("IRET with RFLAGS.NT = 1 (task return): hardware task switching is not modelled");
        }
        long ip = cpu.peek(0, sz);
        int cs = (int) cpu.peek(sz, sz) & 0xffff;
        long fl = cpu.peek(2L * sz, sz);
        if ((fl & Flags.VM) != 0 && cpu.cpl() == 0 && sz == 4) {
            returnToV86(cpu, ip, cs, fl);
            return;
        }
        long desc = TransferChecks.returnCode(cpu, cs);
        int attr = Segmentation.attr(desc);
        int rpl = cs & 3;
        long target = TransferChecks.target(cpu, truncate(ip, sz), attr, Segmentation.limit(desc));
        long nf = TransferChecks.mergeFlags(s.rflags(), fl, sz, cpu.cpl(), s.iopl());
        if (sz == 2) {
            nf = (s.rflags() & ~0xffffL) | (nf & 0xffff);
        }
        int sas = cpu.stackAddrSize();
        if (rpl == cpu.cpl()) {
            cpu.segmentation().loadCs(cs, desc, rpl);
            addSp(cpu, sas, 3L * sz);
            s.setRflags(nf);
            cpu.nextRip = target;
            return;
        }
        long newSp = cpu.peek(3L * sz, sz);
        int ss = (int) cpu.peek(4L * sz, sz) & 0xffff;
        long ssDesc = TransferChecks.returnSs(cpu, ss, rpl, false);
        cpu.segmentation().loadCs(cs, desc, rpl);
        loadSs(cpu, ss, ssDesc);
        cpu.setGpr(Reg.RSP, cpu.stackAddrSize(), newSp);
        s.setRflags(nf);
        cpu.segmentation().nullInaccessibleDataSegments(rpl);
        cpu.nextRip = target;
    }

    /**
     * RETURN-TO-VIRTUAL-8086-MODE (SDM Vol. 2B IRET; Vol. 3A 20.2.1, Figure 20-2 read backwards): from
     * CPL 0 with a 32-bit operand, pop EIP, CS, EFLAGS (VM = 1), ESP, SS, ES, DS, FS, GS; every segment
     * is loaded the 8086 way; CPL becomes 3.
     */
    private static void returnToV86(Cpu cpu, long ip, int cs, long fl) {
        CpuState s = cpu.state();
        long esp = cpu.peek(12, 4);
        int[] sel = new int[6];
        sel[Reg.CS] = cs;
        sel[Reg.SS] = (int) cpu.peek(16, 4) & 0xffff;
        sel[Reg.ES] = (int) cpu.peek(20, 4) & 0xffff;
        sel[Reg.DS] = (int) cpu.peek(24, 4) & 0xffff;
        sel[Reg.FS] = (int) cpu.peek(28, 4) & 0xffff;
        sel[Reg.GS] = (int) cpu.peek(32, 4) & 0xffff;
        if ((ip & 0xffffffffL) > 0xffff) {
            throw ArchFault.gp0();
        }
        s.setRflags(fl);
        for (int r = Reg.ES; r <= Reg.GS; r++) {
            s.seg[r].set(sel[r], (long) sel[r] << 4, 0xffff, r == Reg.CS ? 0xfb : 0xf3);
        }
        s.gpr[Reg.RSP] = esp & 0xffffffffL;
        cpu.setCpl(3);
        cpu.modeChanged();
        cpu.nextRip = ip & 0xffff;
    }

    /**
     * IA-32e mode (SDM Vol. 2B IRET "IA-32e-MODE", Vol. 3A 6.14.3): NT = 1 is #GP(0); in 64-bit mode
     * SS:RSP is always popped, in compatibility mode only on a privilege change; VM is never set.
     */
    private static void iretLong(Cpu cpu, int sz) {
        CpuState s = cpu.state();
        if ((s.flagsRest & Flags.NT) != 0) {
            throw ArchFault.gp0();
        }
        long ip = cpu.peek(0, sz);
        int cs = (int) cpu.peek(sz, sz) & 0xffff;
        long fl = cpu.peek(2L * sz, sz);
        long desc = TransferChecks.returnCode(cpu, cs);
        int attr = Segmentation.attr(desc);
        int rpl = cs & 3;
        boolean to64 = TransferChecks.is64(cpu, attr);
        long target = TransferChecks.target(cpu, to64 ? ip : truncate(ip, sz), attr, Segmentation.limit(desc));
        boolean popSs = cpu.mode64() || rpl > cpu.cpl();
        long newSp = 0;
        int ss = 0;
        long ssDesc = 0;
        if (popSs) {
            newSp = cpu.peek(3L * sz, sz);
            ss = (int) cpu.peek(4L * sz, sz) & 0xffff;
            ssDesc = TransferChecks.returnSs(cpu, ss, rpl, to64);
        }
        long nf = TransferChecks.mergeFlags(s.rflags(), fl, sz, cpu.cpl(), s.iopl()) & ~Flags.VM;
        if (sz == 2) {
            nf = (s.rflags() & ~0xffffL) | (nf & 0xffff);
        }
        int sas = cpu.stackAddrSize();
        boolean outer = rpl > cpu.cpl();
        cpu.segmentation().loadCs(cs, desc, rpl);
        if (popSs) {
            loadSs(cpu, ss, ssDesc);
            cpu.setGpr(Reg.RSP, cpu.stackAddrSize(), newSp);
        } else {
            addSp(cpu, sas, 3L * sz);
        }
        s.setRflags(nf);
        if (outer) {
            cpu.segmentation().nullInaccessibleDataSegments(rpl);
        }
        cpu.nextRip = target;
    }
}
