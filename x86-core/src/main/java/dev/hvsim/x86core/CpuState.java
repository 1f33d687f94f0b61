package dev.hvsim.x86core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The architectural state of one logical processor: GPRs, RIP, RFLAGS (with lazily evaluated status
 * flags), segment registers with their descriptor caches, descriptor-table registers, control and
 * debug registers, EFER, XCR0, PKRU and the MSR file. Copyable, comparable and diffable by register
 * name.
 *
 * <p>Fields are public for the interpreter's hot path and for the vendor models; code outside the core
 * should prefer the named accessors.
 */
public final class CpuState {
    public final long[] gpr = new long[16];
    public long rip;
    /** RFLAGS without the six status flags (those are in the lazy-flag fields below). */
    public long flagsRest = Flags.FIXED1;

    // ---- lazy status flags (SDM Vol. 1 3.4.3.1) ----
    public static final int LF_NONE = 0, LF_ADD = 1, LF_ADC = 2, LF_SUB = 3, LF_SBB = 4, LF_LOGIC = 5,
            LF_INC = 6, LF_DEC = 7;
    public int lfOp = LF_NONE;
    public int lfSize = 8;
    public long lfDst, lfSrc, lfRes;
    /** LF_NONE: the OSZAPC bits. LF_ADC/LF_SBB: carry in. LF_INC/LF_DEC: the preserved CF. */
    public long lfAux;

    public final Segment[] seg = {new Segment(), new Segment(), new Segment(), new Segment(), new Segment(), new Segment()};
    public final Segment ldtr = new Segment();
    public final Segment tr = new Segment();
    public long gdtrBase, idtrBase;
    public int gdtrLimit, idtrLimit;

    public long cr0, cr2, cr3, cr4, cr8;
    public long efer;
    public long xcr0 = 1;
    public int pkru;
    /** TSC minus cycles x ratio: what WRMSR to IA32_TIME_STAMP_COUNTER changes. */
    public long tscAdjust;
    public final long[] dr = new long[8];

    // ---- x87 / SSE state as FXSAVE sees it (SDM Vol. 1 8.1, 10.5.1; no x87 arithmetic is modelled) ----
    public static final int FCW_INIT = 0x37f, MXCSR_INIT = 0x1f80;
    public int fcw = FCW_INIT, fsw, fop, fcs, fds, mxcsr = MXCSR_INIT;
    /** Abridged tag word (FXSAVE format): bit i = 1 when physical register i is valid. */
    public int ftwAbridged;
    public long fip, fdp;
    /** ST0..ST7 / MM0..MM7 as 10 bytes each (80-bit extended precision), physical order. */
    public final byte[] fpr = new byte[80];
    /** XMM0..XMM15: low and high quadword of each. */
    public final long[] xmm = new long[32];
    /** MSRs without a dedicated field, by index. */
    public final MsrFile msr = new MsrFile();

    /** Blocking by STI / MOV SS (SDM Vol. 3A 6.8.3): the instruction count after which it ends. */
    public boolean stiShadow, movSsShadow;
    public boolean nmiBlocked;
    public boolean halted;

    // ---- status flags ----

    public void setOszapc(long bits) {
        lfOp = LF_NONE;
        lfAux = bits & Flags.OSZAPC;
    }

    public void lazy(int op, int size, long dst, long src, long res) {
        lfOp = op;
        lfSize = size;
        lfDst = dst;
        lfSrc = src;
        lfRes = res;
    }

    public void lazyCarry(int op, int size, long dst, long src, long res, long carryIn) {
        lazy(op, size, dst, src, res);
        lfAux = carryIn;
    }

    /** INC/DEC keep CF (SDM Vol. 2A INC: "CF flag is not affected"). */
    public void lazyIncDec(int op, int size, long dst, long res) {
        long cf = cf() ? 1 : 0;
        lazy(op, size, dst, 1, res);
        lfAux = cf;
    }

    public boolean cf() {
        long m = Flags.mask(lfSize);
        switch (lfOp) {
            case LF_NONE: return (lfAux & Flags.CF) != 0;
            case LF_ADD: return Long.compareUnsigned(lfRes & m, lfDst & m) < 0;
            case LF_ADC: return lfAux != 0 ? Long.compareUnsigned(lfRes & m, lfDst & m) <= 0
                    : Long.compareUnsigned(lfRes & m, lfDst & m) < 0;
            case LF_SUB: return Long.compareUnsigned(lfDst & m, lfSrc & m) < 0;
            case LF_SBB: return lfAux != 0 ? Long.compareUnsigned(lfDst & m, lfSrc & m) <= 0
                    : Long.compareUnsigned(lfDst & m, lfSrc & m) < 0;
            case LF_LOGIC: return false;
            default: return lfAux != 0; // INC, DEC
        }
    }

    public boolean zf() {
        return lfOp == LF_NONE ? (lfAux & Flags.ZF) != 0 : (lfRes & Flags.mask(lfSize)) == 0;
    }

    public boolean sf() {
        return lfOp == LF_NONE ? (lfAux & Flags.SF) != 0 : (lfRes & Flags.signBit(lfSize)) != 0;
    }

    public boolean pf() {
        return lfOp == LF_NONE ? (lfAux & Flags.PF) != 0 : Flags.parity(lfRes) != 0;
    }

    public boolean af() {
        switch (lfOp) {
            case LF_NONE: return (lfAux & Flags.AF) != 0;
            case LF_LOGIC: return false;
            default: return ((lfDst ^ lfSrc ^ lfRes) & 0x10) != 0;
        }
    }

    public boolean of() {
        long s = Flags.signBit(lfSize);
        switch (lfOp) {
            case LF_NONE: return (lfAux & Flags.OF) != 0;
            case LF_ADD: case LF_ADC: case LF_INC: return ((lfDst ^ lfRes) & (lfSrc ^ lfRes) & s) != 0;
            case LF_SUB: case LF_SBB: case LF_DEC: return ((lfDst ^ lfSrc) & (lfDst ^ lfRes) & s) != 0;
            default: return false;
        }
    }

    /** The six status flags, materialised. */
    public long oszapc() {
        if (lfOp == LF_NONE) {
            return lfAux;
        }
        return (cf() ? Flags.CF : 0) | (pf() ? Flags.PF : 0) | (af() ? Flags.AF : 0) | (zf() ? Flags.ZF : 0)
                | (sf() ? Flags.SF : 0) | (of() ? Flags.OF : 0);
    }

    public long rflags() {
        return flagsRest | oszapc();
    }

    /** Sets RFLAGS wholesale; reserved bits are forced to their fixed values. */
    public void setRflags(long v) {
        v = (v & Flags.DEFINED) | Flags.FIXED1;
        flagsRest = v & ~Flags.OSZAPC;
        setOszapc(v);
    }

    public int iopl() { return (int) ((flagsRest >>> 12) & 3); }
    public boolean flag(long bit) { return (rflags() & bit) != 0; }

    public long msr(long index) { return msr.getIfAbsent(index, 0); }

    // ---- copy / compare / diff ----

    public CpuState copy() {
        CpuState c = new CpuState();
        c.copyFrom(this);
        return c;
    }

    public void copyFrom(CpuState o) {
        System.arraycopy(o.gpr, 0, gpr, 0, 16);
        rip = o.rip;
        flagsRest = o.flagsRest;
        lfOp = o.lfOp; lfSize = o.lfSize; lfDst = o.lfDst; lfSrc = o.lfSrc; lfRes = o.lfRes; lfAux = o.lfAux;
        for (int i = 0; i < 6; i++) {
            seg[i].copyFrom(o.seg[i]);
        }
        ldtr.copyFrom(o.ldtr);
        tr.copyFrom(o.tr);
        gdtrBase = o.gdtrBase; gdtrLimit = o.gdtrLimit; idtrBase = o.idtrBase; idtrLimit = o.idtrLimit;
        cr0 = o.cr0; cr2 = o.cr2; cr3 = o.cr3; cr4 = o.cr4; cr8 = o.cr8; efer = o.efer; tscAdjust = o.tscAdjust; xcr0 = o.xcr0; pkru = o.pkru;
        System.arraycopy(o.dr, 0, dr, 0, 8);
        fcw = o.fcw; fsw = o.fsw; fop = o.fop; fcs = o.fcs; fds = o.fds; mxcsr = o.mxcsr;
        ftwAbridged = o.ftwAbridged; fip = o.fip; fdp = o.fdp;
        System.arraycopy(o.fpr, 0, fpr, 0, fpr.length);
        System.arraycopy(o.xmm, 0, xmm, 0, xmm.length);
        msr.clear();
        msr.putAll(o.msr);
        stiShadow = o.stiShadow; movSsShadow = o.movSsShadow; nmiBlocked = o.nmiBlocked; halted = o.halted;
    }

    /** Every architecturally visible register by name, in a stable order. */
    public Map<String, String> byName() {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < 16; i++) {
            m.put(Reg.GPR_NAMES[i], hex(gpr[i]));
        }
        m.put("RIP", hex(rip));
        m.put("RFLAGS", hex(rflags()));
        for (int i = 0; i < 6; i++) {
            m.put(Reg.SEG_NAMES[i], seg[i].toString());
        }
        m.put("LDTR", ldtr.toString());
        m.put("TR", tr.toString());
        m.put("GDTR", hex(gdtrBase) + "/" + Integer.toHexString(gdtrLimit));
        m.put("IDTR", hex(idtrBase) + "/" + Integer.toHexString(idtrLimit));
        m.put("CR0", hex(cr0)); m.put("CR2", hex(cr2)); m.put("CR3", hex(cr3)); m.put("CR4", hex(cr4));
        m.put("CR8", hex(cr8)); m.put("EFER", hex(efer)); m.put("XCR0", hex(xcr0)); m.put("PKRU", hex(pkru));
        for (int i = 0; i < 8; i++) {
            m.put("DR" + i, hex(dr[i]));
        }
        m.put("FCW", hex(fcw)); m.put("FSW", hex(fsw)); m.put("FTW", hex(ftwAbridged)); m.put("FOP", hex(fop));
        m.put("FIP", hex(fip)); m.put("FDP", hex(fdp)); m.put("MXCSR", hex(mxcsr));
        for (int i = 0; i < 8; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 9; k >= 0; k--) {
                sb.append(String.format("%02x", fpr[i * 10 + k] & 0xff));
            }
            m.put("FPR" + i, sb.toString());
        }
        for (int i = 0; i < 16; i++) {
            m.put("XMM" + i, hex(xmm[2 * i + 1]) + ":" + hex(xmm[2 * i]));
        }
        msr.forEachKeyValue((k, v) -> m.put("MSR_" + Long.toHexString(k), hex(v)));
        return m;
    }

    /** Registers whose values differ, as "NAME: this -> other" lines. */
    public List<String> diff(CpuState other) {
        Map<String, String> a = byName();
        Map<String, String> b = other.byName();
        List<String> out = new ArrayList<>();
        TreeMap<String, String> all = new TreeMap<>(a);
        b.forEach(all::putIfAbsent);
        for (String k : all.keySet()) {
            String x = a.getOrDefault(k, "-");
            String y = b.getOrDefault(k, "-");
            if (!x.equals(y)) {
                out.add(k + ": " + x + " -> " + y);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuState s && byName().equals(s.byName());
    }

    @Override
    public int hashCode() {
        return byName().hashCode();
    }

    private static String hex(long v) {
        return Long.toHexString(v);
    }
}
