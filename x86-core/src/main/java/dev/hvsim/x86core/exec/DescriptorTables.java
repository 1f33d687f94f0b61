package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.Segmentation;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Descriptor-table and segment-inspection instructions (SDM Vol. 2A ARPL, LAR, LGDT/LIDT, LLDT, LMSW,
 * LSL, LTR; Vol. 2B SGDT, SIDT, SLDT, SMSW, STR, VERR/VERW; Vol. 3A 2.4 (memory-management registers),
 * 2.6 (UMIP), 3.5.1 (segment-descriptor tables), 7.2.4 (task register, busy flag), 7.2.3 (16-byte
 * system descriptors in IA-32e mode); AMD APM Vol. 2 4.6, 4.8.3, 12.2).
 */
final class DescriptorTables {
    private DescriptorTables() {}

    /** UMIP: SGDT, SIDT, SLDT, SMSW and STR are #GP(0) at CPL &gt; 0 (SDM Vol. 3A 2.5, CR4.UMIP). */
    private static void umip(Cpu cpu) {
        if (cpu.cr4(Cpu.CR4_UMIP) && cpu.cpl() > 0) {
            throw ArchFault.gp0();
        }
    }

    private static long next(DecodedInsn d, long ea, int n) {
        return (ea + n) & Flags.mask(d.addrSize);
    }

    /** SGDT/SIDT: 2-byte limit, then a 4-byte base (8 in 64-bit mode); both stores checked first. */
    static void store(Cpu cpu, DecodedInsn d, boolean idt) {
        umip(cpu);
        CpuState s = cpu.state();
        int baseSize = cpu.mode64() ? 8 : 4;
        long ea = cpu.ea(d);
        long lin1 = cpu.linear(d.seg, ea, 2, Mmu.WRITE);
        long lin2 = cpu.linear(d.seg, next(d, ea, 2), baseSize, Mmu.WRITE);
        cpu.probeWrite(lin1, 2);
        cpu.probeWrite(lin2, baseSize);
        cpu.writeLinear(lin1, 2, idt ? s.idtrLimit : s.gdtrLimit);
        long base = idt ? s.idtrBase : s.gdtrBase;
        cpu.writeLinear(lin2, baseSize, baseSize == 4 ? base & 0xffffffffL : base);
    }

    /**
     * LGDT/LIDT: in 64-bit mode an 8-byte base whatever the operand size; otherwise 4 bytes, of which a
     * 16-bit operand size keeps 24 (SDM Vol. 2A LGDT/LIDT "IF OperandSize = 16").
     */
    static void load(Cpu cpu, DecodedInsn d, boolean idt) {
        CpuState s = cpu.state();
        long ea = cpu.ea(d);
        int limit = (int) cpu.read(d.seg, ea, 2);
        long base = cpu.read(d.seg, next(d, ea, 2), cpu.mode64() ? 8 : 4);
        if (!cpu.mode64() && d.opSize == 2) {
            base &= 0xffffff;
        }
        if (idt) {
            s.idtrBase = base;
            s.idtrLimit = limit;
        } else {
            s.gdtrBase = base;
            s.gdtrLimit = limit;
        }
    }

    /** SLDT/STR/SMSW destination: 16 bits to memory, zero-extended to a 32/64-bit register. */
    private static void storeSelector(Cpu cpu, DecodedInsn d, long v) {
        if (d.memOp) {
            cpu.write(d.seg, cpu.ea(d), 2, v & 0xffff);
        } else {
            cpu.writeReg(d, d.rm, d.opSize, v & Flags.mask(d.opSize));
        }
    }

    static void sldt(Cpu cpu, DecodedInsn d) {
        umip(cpu);
        storeSelector(cpu, d, cpu.state().ldtr.selector);
    }

    static void str(Cpu cpu, DecodedInsn d) {
        umip(cpu);
        storeSelector(cpu, d, cpu.state().tr.selector);
    }

    /** SMSW: CR0 bits 15:0 to memory; a register receives CR0 at the operand size. */
    static void smsw(Cpu cpu, DecodedInsn d) {
        umip(cpu);
        storeSelector(cpu, d, ControlRegs.crRead(cpu, 0, cpu.state().cr0));
    }

    /** LMSW: loads PE, MP, EM, TS; PE can be set but not cleared (SDM Vol. 2A LMSW). */
    static void lmsw(Cpu cpu, DecodedInsn d) {
        long v = cpu.readE(d, 2) & 0xf;
        long cr0 = cpu.state().cr0;
        ControlRegs.writeCr0(cpu, (cr0 & ~0xeL) | v | (cr0 & Cpu.CR0_PE));
    }

    /** CLTS: CR0.TS = 0. */
    static void clts(Cpu cpu) {
        long cr0 = cpu.state().cr0;
        cpu.state().cr0 = cpu.extension() == null ? cr0 & ~Cpu.CR0_TS
                : cpu.extension().crWriteValue(cpu, 0, cr0, cr0 & ~Cpu.CR0_TS);
    }

    /**
     * A system descriptor named by LLDT/LTR: in the GDT (TI = 0, else #GP(selector)), of one of the given
     * types, present (#NP); in IA-32e mode 16 bytes with a zero upper type field and a canonical base.
     * Returns {low quadword, 64-bit base}.
     */
    private static long[] systemDescriptor(Cpu cpu, int sel, int typeA, int typeB) {
        int err = sel & 0xfffc;
        if ((sel & 4) != 0) {
            throw ArchFault.gp(err);
        }
        boolean ia32e = cpu.longMode();
        long addr = cpu.segmentation().descriptorAddress(sel, ia32e ? 15 : 7);
        long desc = cpu.readSystem(addr, 8);
        int attr = Segmentation.attr(desc);
        int type = attr & 0xf;
        if ((attr & Segment.ATTR_S) != 0 || type != typeA && type != typeB) {
            throw ArchFault.gp(err);
        }
        if ((attr & Segment.ATTR_P) == 0) {
            throw ArchFault.np(err);
        }
        long base = Segmentation.base(desc);
        if (ia32e) {
            long high = cpu.readSystem(addr + 8, 8);
            base |= (high & 0xffffffffL) << 32;
            if (((high >>> 40) & 0x1f) != 0 || !cpu.canonical(base)) {
                throw ArchFault.gp(err);
            }
        }
        return new long[] {desc, base};
    }

    /** LLDT (SDM Vol. 2A): a null selector leaves LDTR unusable. */
    static void lldt(Cpu cpu, DecodedInsn d) {
        int sel = (int) cpu.readE(d, 2);
        CpuState s = cpu.state();
        if ((sel & 0xfffc) == 0) {
            s.ldtr.set(sel, 0, 0, Segment.ATTR_UNUSABLE);
            return;
        }
        long[] r = systemDescriptor(cpu, sel, 2, 2);
        s.ldtr.set(sel, r[1], Segmentation.limit(r[0]), Segmentation.attr(r[0]));
    }

    /** LTR (SDM Vol. 2A): an available TSS (type 1 or 9; only 9 in IA-32e mode), marked busy in memory. */
    static void ltr(Cpu cpu, DecodedInsn d) {
        int sel = (int) cpu.readE(d, 2);
        if ((sel & 0xfffc) == 0) {
            throw ArchFault.gp0();
        }
        long[] r = systemDescriptor(cpu, sel, 9, cpu.longMode() ? 9 : 1);
        long addr = cpu.segmentation().descriptorAddress(sel, 7);
        cpu.writeSystem(addr + 5, 1, ((r[0] >>> 40) & 0xff) | 2);
        cpu.state().tr.set(sel, r[1], Segmentation.limit(r[0]), Segmentation.attr(r[0]) | 2);
    }

    // ------------------------------------------------------------------ LAR, LSL, VERR, VERW, ARPL

    /** The descriptor of a selector if it lies within its table (no fault: these instructions clear ZF). */
    private static boolean inTable(Cpu cpu, int sel) {
        CpuState s = cpu.state();
        int index = sel & 0xfff8;
        if ((sel & 0xfffc) == 0) {
            return false;
        }
        if ((sel & 4) != 0) {
            return !s.ldtr.unusable() && (s.ldtr.selector & 0xfffc) != 0 && index + 7 <= s.ldtr.limit;
        }
        return index + 7 <= s.gdtrLimit;
    }

    private static void setZf(Cpu cpu, boolean zf) {
        CpuState s = cpu.state();
        long f = s.oszapc();
        s.setOszapc(zf ? f | Flags.ZF : f & ~Flags.ZF);
    }

    /** Privilege visibility: conforming code is always visible; otherwise DPL &ge; max(CPL, RPL). */
    private static boolean visible(Cpu cpu, int sel, int attr) {
        boolean conformingCode = (attr & 0x1c) == 0x1c;
        int dpl = (attr >>> 5) & 3;
        return conformingCode || dpl >= cpu.cpl() && dpl >= (sel & 3);
    }

    /** System types LAR accepts (SDM Vol. 2A LAR, Table 3-53; IA-32e mode: LDT, 64-bit TSS, call gate). */
    private static boolean larType(Cpu cpu, int type) {
        if (cpu.longMode()) {
            return type == 2 || type == 9 || type == 0xb || type == 0xc;
        }
        return type == 1 || type == 2 || type == 3 || type == 4 || type == 5 || type == 9 || type == 0xb || type == 0xc;
    }

    /** System types LSL accepts (SDM Vol. 2B LSL, Table 3-62): TSS and LDT, no gates. */
    private static boolean lslType(Cpu cpu, int type) {
        if (cpu.longMode()) {
            return type == 2 || type == 9 || type == 0xb;
        }
        return type == 1 || type == 2 || type == 3 || type == 9 || type == 0xb;
    }

    /** LAR (0F 02) and LSL (0F 03): on success ZF = 1 and the register is written; else ZF = 0. */
    static void larLsl(Cpu cpu, DecodedInsn d, boolean lsl) {
        int sel = (int) cpu.readE(d, 2) & 0xffff;
        if (!inTable(cpu, sel)) {
            setZf(cpu, false);
            return;
        }
        long desc = cpu.readSystem(cpu.segmentation().descriptorAddress(sel, 7), 8);
        int attr = Segmentation.attr(desc);
        boolean typeOk = (attr & Segment.ATTR_S) != 0 || (lsl ? lslType(cpu, attr & 0xf) : larType(cpu, attr & 0xf));
        if (!typeOk || !visible(cpu, sel, attr)) {
            setZf(cpu, false);
            return;
        }
        long v = lsl ? Segmentation.limit(desc) : (desc >>> 32) & (d.opSize == 2 ? 0xff00L : 0x00f0ff00L);
        cpu.writeReg(d, d.reg, d.opSize, v & Flags.mask(d.opSize));
        setZf(cpu, true);
    }

    /** VERR / VERW (0F 00 /4 /5): ZF = 1 when the segment is readable / writable at CPL and RPL. */
    static void verify(Cpu cpu, DecodedInsn d, boolean write) {
        int sel = (int) cpu.readE(d, 2) & 0xffff;
        if (!inTable(cpu, sel)) {
            setZf(cpu, false);
            return;
        }
        long desc = cpu.readSystem(cpu.segmentation().descriptorAddress(sel, 7), 8);
        int attr = Segmentation.attr(desc);
        boolean ok;
        if ((attr & Segment.ATTR_S) == 0) {
            ok = false;
        } else if ((attr & 8) != 0) {
            ok = !write && (attr & 2) != 0 && visible(cpu, sel, attr);
        } else {
            ok = (!write || (attr & 2) != 0) && visible(cpu, sel, attr);
        }
        setZf(cpu, ok);
    }

    /** ARPL Ew,Gw (63, not in 64-bit mode): raises the destination RPL to the source RPL; ZF tells. */
    static void arpl(Cpu cpu, DecodedInsn d) {
        long src = cpu.readReg(d, d.reg, 2);
        long lin = d.memOp ? cpu.linear(d.seg, cpu.ea(d), 2, Mmu.WRITE) : 0;
        long dst = d.memOp ? cpu.readLinear(lin, 2, Mmu.READ) : cpu.readReg(d, d.rm, 2);
        if ((dst & 3) < (src & 3)) {
            dst = (dst & ~3L) | (src & 3);
            if (d.memOp) {
                cpu.writeLinear(lin, 2, dst);
            } else {
                cpu.writeReg(d, d.rm, 2, dst);
            }
            setZf(cpu, true);
        } else {
            setZf(cpu, false);
        }
    }
}
