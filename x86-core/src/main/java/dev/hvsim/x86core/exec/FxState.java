package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * FXSAVE / FXRSTOR and their REX.W forms (SDM Vol. 2A FXSAVE, FXRSTOR; Vol. 1 10.5.1, Tables 10-2
 * (32-bit layout: FPU IP/DP with CS/DS) and 10-3 (64-bit layout, REX.W: 64-bit FPU IP/DP)). #UD with
 * CR0.EM = 1, #NM with CR0.TS = 1, #GP(0) for an area not 16-byte aligned and for FXRSTOR of MXCSR with
 * bits outside MXCSR_MASK. XMM8-15 belong to the area only in 64-bit mode. The whole area is checked
 * before the first byte is stored or any register changes. Bytes 288-511 are neither written nor read.
 *
 * <p>The per-component helpers ({@link #saveX87}, {@link #saveMxcsr}, {@link #saveXmm} and their load
 * counterparts) are the legacy region of the XSAVE area too (SDM Vol. 1 13.4.1) and are shared with
 * {@link XSave}. They take the area's linear address and do no checks of their own.
 */
final class FxState {
    private FxState() {}

    static void execute(Cpu cpu, DecodedInsn d) {
        if (cpu.cr0(Cpu.CR0_EM)) {
            throw ArchFault.ud();
        }
        if (cpu.cr0(Cpu.CR0_TS)) {
            throw ArchFault.of(Vectors.NM);
        }
        if (d.handler == Fpu.FXSAVE) {
            save(cpu, d);
        } else {
            restore(cpu, d);
        }
    }

    /** Linear address of byte {@code off} of the area, wrapped to 32 bits outside 64-bit mode. */
    static long at(Cpu cpu, long lin, int off) {
        long a = lin + off;
        return cpu.mode64() ? a : a & 0xffffffffL;
    }

    private static void save(Cpu cpu, DecodedInsn d) {
        long lin = Fpu.area(cpu, d, Mmu.WRITE);
        cpu.probeWrite(lin, 512);
        saveX87(cpu, lin, d.rexW);
        saveMxcsr(cpu, lin);
        saveXmm(cpu, lin);
    }

    private static void restore(Cpu cpu, DecodedInsn d) {
        long lin = Fpu.area(cpu, d, Mmu.READ);
        int mxcsr = readMxcsr(cpu, lin);
        cpu.readLinear(at(cpu, lin, 511), 1, Mmu.READ); // every page of the area before any state changes
        loadX87(cpu, lin, d.rexW);
        cpu.state().mxcsr = mxcsr;
        loadXmm(cpu, lin);
    }

    /** x87 part of the legacy region: bytes 0-23 (FCW .. FDP/FDS; 64-bit FIP/FDP with REX.W) and ST0-7 at 32-159. */
    static void saveX87(Cpu cpu, long lin, boolean rexW) {
        CpuState s = cpu.state();
        cpu.writeLinear(at(cpu, lin, 0), 2, s.fcw);
        cpu.writeLinear(at(cpu, lin, 2), 2, s.fsw);
        cpu.writeLinear(at(cpu, lin, 4), 2, s.ftwAbridged & 0xff);
        cpu.writeLinear(at(cpu, lin, 6), 2, s.fop);
        if (rexW) {
            cpu.writeLinear(at(cpu, lin, 8), 8, s.fip);
            cpu.writeLinear(at(cpu, lin, 16), 8, s.fdp);
        } else {
            cpu.writeLinear(at(cpu, lin, 8), 4, s.fip);
            cpu.writeLinear(at(cpu, lin, 12), 4, s.fcs & 0xffff);
            cpu.writeLinear(at(cpu, lin, 16), 4, s.fdp);
            cpu.writeLinear(at(cpu, lin, 20), 4, s.fds & 0xffff);
        }
        for (int i = 0; i < 8; i++) {
            long base = at(cpu, lin, 32 + 16 * i);
            for (int k = 0; k < 10; k++) {
                cpu.writeLinear(base + k, 1, s.fpr[i * 10 + k]);
            }
            cpu.writeLinear(base + 10, 2, 0);
            cpu.writeLinear(base + 12, 4, 0);
        }
    }

    /** MXCSR and MXCSR_MASK at bytes 24-31. */
    static void saveMxcsr(Cpu cpu, long lin) {
        cpu.writeLinear(at(cpu, lin, 24), 4, cpu.state().mxcsr);
        cpu.writeLinear(at(cpu, lin, 28), 4, Fpu.MXCSR_MASK);
    }

    /** XMM0-7 (XMM0-15 in 64-bit mode) at bytes 160-415. */
    static void saveXmm(Cpu cpu, long lin) {
        CpuState s = cpu.state();
        for (int i = 0; i < xmmCount(cpu); i++) {
            cpu.writeLinear(at(cpu, lin, 160 + 16 * i), 8, s.xmm[2 * i]);
            cpu.writeLinear(at(cpu, lin, 168 + 16 * i), 8, s.xmm[2 * i + 1]);
        }
    }

    /** The MXCSR image at byte 24; #GP(0) when it sets a bit outside MXCSR_MASK. Changes no state. */
    static int readMxcsr(Cpu cpu, long lin) {
        long mxcsr = cpu.readLinear(at(cpu, lin, 24), 4, Mmu.READ);
        if ((mxcsr & ~Fpu.MXCSR_MASK) != 0) {
            throw ArchFault.gp0();
        }
        return (int) mxcsr;
    }

    /** Loads the x87 part of the legacy region (the inverse of {@link #saveX87}; FOP keeps bits 10:0). */
    static void loadX87(Cpu cpu, long lin, boolean rexW) {
        CpuState s = cpu.state();
        s.fcw = (int) cpu.readLinear(at(cpu, lin, 0), 2, Mmu.READ);
        s.fsw = (int) cpu.readLinear(at(cpu, lin, 2), 2, Mmu.READ);
        s.ftwAbridged = (int) cpu.readLinear(at(cpu, lin, 4), 1, Mmu.READ);
        s.fop = (int) cpu.readLinear(at(cpu, lin, 6), 2, Mmu.READ) & 0x7ff;
        if (rexW) {
            s.fip = cpu.readLinear(at(cpu, lin, 8), 8, Mmu.READ);
            s.fdp = cpu.readLinear(at(cpu, lin, 16), 8, Mmu.READ);
        } else {
            s.fip = cpu.readLinear(at(cpu, lin, 8), 4, Mmu.READ);
            s.fcs = (int) cpu.readLinear(at(cpu, lin, 12), 2, Mmu.READ);
            s.fdp = cpu.readLinear(at(cpu, lin, 16), 4, Mmu.READ);
            s.fds = (int) cpu.readLinear(at(cpu, lin, 20), 2, Mmu.READ);
        }
        for (int i = 0; i < 8; i++) {
            long base = at(cpu, lin, 32 + 16 * i);
            for (int k = 0; k < 10; k++) {
                s.fpr[i * 10 + k] = (byte) cpu.readLinear(base + k, 1, Mmu.READ);
            }
        }
    }

    /** Loads XMM0-7 (XMM0-15 in 64-bit mode) from bytes 160-415. */
    static void loadXmm(Cpu cpu, long lin) {
        CpuState s = cpu.state();
        for (int i = 0; i < xmmCount(cpu); i++) {
            s.xmm[2 * i] = cpu.readLinear(at(cpu, lin, 160 + 16 * i), 8, Mmu.READ);
            s.xmm[2 * i + 1] = cpu.readLinear(at(cpu, lin, 168 + 16 * i), 8, Mmu.READ);
        }
    }

    /** XMM registers that belong to the area: 16 in 64-bit mode, otherwise 8 (SDM Vol. 1 10.5.1, 13.5.2). */
    static int xmmCount(Cpu cpu) {
        return cpu.mode64() ? 16 : 8;
    }
}
