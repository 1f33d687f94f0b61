package dev.hvsim.x86core;

import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.TripleFault;
import dev.hvsim.x86core.fault.Vectors;

/**
 * Event delivery (SDM Vol. 3A ch. 6): through the real-mode IVT (20.1.4) and the protected-mode and
 * IA-32e IDT (6.12, 6.14) with privilege changes, stack switches from the TSS and IST, error codes with
 * the EXT bit; #DF by the rules of Table 6-5; a fault while delivering #DF is a triple fault (shutdown).
 * Interrupt acceptance at instruction boundaries follows IF, the STI/MOV SS shadows and NMI blocking (6.7,
 * 6.8.3, 6.9).
 */
public final class Interrupts {
    /** How an event arose; it decides the return address, the DPL check and the EXT bit. */
    public enum Kind {
        /** A fault or abort raised by an instruction: return to the faulting instruction. */
        EXCEPTION,
        /** INT n: gate DPL is checked, EXT = 0. */
        SOFTWARE_INT,
        /** INT3 / INTO: like INT n (DPL checked). */
        SOFTWARE_EXCEPTION,
        /** INT1 (ICEBP): privileged software exception, no DPL check. */
        PRIV_SOFTWARE_EXCEPTION,
        /** A trap raised after an instruction completed (single-step #DB). */
        TRAP,
        EXTERNAL,
        NMI
    }

    private final Cpu cpu;

    Interrupts(Cpu cpu) {
        this.cpu = cpu;
    }

    // ------------------------------------------------------------------ entry points

    /**
     * Delivers an event a vendor extension injects as part of VM entry (SDM Vol. 3C 28.6 "Event Injection"; AMD
     * APM Vol. 2 15.20): through the IDT/IVT like any event of {@code kind}, returning to {@code returnRip}, with
     * no intercept asked for the event itself (faults during its delivery are handled as usual).
     */
    public void inject(int vector, int errorCode, Kind kind, long returnRip) {
        deliverChained(vector, errorCode, kind, returnRip);
    }

    /** Delivers a fault raised by the current instruction; RIP points at it. */
    void deliverException(ArchFault f) {
        int v = f.vector();
        if (cpu.guestMode().active()) {
            cpu.guestMode().interceptException(v, f.errorCode(), v == Vectors.PF ? f.cr2() : 0, cpu);
        }
        if (v == Vectors.PF) {
            cpu.s.cr2 = f.cr2();
        }
        deliverChained(v, f.errorCode(), Kind.EXCEPTION, cpu.s.rip);
    }

    /**
     * INT n, INT3, INTO, INT1 from an instruction: delivered with RIP of the next instruction. INT3, INTO
     * and INT1 are exceptions (#BP, #OF, #DB) and so pass the guest mode's exception intercept (VMX
     * exception bitmap, SDM Vol. 3C 26.2; SVM exception intercepts, APM Vol. 2 15.12); INT n does not.
     * The guest mode can tell them from faults through {@link Cpu#current()}.
     */
    public void softwareInterrupt(int vector, Kind kind) {
        if (kind != Kind.SOFTWARE_INT && cpu.guestMode().active()) {
            cpu.guestMode().interceptException(vector, ArchFault.NO_ERROR_CODE, cpu);
        }
        deliverChained(vector, ArchFault.NO_ERROR_CODE, kind, cpu.nextRip);
        cpu.nextRip = cpu.s.rip;
    }

    /** A trap after the instruction retired (e.g. single step): delivered with the updated RIP. */
    void singleStepTrap() {
        if (cpu.inShadow()) {
            return;
        }
        cpu.s.dr[6] |= 0x4000; // DR6.BS (SDM Vol. 3A 18.2.3)
        deliverChained(Vectors.DB, ArchFault.NO_ERROR_CODE, Kind.TRAP, cpu.s.rip);
    }

    /** Accepts a pending NMI or maskable interrupt if nothing blocks it; true when one was delivered. */
    boolean acceptPending() {
        InterruptSource src = cpu.interruptSource();
        if (src == InterruptSource.NONE) {
            return false;
        }
        if (cpu.extension() != null && cpu.extension().holdsInterrupts(cpu)) {
            return false; // e.g. SVM GIF = 0
        }
        boolean shadow = cpu.inShadow();
        if (src.pendingNmi() && !cpu.s.nmiBlocked && !shadow) {
            src.acknowledgeNmi();
            cpu.s.halted = false;
            cpu.s.nmiBlocked = true;
            deliverChained(Vectors.NMI, ArchFault.NO_ERROR_CODE, Kind.NMI, cpu.s.rip);
            return true;
        }
        boolean masked = cpu.guestMode().active() ? cpu.guestMode().maskableInterruptsMasked(cpu)
                : (cpu.s.flagsRest & Flags.IF) == 0;
        if (!masked && !shadow) {
            int v = src.pendingInterrupt();
            if (v >= 0) {
                if (cpu.guestMode().active()) {
                    cpu.guestMode().interceptInterrupt(v, cpu);
                }
                src.acknowledge(v);
                cpu.s.halted = false;
                deliverChained(v, ArchFault.NO_ERROR_CODE, Kind.EXTERNAL, cpu.s.rip);
                return true;
            }
        }
        return false;
    }

    /** Whether a halted CPU could ever be woken: an interrupt source exists and IF = 1 (or NMIs). */
    boolean canEverWake() {
        return cpu.interruptSource() != InterruptSource.NONE;
    }

    // ------------------------------------------------------------------ #DF and shutdown (Table 6-5)

    /** The event being delivered through the IDT (-1: none), for exits during event delivery. */
    private int deliveringVector = -1, deliveringError;
    private Kind deliveringKind;

    /**
     * While an event is being delivered (a fault or a VM exit raised by its delivery: IDT, GDT, stack accesses,
     * a nested-paging refusal): its vector, else -1. A VMX model reports it as IDT-vectoring information (SDM Vol. 3C
     * 29.2.4), an SVM model as EXITINTINFO.
     */
    public int deliveringVector() { return deliveringVector; }
    /** The kind of the event {@link #deliveringVector()} names. */
    public Kind deliveringKind() { return deliveringKind; }
    /** Its error code, or {@link ArchFault#NO_ERROR_CODE}. */
    public int deliveringErrorCode() { return deliveringError; }

    private void deliverChained(int vector, int errorCode, Kind kind, long returnRip) {
        int outerVector = deliveringVector, outerError = deliveringError;
        Kind outerKind = deliveringKind;
        deliveringVector = vector;
        deliveringError = errorCode;
        deliveringKind = kind;
        try {
            deliverOrChain(vector, errorCode, kind, returnRip);
        } finally {
            deliveringVector = outerVector;
            deliveringError = outerError;
            deliveringKind = outerKind;
        }
    }

    private void deliverOrChain(int vector, int errorCode, Kind kind, long returnRip) {
        try {
            deliver(vector, errorCode, kind, returnRip);
        } catch (ArchFault second) {
            int v2 = second.vector();
            if (cpu.guestMode().active()) {
                cpu.guestMode().interceptExceptionBeforeCombining(v2, second.errorCode(),
                        v2 == Vectors.PF ? second.cr2() : 0, cpu);
            }
            if (vector == Vectors.DF && (Vectors.isContributory(v2) || v2 == Vectors.PF)) {
                if (v2 == Vectors.PF) {
                    cpu.s.cr2 = second.cr2();
                }
                throw new TripleFault("fault " + Vectors.name(v2) + " while delivering #DF");
            }
            boolean first = kind == Kind.EXCEPTION || kind == Kind.TRAP;
            boolean df = first && (Vectors.isContributory(vector) && Vectors.isContributory(v2)
                    || vector == Vectors.PF && (Vectors.isContributory(v2) || v2 == Vectors.PF));
            if (cpu.guestMode().active()) {
                cpu.guestMode().interceptException(df ? Vectors.DF : v2, df ? 0 : second.errorCode(),
                        !df && v2 == Vectors.PF ? second.cr2() : 0, cpu);
            }
            if (v2 == Vectors.PF) {
                cpu.s.cr2 = second.cr2(); // CR2 is loaded when the #PF is detected, even if it becomes #DF
            }
            if (df) {
                deliverChained(Vectors.DF, 0, Kind.EXCEPTION, cpu.s.rip);
                return;
            }
            deliverChained(v2, second.errorCode(), Kind.EXCEPTION, cpu.s.rip);
        }
    }

    private static int ext(Kind kind) {
        return kind == Kind.EXCEPTION || kind == Kind.EXTERNAL || kind == Kind.NMI || kind == Kind.TRAP
                || kind == Kind.PRIV_SOFTWARE_EXCEPTION ? 1 : 0;
    }

    // ------------------------------------------------------------------ delivery

    private void deliver(int vector, int errorCode, Kind kind, long returnRip) {
        if (cpu.listener() != null) {
            cpu.listener().onEvent(cpu, vector, errorCode, kind == Kind.EXTERNAL || kind == Kind.NMI);
        }
        if (cpu.realMode()) {
            deliverReal(vector, returnRip);
        } else if (cpu.longMode()) {
            deliverLong(vector, errorCode, kind, returnRip);
        } else {
            deliverProtected(vector, errorCode, kind, returnRip);
        }
    }

    /** Real-address mode: the IVT (SDM Vol. 3A 20.1.4). */
    private void deliverReal(int vector, long returnRip) {
        CpuState s = cpu.s;
        if (vector * 4L + 3 > s.idtrLimit) {
            throw ArchFault.gp0();
        }
        long entry = cpu.readSystem(s.idtrBase + vector * 4L, 4);
        long flags = s.rflags();
        cpu.push(flags & 0xffff, 2);
        cpu.push(s.seg[Reg.CS].selector, 2);
        cpu.push(returnRip & 0xffff, 2);
        s.flagsRest &= ~(Flags.IF | Flags.TF | Flags.AC | Flags.RF);
        int sel = (int) (entry >>> 16) & 0xffff;
        s.seg[Reg.CS].selector = sel;
        s.seg[Reg.CS].base = (long) sel << 4;
        s.rip = entry & 0xffff;
        cpu.nextRip = s.rip;
        cpu.modeChanged();
    }

    /** The gate just read by {@link #readGate}: low and (IA-32e) high quadword. */
    private long gateLo, gateHi;

    /** The event being delivered (vector, error code, kind): a snapshot copies it. */
    Object[] deliveringState() {
        return new Object[] {deliveringVector, deliveringError, deliveringKind};
    }

    void restoreDelivering(Object[] st) {
        deliveringVector = (Integer) st[0];
        deliveringError = (Integer) st[1];
        deliveringKind = (Kind) st[2];
    }
    /** The stack frame being built (at most 10 entries: v8086 segments, SS, SP, FLAGS, CS, IP, error). */
    private final long[] frame = new long[10];

    private void readGate(int vector, int errorBase, int size) {
        CpuState s = cpu.s;
        if ((long) vector * size + size - 1 > s.idtrLimit) {
            throw ArchFault.gp(errorBase);
        }
        gateLo = cpu.readSystem(s.idtrBase + (long) vector * size, 8);
        gateHi = size == 16 ? cpu.readSystem(s.idtrBase + (long) vector * size + 8, 8) : 0;
    }

    /** Gate checks common to both modes; returns the target code-segment descriptor. */
    private long gateTarget(long gate, int vector, Kind kind, int ext, int errorBase, boolean is64) {
        int type = (int) (gate >>> 40) & 0xf;
        int gdpl = (int) (gate >>> 45) & 3;
        boolean valid = is64 ? type == 0xe || type == 0xf : type == 5 || type == 6 || type == 7 || type == 0xe || type == 0xf;
        if (!valid || (gate & (1L << 44)) != 0) {
            throw ArchFault.gp(errorBase);
        }
        boolean software = kind == Kind.SOFTWARE_INT || kind == Kind.SOFTWARE_EXCEPTION;
        if (software && gdpl < cpu.cpl()) {
            throw ArchFault.gp(vector * 8 + 2);
        }
        if ((gate & (1L << 47)) == 0) {
            throw ArchFault.np(errorBase);
        }
        if (type == 5) {
            if (cpu.guestMode().active()) { // a guest mode may exit before the task switch (VMX reason 9)
                cpu.guestMode().interceptTaskSwitch((int) (gate >>> 16) & 0xffff, GuestMode.TASK_SWITCH_IDT_GATE, cpu);
            }
            throw new TripleFault("task gate for vector " + vector + ": hardware task switching is not modelled");
        }
        int sel = (int) (gate >>> 16) & 0xffff;
        if ((sel & 0xfffc) == 0) {
            throw ArchFault.gp(ext);
        }
        long desc = cpu.segmentation().descriptor(sel);
        int attr = Segmentation.attr(desc);
        int dpl = (attr >>> 5) & 3;
        boolean code = (attr & Segment.ATTR_S) != 0 && (attr & 8) != 0;
        if (!code || dpl > cpu.cpl()) {
            throw ArchFault.gp((sel & 0xfffc) | ext);
        }
        if ((attr & Segment.ATTR_P) == 0) {
            throw ArchFault.np((sel & 0xfffc) | ext);
        }
        if (is64 && ((attr & Segment.ATTR_L) == 0 || (attr & Segment.ATTR_DB) != 0)) {
            throw ArchFault.gp((sel & 0xfffc) | ext);
        }
        return desc;
    }

    /** IA-32e mode (SDM Vol. 3A 6.14): 16-byte gates, 64-bit pushes, RSP aligned to 16, IST. */
    private void deliverLong(int vector, int errorCode, Kind kind, long returnRip) {
        CpuState s = cpu.s;
        int ext = ext(kind);
        int errorBase = vector * 8 + 2 + ext;
        readGate(vector, errorBase, 16);
        long g0 = gateLo, g1 = gateHi;
        long desc = gateTarget(g0, vector, kind, ext, errorBase, true);
        int sel = (int) (g0 >>> 16) & 0xffff;
        int attr = Segmentation.attr(desc);
        int dpl = (attr >>> 5) & 3;
        boolean conforming = (attr & 4) != 0;
        int oldCpl = cpu.cpl();
        int newCpl = conforming ? oldCpl : dpl;
        int ist = (int) (g0 >>> 32) & 7;
        long target = (g0 & 0xffff) | ((g0 >>> 32) & 0xffff0000L) | (g1 << 32);
        long rsp;
        boolean stackSwitch = newCpl < oldCpl;
        if (ist != 0) {
            rsp = cpu.segmentation().tssIst(ist);
        } else if (stackSwitch) {
            rsp = cpu.segmentation().tssStack(newCpl);
        } else {
            rsp = s.gpr[Reg.RSP];
        }
        if (!cpu.canonical(target)) {
            throw ArchFault.gp(ext);
        }
        rsp &= ~0xfL;
        boolean user = newCpl == 3;
        long oldSs = s.seg[Reg.SS].selector;
        long oldRsp = s.gpr[Reg.RSP];
        long flags = s.rflags();
        int n = 0;
        frame[n++] = oldSs;
        frame[n++] = oldRsp;
        frame[n++] = flags;
        frame[n++] = s.seg[Reg.CS].selector;
        frame[n++] = returnRip;
        if (errorCode != ArchFault.NO_ERROR_CODE) {
            frame[n++] = errorCode & 0xffffffffL;
        }
        long sp = rsp;
        for (int k = 0; k < n; k++) {
            long v = frame[k];
            sp -= 8;
            if (!cpu.canonical(sp)) {
                throw ArchFault.ss(ext);
            }
            cpu.writeLinearAs(sp, 8, v, user);
        }
        // commit
        if (stackSwitch) {
            s.seg[Reg.SS].set(newCpl, 0, 0, Segment.ATTR_UNUSABLE | (newCpl << 5) | 0x13 | Segment.ATTR_P);
        }
        s.gpr[Reg.RSP] = sp;
        cpu.segmentation().loadCs(sel, desc, newCpl);
        clearFlagsOnDelivery(g0);
        s.rip = target;
        cpu.nextRip = target;
    }

    /** Protected mode (SDM Vol. 3A 6.12.1) including delivery out of virtual-8086 mode (20.3.1.1). */
    private void deliverProtected(int vector, int errorCode, Kind kind, long returnRip) {
        CpuState s = cpu.s;
        int ext = ext(kind);
        int errorBase = vector * 8 + 2 + ext;
        if (cpu.v86() && (kind == Kind.SOFTWARE_INT) && s.iopl() < 3) {
            throw ArchFault.gp0(); // INT n in v8086 with IOPL < 3 (SDM Vol. 3A 20.3.3, no VME)
        }
        readGate(vector, errorBase, 8);
        long g0 = gateLo;
        long desc = gateTarget(g0, vector, kind, ext, errorBase, false);
        int sel = (int) (g0 >>> 16) & 0xffff;
        int gtype = (int) (g0 >>> 40) & 0xf;
        boolean gate32 = (gtype & 8) != 0;
        int width = gate32 ? 4 : 2;
        int attr = Segmentation.attr(desc);
        int dpl = (attr >>> 5) & 3;
        boolean conforming = (attr & 4) != 0;
        boolean fromV86 = cpu.v86();
        int oldCpl = cpu.cpl();
        int newCpl = conforming ? oldCpl : dpl;
        if (fromV86 && newCpl != 0) {
            throw ArchFault.gp((sel & 0xfffc) | ext);
        }
        long target = (g0 & 0xffff) | ((g0 >>> 32) & 0xffff0000L);
        if (!gate32) {
            target &= 0xffff;
        }
        if (Long.compareUnsigned(target, Segmentation.limit(desc)) > 0) {
            throw ArchFault.gp(ext);
        }
        long flags = s.rflags();
        boolean stackSwitch = newCpl < oldCpl;
        int newSsSel;
        long newSsDesc = 0;
        long sp;
        long ssBase;
        boolean ssBig;
        if (stackSwitch) {
            long t = cpu.segmentation().tssStack(newCpl);
            newSsSel = (int) (t >>> 32) & 0xffff;
            sp = t & 0xffffffffL;
            newSsDesc = checkNewSs(newSsSel, newCpl, ext);
            ssBase = Segmentation.base(newSsDesc);
            ssBig = (newSsDesc & (1L << 54)) != 0;
        } else {
            newSsSel = s.seg[Reg.SS].selector;
            sp = s.gpr[Reg.RSP];
            ssBase = s.seg[Reg.SS].base;
            ssBig = s.seg[Reg.SS].big();
        }
        long spMask = ssBig ? 0xffffffffL : 0xffffL;
        int n = 0;
        if (stackSwitch) {
            if (fromV86) {
                frame[n++] = s.seg[Reg.GS].selector;
                frame[n++] = s.seg[Reg.FS].selector;
                frame[n++] = s.seg[Reg.DS].selector;
                frame[n++] = s.seg[Reg.ES].selector;
            }
            frame[n++] = s.seg[Reg.SS].selector;
            frame[n++] = s.gpr[Reg.RSP];
        }
        frame[n++] = flags;
        frame[n++] = s.seg[Reg.CS].selector;
        frame[n++] = returnRip;
        if (errorCode != ArchFault.NO_ERROR_CODE) {
            frame[n++] = errorCode & 0xffffffffL;
        }
        boolean user = newCpl == 3;
        long p = sp;
        for (int k = 0; k < n; k++) {
            long v = frame[k];
            p = (p - width) & spMask;
            cpu.writeLinearAs((ssBase + p) & 0xffffffffL, width, v, user);
        }
        // commit
        if (stackSwitch) {
            cpu.segmentation().setAccessed(newSsSel, newSsDesc);
            s.seg[Reg.SS].set(newSsSel, ssBase, Segmentation.limit(newSsDesc), Segmentation.attr(newSsDesc) | 1);
        }
        s.gpr[Reg.RSP] = ssBig ? p : (s.gpr[Reg.RSP] & ~0xffffL) | p;
        if (fromV86) {
            for (int r = Reg.ES; r <= Reg.GS; r++) {
                if (r != Reg.CS && r != Reg.SS) {
                    s.seg[r].set(0, 0, 0, Segment.ATTR_UNUSABLE);
                }
            }
            s.flagsRest &= ~Flags.VM;
        }
        clearFlagsOnDelivery(g0);
        cpu.segmentation().loadCs(sel, desc, newCpl);
        s.rip = target;
        cpu.nextRip = target;
    }

    private long checkNewSs(int ssSel, int newCpl, int ext) {
        if ((ssSel & 0xfffc) == 0) {
            throw ArchFault.ts(ext);
        }
        long d;
        try {
            d = cpu.segmentation().descriptor(ssSel);
        } catch (ArchFault f) {
            throw ArchFault.ts((ssSel & 0xfffc) | ext);
        }
        int attr = Segmentation.attr(d);
        int type = attr & 0xf;
        if ((ssSel & 3) != newCpl || ((attr >>> 5) & 3) != newCpl || (attr & Segment.ATTR_S) == 0
                || (type & 8) != 0 || (type & 2) == 0) {
            throw ArchFault.ts((ssSel & 0xfffc) | ext);
        }
        if ((attr & Segment.ATTR_P) == 0) {
            throw ArchFault.ss((ssSel & 0xfffc) | ext);
        }
        return d;
    }

    /** TF, NT, RF and VM are cleared; an interrupt gate also clears IF (SDM Vol. 3A 6.12.1.3). */
    private void clearFlagsOnDelivery(long gate) {
        CpuState s = cpu.s;
        int type = (int) (gate >>> 40) & 0xf;
        s.flagsRest &= ~(Flags.TF | Flags.NT | Flags.RF | Flags.VM);
        if ((type & 1) == 0) {
            s.flagsRest &= ~Flags.IF;
        }
    }
}
