package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * System instructions: the rows of the whole SYSTEM family and its dispatch; handlers live in
 * {@link DescriptorTables}, {@link ControlRegs}, {@link Msrs}, {@link FastSystemCall} and
 * {@link CacheTlbInsns}. This file implements HLT, CLI and STI.
 *
 * <ul>
 *   <li>SDM Vol. 2A CLI, CLTS, HLT, INVD, INVLPG, INVPCID, LFENCE, LGDT/LIDT, LLDT, LMSW, LTR, LAR, LSL,
 *       ARPL, CLFLUSH(OPT), MFENCE, MONITOR; Vol. 2B MOV CR/DR, MWAIT, RDFSBASE/RDGSBASE, RDMSR, RDPMC,
 *       SFENCE, SGDT, SIDT, SLDT, SMSW, STI, STR, SWAPGS, SYSCALL, SYSENTER, SYSEXIT, SYSRET, VERR/VERW,
 *       WBINVD, WRFSBASE/WRGSBASE, WRMSR; Vol. 2C XGETBV, XSETBV.</li>
 *   <li>SDM Vol. 3A 2.5-2.8 (system registers and instructions), 20.2.5 and 20.3 (IOPL-sensitive
 *       instructions in virtual-8086 mode; VME is not advertised by any profile, so CR4.VME/PVI cannot be
 *       set and the no-VME rules apply).</li>
 *   <li>AMD APM Vol. 2 3.1-3.2, 6.1-6.2, 8.10; Vol. 3 same instruction pages.</li>
 * </ul>
 *
 * <p>Instructions whose own #UD/#GP precede a VM exit (MONITOR/MWAIT at CPL &gt; 0, XSETBV, RDPMC, INVPCID)
 * ask the guest mode from the handler, after those checks, instead of from a row column.
 */
final class SystemInsns {
    static final int HLT = 0, CLI = 1, STI = 2, CLTS = 3, WBINVD = 4, INVD = 5, FENCE = 6, CLFLUSH = 7, MONITOR = 8,
            MWAIT = 9, SWAPGS = 10, RDPMC = 11, INVLPG = 12, INVPCID = 13, XGETBV = 14, XSETBV = 15, RDFSBASE = 16,
            RDGSBASE = 17, WRFSBASE = 18, WRGSBASE = 19, SGDT = 20, SIDT = 21, LGDT = 22, LIDT = 23, SLDT = 24,
            STR = 25, LLDT = 26, LTR = 27, VERR = 28, VERW = 29, LAR = 30, LSL = 31, ARPL = 32, SMSW = 33, LMSW = 34,
            MOV_R_CR = 35, MOV_CR_R = 36, MOV_R_DR = 37, MOV_DR_R = 38, RDMSR = 39, WRMSR = 40, SYSCALL = 41,
            SYSRET = 42, SYSENTER = 43, SYSEXIT = 44;

    private SystemInsns() {}

    static void register(OpcodeTable.Builder b) {
        int sys = Family.SYSTEM;
        int cpl0 = OpcodeRow.A_CPL0;
        int noReal = OpcodeRow.A_NO_REAL;
        b.row(0, 0xF4, "HLT", sys, HLT).attrs(cpl0).intercept(InterceptPoint.HLT).cost("hlt").add();
        b.row(0, 0xFA, "CLI", sys, CLI).cost("flags").add();
        b.row(0, 0xFB, "STI", sys, STI).cost("flags").add();
        b.row(1, 0x06, "CLTS", sys, CLTS).attrs(cpl0).intercept(InterceptPoint.CLTS).cost("cr").add();
        // 0F 01 (Group 7) memory forms, 0F 00 (Group 6)
        b.row(1, 0x01, "SGDT Ms", sys, SGDT).reg(0).mem().intercept(InterceptPoint.SGDT_SIDT).cost("system").add();
        b.row(1, 0x01, "SIDT Ms", sys, SIDT).reg(1).mem().intercept(InterceptPoint.SGDT_SIDT).cost("system").add();
        b.row(1, 0x01, "LGDT Ms", sys, LGDT).reg(2).mem().attrs(cpl0).intercept(InterceptPoint.LGDT_LIDT)
                .cost("system").add();
        b.row(1, 0x01, "LIDT Ms", sys, LIDT).reg(3).mem().attrs(cpl0).intercept(InterceptPoint.LGDT_LIDT)
                .cost("system").add();
        b.row(1, 0x01, "SMSW Ev", sys, SMSW).reg(4).intercept(InterceptPoint.SMSW).cost("cr").add();
        b.row(1, 0x01, "LMSW Ew", sys, LMSW).reg(6).attrs(cpl0).intercept(InterceptPoint.LMSW).cost("cr").add();
        b.row(1, 0x00, "SLDT Ev", sys, SLDT).reg(0).attrs(noReal).intercept(InterceptPoint.SLDT_STR).cost("system").add();
        b.row(1, 0x00, "STR Ev", sys, STR).reg(1).attrs(noReal).intercept(InterceptPoint.SLDT_STR).cost("system").add();
        b.row(1, 0x00, "LLDT Ew", sys, LLDT).reg(2).attrs(noReal | cpl0).intercept(InterceptPoint.LLDT_LTR)
                .cost("system").add();
        b.row(1, 0x00, "LTR Ew", sys, LTR).reg(3).attrs(noReal | cpl0).intercept(InterceptPoint.LLDT_LTR)
                .cost("system").add();
        b.row(1, 0x00, "VERR Ew", sys, VERR).reg(4).attrs(noReal).cost("system").add();
        b.row(1, 0x00, "VERW Ew", sys, VERW).reg(5).attrs(noReal).cost("system").add();
        b.row(1, 0x02, "LAR Gv,Ew", sys, LAR).attrs(noReal).cost("system").add();
        b.row(1, 0x03, "LSL Gv,Ew", sys, LSL).attrs(noReal).cost("system").add();
        b.row(0, 0x63, "ARPL Ew,Gw", sys, ARPL).attrs(noReal | OpcodeRow.A_I64).cost("system").add();
        registerCrDr(b);
        b.row(1, 0x32, "RDMSR", sys, RDMSR).attrs(cpl0).feature(Feature.MSR).intercept(InterceptPoint.RDMSR)
                .cost("msr").add();
        b.row(1, 0x30, "WRMSR", sys, WRMSR).attrs(cpl0).feature(Feature.MSR).intercept(InterceptPoint.WRMSR)
                .cost("msr").add();
        b.row(1, 0x05, "SYSCALL", sys, SYSCALL).feature(Feature.SYSCALL).intercept(InterceptPoint.SYSCALL)
                .cost("syscall").add();
        b.row(1, 0x07, "SYSRET", sys, SYSRET).feature(Feature.SYSCALL).cost("syscall").add();
        b.row(1, 0x34, "SYSENTER", sys, SYSENTER).feature(Feature.SEP).cost("syscall").add();
        b.row(1, 0x35, "SYSEXIT", sys, SYSEXIT).feature(Feature.SEP).cost("syscall").add();
        CacheTlbInsns.register(b);
        SmapPku.register(b);
    }

    /**
     * MOV CR / MOV DR (0F 20-23): ModRM.mod is ignored and r/m always names a register (SDM Vol. 2B MOV
     * control/debug registers). Rows exist for CR0, CR2, CR3, CR4 (CR8 is REX.R + /0), so CR1, CR5-CR7 are #UD at
     * decode, before any intercept.
     */
    private static void registerCrDr(OpcodeTable.Builder b) {
        int sys = Family.SYSTEM;
        int a = OpcodeRow.A_CPL0 | OpcodeRow.A_SIZE_NATIVE | OpcodeRow.A_MOD_IGNORED;
        for (int cr : new int[] {0, 2, 3, 4}) {
            b.row(1, 0x20, "MOV Rv,Cv", sys, MOV_R_CR).reg(cr).attrs(a).intercept(InterceptPoint.MOV_CR).cost("cr").add();
            b.row(1, 0x22, "MOV Cv,Rv", sys, MOV_CR_R).reg(cr).attrs(a).intercept(InterceptPoint.MOV_CR).cost("cr").add();
        }
        b.row(1, 0x21, "MOV Rv,Dv", sys, MOV_R_DR).attrs(a).intercept(InterceptPoint.MOV_DR).cost("cr").add();
        b.row(1, 0x23, "MOV Dv,Rv", sys, MOV_DR_R).attrs(a).intercept(InterceptPoint.MOV_DR).cost("cr").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        int h = d.handler;
        if (h >= SmapPku.CLAC) {
            SmapPku.execute(cpu, d);
            return;
        }
        if (h >= SGDT) {
            executeTables(cpu, d);
            return;
        }
        switch (h) {
            case HLT:
                cpu.state().halted = true;
                cpu.signalEvent();
                break;
            case CLI: cli(cpu); break;
            case STI: sti(cpu); break;
            case CLTS: DescriptorTables.clts(cpu); break;
            default: CacheTlbInsns.execute(cpu, d);
        }
    }

    private static void executeTables(Cpu cpu, DecodedInsn d) {
        switch (d.handler) {
            case SGDT: DescriptorTables.store(cpu, d, false); break;
            case SIDT: DescriptorTables.store(cpu, d, true); break;
            case LGDT: DescriptorTables.load(cpu, d, false); break;
            case LIDT: DescriptorTables.load(cpu, d, true); break;
            case SLDT: DescriptorTables.sldt(cpu, d); break;
            case STR: DescriptorTables.str(cpu, d); break;
            case LLDT: DescriptorTables.lldt(cpu, d); break;
            case LTR: DescriptorTables.ltr(cpu, d); break;
            case VERR: DescriptorTables.verify(cpu, d, false); break;
            case VERW: DescriptorTables.verify(cpu, d, true); break;
            case LAR: DescriptorTables.larLsl(cpu, d, false); break;
            case LSL: DescriptorTables.larLsl(cpu, d, true); break;
            case ARPL: DescriptorTables.arpl(cpu, d); break;
            case SMSW: DescriptorTables.smsw(cpu, d); break;
            case LMSW: DescriptorTables.lmsw(cpu, d); break;
            case MOV_R_CR: ControlRegs.movFromCr(cpu, d); break;
            case MOV_CR_R: ControlRegs.movToCr(cpu, d); break;
            case MOV_R_DR: ControlRegs.movFromDr(cpu, d); break;
            case MOV_DR_R: ControlRegs.movToDr(cpu, d); break;
            case RDMSR: Msrs.rdmsr(cpu, d); break;
            case WRMSR: Msrs.wrmsr(cpu, d); break;
            case SYSCALL: FastSystemCall.syscall(cpu, d); break;
            case SYSRET: FastSystemCall.sysret(cpu, d); break;
            case SYSENTER: FastSystemCall.sysenter(cpu, d); break;
            case SYSEXIT: FastSystemCall.sysexit(cpu, d); break;
            default: throw ArchFault.ud();
        }
    }

    /**
     * CLI / STI are IOPL-sensitive: #GP(0) when CPL &gt; IOPL in protected mode and in virtual-8086 mode
     * with IOPL &lt; 3 (SDM Vol. 2A CLI, Vol. 2B STI, Tables 3-7/4-19 without VME/PVI).
     */
    private static void iopl(Cpu cpu) {
        if (cpu.protectedMode() && cpu.cpl() > cpu.state().iopl()) {
            throw ArchFault.gp0();
        }
    }

    private static void cli(Cpu cpu) {
        iopl(cpu);
        cpu.state().flagsRest &= ~Flags.IF;
    }

    /** STI sets the one-instruction interrupt shadow only when IF was 0 (SDM Vol. 3A 6.8.3). */
    private static void sti(Cpu cpu) {
        iopl(cpu);
        if ((cpu.state().flagsRest & Flags.IF) == 0) {
            cpu.beginStiShadow();
        }
        cpu.state().flagsRest |= Flags.IF;
        cpu.signalEvent();
    }
}
