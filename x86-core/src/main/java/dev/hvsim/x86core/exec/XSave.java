package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;
import java.util.Arrays;

/**
 * XSAVE / XRSTOR and their REX.W forms XSAVE64 / XRSTOR64, standard (non-compacted) format only (SDM
 * Vol. 2C XSAVE, XRSTOR; Vol. 1 13.4 (XSAVE area: legacy region 0-511 in FXSAVE layout, header at 512
 * with XSTATE_BV at 512 and XCOMP_BV at 520), 13.5.1-13.5.2 (x87 and SSE state), 13.6 (initial
 * configurations), 13.7 (XSAVE), 13.8.1 (standard form of XRSTOR)).
 *
 * <p>The state components are those the profiles report in CPUID.(EAX=0DH,ECX=0):EAX: bit 0 x87 and bit 1
 * SSE, both in the legacy region, so the area is 576 bytes (EBX = ECX = 240H). The requested-feature
 * bitmap is RFBM = XCR0 AND EDX:EAX.
 *
 * <ul>
 *   <li>Common faults, in priority order: #UD with a LOCK/66/F2/F3 prefix (decoder) or CR4.OSXSAVE = 0;
 *       #NM with CR0.TS = 1 (CR0.EM is not checked); segment/canonical #GP(0)/#SS(0) for the 576-byte area;
 *       #GP(0) unless the linear address is 64-byte aligned; #PF before any state or memory changes.</li>
 *   <li>XSAVE stores the x87 part of the legacy region when RFBM[0], the XMM registers and MXCSR/MXCSR_MASK
 *       when RFBM[1] (RFBM[2], AVX, cannot be set), and XSTATE_BV &larr; (XSTATE_BV AND NOT RFBM) OR
 *       (XINUSE AND RFBM). XINUSE is not tracked: every component is reported in use (XINUSE = all ones),
 *       which SDM 13.6 permits ("a processor may ... set XINUSE[i] to 1 at any time"), so XSAVE sets every
 *       RFBM bit. No other header byte and no byte of the legacy region outside the requested parts is
 *       written.</li>
 *   <li>XRSTOR: #GP(0) when XCOMP_BV[63] = 1 (compacted form; CPUID.(EAX=0DH,ECX=1):EAX.XSAVEC = 0), when
 *       XSTATE_BV sets a bit that XCR0 clears, when header bytes 23:8 (area bytes 520-535) are not all 0,
 *       and when RFBM[1] = 1 and the MXCSR image sets a bit outside MXCSR_MASK. Header bytes 63:24 are not
 *       checked by the standard form (SDM Vol. 2C XRSTOR exceptions). Then for each RFBM component: load
 *       from the area when its XSTATE_BV bit is 1, otherwise its initial configuration; MXCSR is loaded
 *       from the area whenever RFBM[1] = 1, regardless of XSTATE_BV[1] (SDM 13.8.1).</li>
 * </ul>
 *
 * <p>XSAVEOPT, XSAVEC, XSAVES and XRSTORS are not implemented and have no opcode rows (#UD); CPUID
 * (EAX=0DH,ECX=1):EAX reports 0 for all of them.
 */
final class XSave {
    /** State-component bits of XCR0 / XSTATE_BV (SDM Vol. 1 13.1). */
    static final long X87 = 1, SSE = 2;
    /** Standard-format area size for x87 + SSE: legacy region plus header (CPUID.(EAX=0DH,ECX=0):EBX). */
    static final int AREA_SIZE = 576;
    static final int XSTATE_BV = 512, XCOMP_BV = 520, HEADER_RESERVED = 528;
    private static final long COMPACTED = 1L << 63;

    private XSave() {}

    static void execute(Cpu cpu, DecodedInsn d) {
        if (!cpu.cr4(Cpu.CR4_OSXSAVE)) {
            throw ArchFault.ud();
        }
        if (cpu.cr0(Cpu.CR0_TS)) {
            throw ArchFault.of(Vectors.NM);
        }
        long rfbm = cpu.state().xcr0 & (cpu.gpr(Reg.RDX, 4) << 32 | cpu.gpr(Reg.RAX, 4));
        if (d.handler == Fpu.XSAVE) {
            save(cpu, d, rfbm);
        } else {
            restore(cpu, d, rfbm);
        }
    }

    /** SDM Vol. 1 13.7: the requested parts of the legacy region, then XSTATE_BV; nothing else. */
    private static void save(Cpu cpu, DecodedInsn d, long rfbm) {
        long lin = Fpu.area(cpu, d, Mmu.WRITE, AREA_SIZE, 64);
        cpu.probeWrite(lin, AREA_SIZE);
        long oldBv = cpu.readLinear(FxState.at(cpu, lin, XSTATE_BV), 8, Mmu.READ);
        if ((rfbm & X87) != 0) {
            FxState.saveX87(cpu, lin, d.rexW);
        }
        if ((rfbm & SSE) != 0) {
            FxState.saveMxcsr(cpu, lin);
            FxState.saveXmm(cpu, lin);
        }
        long xinuse = -1L; // not tracked: every component counts as in use (class comment)
        cpu.writeLinear(FxState.at(cpu, lin, XSTATE_BV), 8, (oldBv & ~rfbm) | (xinuse & rfbm));
    }

    /** SDM Vol. 1 13.8.1 (standard form): header and MXCSR checks, then load or initialise each component. */
    private static void restore(Cpu cpu, DecodedInsn d, long rfbm) {
        long lin = Fpu.area(cpu, d, Mmu.READ, AREA_SIZE, 64);
        long xstateBv = cpu.readLinear(FxState.at(cpu, lin, XSTATE_BV), 8, Mmu.READ);
        long xcompBv = cpu.readLinear(FxState.at(cpu, lin, XCOMP_BV), 8, Mmu.READ);
        long reserved = cpu.readLinear(FxState.at(cpu, lin, HEADER_RESERVED), 8, Mmu.READ);
        if ((xcompBv & COMPACTED) != 0) {
            throw ArchFault.gp0(); // compacted form: CPUID.(EAX=0DH,ECX=1):EAX.XSAVEC[1] = 0
        }
        if ((xstateBv & ~cpu.state().xcr0) != 0 || xcompBv != 0 || reserved != 0) {
            throw ArchFault.gp0(); // standard form: XSTATE_BV within XCR0, header bytes 23:8 zero
        }
        boolean sse = (rfbm & SSE) != 0;
        int mxcsr = sse ? FxState.readMxcsr(cpu, lin) : 0;
        cpu.readLinear(FxState.at(cpu, lin, 0), 1, Mmu.READ); // every page of the area before any state changes
        if ((rfbm & X87) != 0) {
            if ((xstateBv & X87) != 0) {
                FxState.loadX87(cpu, lin, d.rexW);
            } else {
                initX87(cpu.state());
            }
        }
        if (sse) {
            if ((xstateBv & SSE) != 0) {
                FxState.loadXmm(cpu, lin);
            } else {
                initXmm(cpu);
            }
            cpu.state().mxcsr = mxcsr;
        }
    }

    /** x87 initial configuration (SDM Vol. 1 13.6): FNINIT's values and ST0-7 = 0. */
    static void initX87(CpuState s) {
        Fpu.fninit(s);
        Arrays.fill(s.fpr, (byte) 0);
    }

    /** SSE initial configuration of the XMM registers the area holds (XMM0-7 outside 64-bit mode). */
    static void initXmm(Cpu cpu) {
        Arrays.fill(cpu.state().xmm, 0, 2 * FxState.xmmCount(cpu), 0L);
    }
}
