package dev.hvsim.x86core;

import dev.hvsim.x86core.fault.ArchFault;

/**
 * Descriptor tables and segment-register loads (SDM Vol. 3A ch. 3 and 5; the MOV/POP Sreg, LDS..LSS
 * pseudo-code in Vol. 2), the TSS fields the core needs (stack pointers, IST, I/O bitmap: Vol. 3A 7.2,
 * 8.7; Vol. 1 19.5.2).
 */
public final class Segmentation {
    private final Cpu cpu;

    Segmentation(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Reads the 8-byte descriptor for a selector; #GP(selector) when outside the table limit. */
    public long descriptor(int selector) {
        long addr = descriptorAddress(selector, 7);
        return cpu.readSystem(addr, 8);
    }

    /** The linear address of a selector's descriptor, checking {@code extra} bytes against the limit. */
    public long descriptorAddress(int selector, int extra) {
        CpuState s = cpu.s;
        int index = selector & 0xfff8;
        if ((selector & 4) != 0) {
            if (s.ldtr.unusable() || (s.ldtr.selector & 0xfffc) == 0) {
                throw ArchFault.gp(selector & 0xfffc);
            }
            if (index + extra > s.ldtr.limit) {
                throw ArchFault.gp(selector & 0xfffc);
            }
            return s.ldtr.base + index;
        }
        if (index + extra > s.gdtrLimit) {
            throw ArchFault.gp(selector & 0xfffc);
        }
        return s.gdtrBase + index;
    }

    /** Access-rights (VMX layout) of a raw descriptor. */
    public static int attr(long desc) {
        return (int) ((desc >>> 40) & 0xf0ff);
    }

    public static long limit(long desc) {
        long lim = (desc & 0xffff) | ((desc >>> 32) & 0xf0000);
        return (desc & (1L << 55)) != 0 ? (lim << 12) | 0xfff : lim;
    }

    public static long base(long desc) {
        return ((desc >>> 16) & 0xffffff) | ((desc >>> 32) & 0xff000000L);
    }

    /** Sets the accessed bit of a code/data descriptor in memory if clear (SDM Vol. 3A 3.4.5.1). */
    public void setAccessed(int selector, long desc) {
        if ((desc & (1L << 40)) == 0 && (desc & (1L << 44)) != 0) {
            long addr = descriptorAddress(selector, 7);
            cpu.writeSystem(addr + 5, 1, (desc >>> 40) | 1);
        }
    }

    /** Loads a data segment register or SS (MOV Sreg / POP Sreg / LxS) with the mode's checks. */
    public void load(int sreg, int selector) {
        selector &= 0xffff;
        CpuState s = cpu.s;
        Segment seg = s.seg[sreg];
        if (cpu.realMode()) {
            seg.selector = selector;
            seg.base = (long) selector << 4;
            return;
        }
        if (cpu.v86()) {
            seg.set(selector, (long) selector << 4, 0xffff, 0xf3);
            return;
        }
        int cpl = cpu.cpl();
        int rpl = selector & 3;
        if ((selector & 0xfffc) == 0) {
            if (sreg == Reg.SS && !(cpu.mode64() && cpl != 3 && rpl == cpl)) {
                throw ArchFault.gp0();
            }
            seg.set(selector, 0, 0, Segment.ATTR_UNUSABLE | (sreg == Reg.SS ? (cpl << 5) : 0));
            return;
        }
        long desc = descriptor(selector);
        int attr = attr(desc);
        int dpl = (attr >>> 5) & 3;
        boolean s_ = (attr & Segment.ATTR_S) != 0;
        int type = attr & 0xf;
        boolean code = (type & 8) != 0;
        if (sreg == Reg.SS) {
            if (rpl != cpl || !s_ || code || (type & 2) == 0 || dpl != cpl) {
                throw ArchFault.gp(selector & 0xfffc);
            }
            if ((attr & Segment.ATTR_P) == 0) {
                throw ArchFault.ss(selector & 0xfffc);
            }
        } else {
            if (!s_ || code && (type & 2) == 0) {
                throw ArchFault.gp(selector & 0xfffc);
            }
            boolean conforming = code && (type & 4) != 0;
            if (!conforming && (rpl > dpl || cpl > dpl)) {
                throw ArchFault.gp(selector & 0xfffc);
            }
            if ((attr & Segment.ATTR_P) == 0) {
                throw ArchFault.np(selector & 0xfffc);
            }
        }
        setAccessed(selector, desc);
        seg.set(selector, base(desc), limit(desc), attr | 1);
        if (sreg == Reg.SS) {
            cpu.modeChanged(); // CPL follows SS.DPL; stack size follows SS.B
        }
    }

    /**
     * Loads CS for a far transfer to a code segment at the given privilege (checks done by the caller),
     * then recomputes the mode.
     */
    public void loadCs(int selector, long desc, int newCpl) {
        setAccessed(selector, desc);
        cpu.s.seg[Reg.CS].set((selector & 0xfffc) | newCpl, base(desc), limit(desc), attr(desc) | 1);
        cpu.setCpl(newCpl);
        cpu.modeChanged();
    }

    /** Real-address / virtual-8086 CS load by a far transfer: selector and base only (SDM Vol. 3A 20.1.1). */
    public void loadRealCs(int selector) {
        Segment cs = cpu.s.seg[Reg.CS];
        if (cpu.v86()) {
            cs.set(selector, (long) (selector & 0xffff) << 4, 0xffff, 0xfb);
        } else {
            cs.selector = selector & 0xffff;
            cs.base = (long) (selector & 0xffff) << 4;
        }
        cpu.modeChanged();
    }

    /** Loads SS from a descriptor already checked by a control transfer (sets the accessed bit). */
    public void loadSs(int selector, long desc) {
        setAccessed(selector, desc);
        cpu.s.seg[Reg.SS].set(selector, base(desc), limit(desc), attr(desc) | 1);
    }

    /** A null SS in 64-bit mode at CPL &lt; 3 (SDM Vol. 3A 5.8.3.1, 6.14.4): unusable, DPL = RPL. */
    public void loadNullSs(int selector) {
        int rpl = selector & 3;
        cpu.s.seg[Reg.SS].set(selector & 3, 0, 0, Segment.ATTR_UNUSABLE | (rpl << 5) | 0x13 | Segment.ATTR_P);
    }

    /**
     * After RET/IRET to an outer privilege level: ES, DS, FS, GS that are null or hold a data or
     * non-conforming code segment with DPL &lt; the new CPL become null (SDM Vol. 2B RET, IRET pseudo-code
     * "FOR each SegReg in (ES, FS, GS, and DS)"). The base is kept (64-bit FS/GS bases stay usable).
     */
    public void nullInaccessibleDataSegments(int newCpl) {
        for (int r = Reg.ES; r <= Reg.GS; r++) {
            if (r == Reg.CS || r == Reg.SS) {
                continue;
            }
            Segment sg = cpu.s.seg[r];
            boolean conformingCode = (sg.attr & 0x1c) == 0x1c;
            if (sg.unusable() || (sg.selector & 0xfffc) == 0 || !conformingCode && sg.dpl() < newCpl) {
                sg.selector = 0;
                sg.attr = Segment.ATTR_UNUSABLE;
            }
        }
    }

    /** The 16-byte system descriptor base in IA-32e mode (LDT, TSS, call gates: SDM Vol. 3A 7.2.3). */
    public long systemBase64(int selector, long low) {
        long addr = descriptorAddress(selector, 15);
        long high = cpu.readSystem(addr + 8, 8);
        return base(low) | ((high & 0xffffffffL) << 32);
    }

    /**
     * The TSS I/O permission bitmap check (SDM Vol. 1 19.5.2): every bit for the accessed ports must be
     * 0, the bitmap must lie within the TSS limit, else #GP(0).
     */
    public void checkIoBitmap(int port, int size) {
        Segment tr = cpu.s.tr;
        int type = tr.type();
        if (tr.unusable() || (type != 9 && type != 11) || tr.limit < 0x67) {
            throw ArchFault.gp0();
        }
        long ioBase = cpu.readSystem(tr.base + 0x66, 2);
        long byteOff = ioBase + (port >>> 3);
        if (byteOff + 1 > tr.limit) {
            throw ArchFault.gp0();
        }
        long bits = cpu.readSystem(tr.base + byteOff, 2);
        long mask = ((1L << size) - 1) << (port & 7);
        if ((bits & mask) != 0) {
            throw ArchFault.gp0();
        }
    }

    /** Stack pointer for a privilege level from the current TSS (SDM Vol. 3A 7.2.1, 7.7). */
    public long tssStack(int dpl) {
        Segment tr = cpu.s.tr;
        if (cpu.longMode()) {
            long off = 4 + 8L * dpl;
            if (off + 7 > tr.limit) {
                throw ArchFault.ts(tr.selector & 0xfffc);
            }
            return cpu.readSystem(tr.base + off, 8);
        }
        boolean tss32 = (tr.type() & 8) != 0;
        long off = tss32 ? 4 + 8L * dpl : 2 + 4L * dpl;
        int width = tss32 ? 4 : 2;
        if (off + width + (tss32 ? 2 : 2) - 1 > tr.limit) {
            throw ArchFault.ts(tr.selector & 0xfffc);
        }
        long sp = cpu.readSystem(tr.base + off, width);
        long ss = cpu.readSystem(tr.base + off + width, 2);
        return (ss << 32) | sp;
    }

    /** IST pointer n (1..7) from a 64-bit TSS. */
    public long tssIst(int n) {
        Segment tr = cpu.s.tr;
        long off = 0x24 + 8L * (n - 1);
        if (off + 7 > tr.limit) {
            throw ArchFault.ts(tr.selector & 0xfffc);
        }
        return cpu.readSystem(tr.base + off, 8);
    }
}
