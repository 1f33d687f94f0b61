package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * PUSHF/PUSHFD/PUSHFQ and POPF/POPFD/POPFQ for the stack family (SDM Vol. 2B PUSHF and POPF pseudo-code;
 * Vol. 3A 20.3 virtual-8086 mode with CR4.VME, Table 20-2; AMD APM Vol. 3 POPFx, PUSHFx). Which RFLAGS bits
 * POPF may change depends on the operand size, CPL, IOPL and virtual-8086 mode; bits it may not change keep
 * their value.
 */
final class StackFlags {
    /** Bits POPF with a 32/64-bit operand may ever change: all defined bits but RF, VM, VIF, VIP (and bit 1). */
    private static final long POPF_WIDE = Flags.DEFINED & ~(Flags.RF | Flags.VM | Flags.VIF | Flags.VIP | Flags.FIXED1);
    private static final long POPF_16 = 0xffffL & Flags.DEFINED & ~Flags.FIXED1;

    private StackFlags() {}

    /**
     * PUSHF: the image has VM and RF cleared (SDM Vol. 2B PUSHF). In virtual-8086 mode with IOPL < 3 it is
     * #GP(0), unless CR4.VME = 1 and the operand size is 16: then VIF is pushed in the IF position and the
     * IOPL field reads 3 (SDM Vol. 3A 20.3, Table 20-2).
     */
    static void pushf(Cpu cpu, int size) {
        CpuState s = cpu.state();
        long image = s.rflags() & ~(Flags.VM | Flags.RF);
        if (cpu.v86() && s.iopl() < 3) {
            if (!cpu.cr4(Cpu.CR4_VME) || size != 2) {
                throw ArchFault.gp0();
            }
            image = (image & ~Flags.IF) | Flags.IOPL | ((s.flagsRest & Flags.VIF) != 0 ? Flags.IF : 0);
        }
        cpu.push(image, size);
    }

    /** POPF by the SDM Vol. 2B POPF table; the load happens before any flag changes. */
    static void popf(Cpu cpu, int size) {
        CpuState s = cpu.state();
        if (cpu.v86() && s.iopl() < 3) {
            popfVme(cpu, size);
            return;
        }
        long mask = size == 2 ? POPF_16 : POPF_WIDE;
        if (cpu.protectedMode()) {
            if (cpu.v86() || cpu.cpl() > 0) {
                mask &= ~Flags.IOPL; // IOPL changes only at CPL 0 (in v8086 mode CPL is 3)
            }
            if (!cpu.v86() && cpu.cpl() > s.iopl()) {
                mask &= ~Flags.IF;
            }
        }
        long v = cpu.pop(size);
        long old = s.rflags();
        long nf = (old & ~mask) | (v & mask);
        if (size != 2) {
            nf &= ~Flags.RF; // "RF is cleared" for the 32/64-bit forms
        }
        apply(cpu, s, old, nf);
    }

    /**
     * Virtual-8086 mode with IOPL < 3: #GP(0) unless CR4.VME and a 16-bit operand; then #GP(0) if the image
     * sets TF, or sets IF while VIP = 1; else VIF takes image bit 9 and IF/IOPL are unaffected (SDM Vol. 2B
     * POPF).
     */
    private static void popfVme(Cpu cpu, int size) {
        CpuState s = cpu.state();
        if (size != 2 || !cpu.cr4(Cpu.CR4_VME)) {
            throw ArchFault.gp0();
        }
        long v = cpu.peek(0, 2);
        if ((v & Flags.TF) != 0 || (v & Flags.IF) != 0 && (s.flagsRest & Flags.VIP) != 0) {
            throw ArchFault.gp0();
        }
        cpu.pop(2);
        long mask = POPF_16 & ~(Flags.IF | Flags.IOPL);
        long old = s.rflags();
        long nf = (old & ~mask) | (v & mask);
        nf = (nf & ~Flags.VIF) | ((v & Flags.IF) != 0 ? Flags.VIF : 0);
        apply(cpu, s, old, nf);
    }

    private static void apply(Cpu cpu, CpuState s, long old, long nf) {
        s.setRflags(nf);
        if (((old ^ nf) & (Flags.IF | Flags.TF)) != 0) {
            cpu.signalEvent(); // IF may unmask a pending interrupt (POPF sets no interrupt shadow)
        }
    }
}
