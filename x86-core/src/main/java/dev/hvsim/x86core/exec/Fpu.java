package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * The x87/SSE state area only: FWAIT, FNINIT, FNCLEX, FNOP, FNSTSW, FNSTCW, FLDCW, FXSAVE, FXRSTOR,
 * XSAVE, XRSTOR (SDM Vol. 2A FCLEX, FINIT, FLDCW, FNOP, FSTCW, FSTSW, FWAIT, FXRSTOR, FXSAVE; Vol. 2C
 * XRSTOR, XSAVE; Vol. 1 8.1 (x87 state), 10.5.1 (FXSAVE area, Tables 10-2 and 10-3), 10.2.3 (MXCSR),
 * ch. 13 (XSAVE); Vol. 3A 2.5 Table 2-2 (CR0.EM/MP/TS: #NM and #UD); AMD APM Vol. 5 (x87), Vol. 4
 * FXSAVE/FXRSTOR). FXSAVE/FXRSTOR are in {@link FxState}, XSAVE/XRSTOR in {@link XSave}.
 *
 * <p>Every other x87 opcode (D8-DF) takes #NM when CR0.EM or CR0.TS is set and is otherwise #UD: x87
 * arithmetic is not modelled (DEVIATIONS.md). The TOP field stays 0, so ST(i) is physical register i.
 */
final class Fpu {
    static final int ESC = 0, FWAIT = 1, FNINIT = 2, FNCLEX = 3, FNOP = 4, FNSTSW_AX = 5, FNSTSW_M = 6, FNSTCW = 7,
            FLDCW = 8, FXSAVE = 9, FXRSTOR = 10, XSAVE = 11, XRSTOR = 12;
    /** MXCSR bits this model supports (MXCSR_MASK, SDM Vol. 1 11.6.6): all of 15:0 including DAZ. */
    static final int MXCSR_MASK = 0xffff;
    private static final int FSW_ES = 0x80, FSW_B = 0x8000;

    private Fpu() {}

    static void register(OpcodeTable.Builder b) {
        int f = Family.FPU;
        for (int op = 0xD8; op <= 0xDF; op++) {
            b.row(0, op, "ESC Ev", f, ESC).cost("fpu").add(); // least specific: every unimplemented x87 form
        }
        b.row(0, 0x9B, "FWAIT", f, FWAIT).cost("fpu").add();
        b.row(0, 0xDB, "FNINIT", f, FNINIT).reg(4).rm(3).cost("fpu").add();
        b.row(0, 0xDB, "FNCLEX", f, FNCLEX).reg(4).rm(2).cost("fpu").add();
        b.row(0, 0xD9, "FNOP", f, FNOP).reg(2).rm(0).cost("fpu").add();
        b.row(0, 0xDF, "FNSTSW AX", f, FNSTSW_AX).reg(4).rm(0).cost("fpu").add();
        b.row(0, 0xDD, "FNSTSW Mw", f, FNSTSW_M).reg(7).cost("fpu").add();
        b.row(0, 0xD9, "FNSTCW Mw", f, FNSTCW).reg(7).cost("fpu").add();
        b.row(0, 0xD9, "FLDCW Mw", f, FLDCW).reg(5).cost("fpu").add();
        b.row(1, 0xAE, "FXSAVE M", f, FXSAVE).reg(0).prefix(OpcodeRow.NONE).feature(Feature.FXSR).cost("fxsave").add();
        b.row(1, 0xAE, "FXRSTOR M", f, FXRSTOR).reg(1).prefix(OpcodeRow.NONE).feature(Feature.FXSR).cost("fxsave").add();
        // XSAVEOPT (/6), XSAVEC, XSAVES and XRSTORS have no rows: CPUID.(EAX=0DH,ECX=1):EAX = 0, so they are #UD
        b.row(1, 0xAE, "XSAVE M", f, XSAVE).reg(4).mem().prefix(OpcodeRow.NONE).feature(Feature.XSAVE).cost("fxsave").add();
        b.row(1, 0xAE, "XRSTOR M", f, XRSTOR).reg(5).mem().prefix(OpcodeRow.NONE).feature(Feature.XSAVE).cost("fxsave").add();
    }

    static void execute(Cpu cpu, DecodedInsn d) {
        CpuState s = cpu.state();
        if (d.handler == FWAIT) {
            fwait(cpu);
            return;
        }
        if (d.handler == FXSAVE || d.handler == FXRSTOR) {
            FxState.execute(cpu, d);
            return;
        }
        if (d.handler == XSAVE || d.handler == XRSTOR) {
            XSave.execute(cpu, d);
            return;
        }
        if (cpu.cr0(Cpu.CR0_EM) || cpu.cr0(Cpu.CR0_TS)) {
            throw ArchFault.of(Vectors.NM); // Table 2-2: any x87 instruction
        }
        switch (d.handler) {
            case FNINIT: fninit(s); break;
            case FNCLEX: s.fsw &= ~(0xff | FSW_B); break;
            case FNOP: break;
            case FNSTSW_AX: cpu.setGpr(Reg.RAX, 2, s.fsw); break;
            case FNSTSW_M: cpu.write(d.seg, cpu.ea(d), 2, s.fsw); break;
            case FNSTCW: cpu.write(d.seg, cpu.ea(d), 2, s.fcw); break;
            case FLDCW: fldcw(s, (int) cpu.read(d.seg, cpu.ea(d), 2)); break;
            default: throw ArchFault.ud(); // x87 arithmetic is not modelled
        }
    }

    /** FNINIT: the x87 control/status/tag/pointer registers to their initial values; ST0-7 are kept. */
    static void fninit(CpuState s) {
        s.fcw = CpuState.FCW_INIT;
        s.fsw = 0;
        s.ftwAbridged = 0;
        s.fop = 0; s.fip = 0; s.fdp = 0; s.fcs = 0; s.fds = 0;
    }

    /** FLDCW: reserved bits 15:13 and 7:6 read as 0 except bit 6 which reads 1; unmasking a pending
     * exception sets ES/B so the next waiting instruction reports it (SDM Vol. 1 8.1.5, 8.6). */
    static void fldcw(CpuState s, int v) {
        s.fcw = (v & 0x1f3f) | 0x40;
        summary(s);
    }

    /** FSW.ES and FSW.B follow the unmasked pending exceptions. */
    static void summary(CpuState s) {
        if ((s.fsw & 0x3f & ~s.fcw) != 0) {
            s.fsw |= FSW_ES | FSW_B;
        } else {
            s.fsw &= ~(FSW_ES | FSW_B);
        }
    }

    /**
     * FWAIT: #NM when CR0.MP and CR0.TS are both set (Table 2-2); a pending unmasked x87 exception is
     * #MF with CR0.NE = 1 (with NE = 0 the external FERR# path is not modelled: nothing happens).
     */
    private static void fwait(Cpu cpu) {
        if (cpu.cr0(Cpu.CR0_MP) && cpu.cr0(Cpu.CR0_TS)) {
            throw ArchFault.of(Vectors.NM);
        }
        if ((cpu.state().fsw & FSW_ES) != 0 && cpu.cr0(Cpu.CR0_NE)) {
            throw ArchFault.of(Vectors.MF);
        }
    }

    /** Linear address of a 16-byte aligned, 512-byte state area with its segment checks. */
    static long area(Cpu cpu, DecodedInsn d, int access) {
        return area(cpu, d, access, 512, 16);
    }

    /** Linear address of a {@code size}-byte state area with its segment checks; #GP(0) unless aligned. */
    static long area(Cpu cpu, DecodedInsn d, int access, int size, int align) {
        long lin = cpu.linear(d.seg, cpu.ea(d), size, access);
        if ((lin & (align - 1)) != 0) {
            throw ArchFault.gp0();
        }
        return lin;
    }
}
