package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * SYSCALL, SYSRET, SYSENTER, SYSEXIT (SDM Vol. 2B pages of the same names; Vol. 3A 5.8.7 and 5.8.8;
 * AMD APM Vol. 2 6.1 "Fast System Call and Return", Vol. 3 SYSCALL/SYSRET/SYSENTER/SYSEXIT).
 *
 * <p>Vendor differences modelled (DEVIATIONS.md): Intel supports SYSCALL/SYSRET only in 64-bit mode
 * (#UD elsewhere), AMD also in legacy and compatibility mode (CSTAR target); Intel SYSRET to a
 * non-canonical RCX raises #GP(0) at CPL 0, AMD loads it and faults at CPL 3 on the fetch; AMD SYSRET
 * leaves the SS descriptor cache unchanged apart from the selector; AMD treats SYSENTER/SYSEXIT as
 * invalid (#UD) in long mode.
 */
final class FastSystemCall {
    private static final int CODE = 0x9b | Segment.ATTR_G, DATA = 0x93 | Segment.ATTR_G | Segment.ATTR_DB;
    /** RFLAGS bits SYSRET restores from R11 (SDM Vol. 2B SYSRET: R11 AND 3C7FD7H). */
    private static final long SYSRET_FLAGS = 0x3c7fd7L;

    private FastSystemCall() {}

    private static boolean intel(Cpu cpu) {
        return cpu.vendor() == Vendor.INTEL;
    }

    private static void flatCs(Cpu cpu, int sel, boolean long64, int dpl) {
        int attr = CODE | dpl << 5 | (long64 ? Segment.ATTR_L : Segment.ATTR_DB);
        cpu.state().seg[Reg.CS].set(sel, 0, 0xffffffffL, attr);
    }

    private static void flatSs(Cpu cpu, int sel, int dpl) {
        cpu.state().seg[Reg.SS].set(sel, 0, 0xffffffffL, DATA | dpl << 5);
    }

    /** SYSCALL (0F 05). */
    static void syscall(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        if ((s.efer & Cpu.EFER_SCE) == 0 || intel(cpu) && !cpu.mode64()) {
            throw ArchFault.ud();
        }
        long star = s.msr(Msr.IA32_STAR);
        int cs = (int) (star >>> 32) & 0xfffc;
        long rflags = s.rflags();
        long target;
        if (cpu.longMode()) {
            s.gpr[Reg.RCX] = cpu.nextRip;
            s.gpr[Reg.R11] = rflags;
            target = s.msr(cpu.mode64() ? Msr.IA32_LSTAR : Msr.IA32_CSTAR);
            s.setRflags(rflags & ~s.msr(Msr.IA32_FMASK) & ~Flags.RF);
        } else {
            cpu.setGpr(Reg.RCX, 4, cpu.nextRip); // AMD legacy mode: ECX = EIP, EIP = STAR[31:0]
            target = star & 0xffffffffL;
            s.setRflags(rflags & ~(Flags.IF | Flags.VM | Flags.RF));
        }
        flatCs(cpu, cs, cpu.longMode(), 0);
        flatSs(cpu, cs + 8, 0);
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.nextRip = target;
    }

    /** SYSRET (0F 07; REX.W 0F 07 returns to 64-bit mode). */
    static void sysret(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        if ((s.efer & Cpu.EFER_SCE) == 0 || intel(cpu) && !cpu.mode64()) {
            throw ArchFault.ud();
        }
        if (!cpu.protectedMode() || cpu.cpl() != 0) {
            throw ArchFault.gp0();
        }
        int base = (int) (s.msr(Msr.IA32_STAR) >>> 48) & 0xffff;
        long target;
        boolean to64 = cpu.longMode() && d.opSize == 8;
        if (to64) {
            target = s.gpr[Reg.RCX];
            if (intel(cpu) && !cpu.canonical(target)) {
                throw ArchFault.gp0();
            }
        } else {
            target = s.gpr[Reg.RCX] & 0xffffffffL;
        }
        if (cpu.longMode()) {
            s.setRflags((s.gpr[Reg.R11] & SYSRET_FLAGS) | Flags.FIXED1);
        } else {
            s.flagsRest |= Flags.IF; // AMD legacy mode: only IF changes
        }
        flatCs(cpu, ((to64 ? base + 16 : base) | 3) & 0xffff, to64, 3);
        int ss = ((base + 8) | 3) & 0xffff;
        if (intel(cpu)) {
            flatSs(cpu, ss, 3);
        } else {
            s.seg[Reg.SS].selector = ss;
        }
        cpu.setCpl(3);
        cpu.modeChanged();
        cpu.signalEvent();
        cpu.nextRip = target;
    }

    /** SYSENTER (0F 34). */
    static void sysenter(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        if (!intel(cpu) && cpu.longMode()) {
            throw ArchFault.ud();
        }
        int cs = (int) s.msr(Msr.IA32_SYSENTER_CS) & 0xfffc;
        if (cpu.realMode() || cs == 0) {
            throw ArchFault.gp0();
        }
        boolean lm = cpu.longMode();
        s.setRflags(s.rflags() & ~(Flags.VM | Flags.IF | Flags.RF));
        flatCs(cpu, cs, lm, 0);
        flatSs(cpu, cs + 8, 0);
        long esp = s.msr(Msr.IA32_SYSENTER_ESP), eip = s.msr(Msr.IA32_SYSENTER_EIP);
        s.gpr[Reg.RSP] = lm ? esp : esp & 0xffffffffL;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.nextRip = lm ? eip : eip & 0xffffffffL;
    }

    /** SYSEXIT (0F 35; REX.W 0F 35 returns to 64-bit mode). */
    static void sysexit(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        if (!intel(cpu) && cpu.longMode()) {
            throw ArchFault.ud();
        }
        int cs = (int) s.msr(Msr.IA32_SYSENTER_CS) & 0xfffc;
        if (cpu.realMode() || cpu.cpl() != 0 || cs == 0) {
            throw ArchFault.gp0();
        }
        boolean to64 = d.opSize == 8;
        long rip, rsp;
        if (to64) {
            rip = s.gpr[Reg.RDX];
            rsp = s.gpr[Reg.RCX];
            if (!cpu.canonical(rip) || !cpu.canonical(rsp)) {
                throw ArchFault.gp0();
            }
        } else {
            rip = s.gpr[Reg.RDX] & 0xffffffffL;
            rsp = s.gpr[Reg.RCX] & 0xffffffffL;
        }
        flatCs(cpu, ((cs + (to64 ? 32 : 16)) | 3) & 0xffff, to64, 3);
        flatSs(cpu, ((cs + (to64 ? 40 : 24)) | 3) & 0xffff, 3);
        s.gpr[Reg.RSP] = rsp;
        cpu.setCpl(3);
        cpu.modeChanged();
        cpu.nextRip = rip;
    }
}
