package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.VmTransition;
import dev.hvsim.x86core.bus.PhysicalBus;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.exec.MsrAccess;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * VMRUN as snapshot, check, commit and #VMEXIT (AMD APM Vol. 2 15.5 "VMRUN Instruction", 15.6 "#VMEXIT", 15.20
 * "Event Injection"). Host state goes to VM_HSAVE_PA in hvsim's own layout, which is the VMCB state-save area's
 * (DEVIATIONS.md): the save-area offsets of ES, CS, SS, DS, GDTR, IDTR, EFER, CR0, CR3, CR4, RFLAGS, RIP (the
 * instruction after VMRUN), RSP, RAX and CPL at VM_HSAVE_PA + the same offset.
 *
 * <p>Every #VMEXIT, VMEXIT_INVALID included, ends with a {@link VmExitSignal} carrying an {@link SvmExit}, or, where
 * the intercept's caller returns at once to the core's step, with the core's {@code exitWithoutUnwinding} (the same
 * outcome without the JVM's exception unwinding): the run stops with {@code StopReason.VM_EXIT}, the host state
 * loaded; root-mode x86 code continues after its VMRUN.
 */
final class Transitions {
    private static final long CR0_KEEP = Cpu.CR0_ET;
    private static final java.lang.invoke.VarHandle SHORT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private final SvmExtension x;
    VmrunOutcome last;
    /** This CPU's VMRUN snapshot, refilled by every VMRUN (no allocation per VMRUN). */
    private final VmcbSnapshot snapshot = VmcbSnapshot.perCpu();
    /** The inputs of the last VMRUN whose checks passed (rules are not evaluated again when none changed). */
    private final VmrunCheckMemo memo = new VmrunCheckMemo();
    /** The checks' context, rebuilt only when one of its scalars changes (the memo compares it by identity). */
    private VmrunContext context;
    /**
     * The RAM page of the VMCB at {@code x.vmcbPa} as the last VMRUN found it (null: the VMCB is not a page of plain
     * RAM; the bus is used): #VMEXIT, the intercept checks and {@link SvmRoot} read and write the VMCB in it directly.
     */
    byte[] vmcbPage;
    /** The VM_HSAVE_PA page the last VMRUN saved the host state to ({@link #hsavePa}), or null (the bus). */
    private byte[] hsavePage;
    private long hsavePa = -1;
    /** The host state #VMEXIT reads from VM_HSAVE_PA ({@link #loadHost}), refilled by each: no allocation per exit. */
    private final VmcbSnapshot hostState = VmcbSnapshot.perCpu();
    /** Fn8000_000A EDX[VGIF] of this CPU's profile (its CPUID table is fixed): -1 until first asked. */
    private int vgif = -1;

    Transitions(SvmExtension x) {
        this.x = x;
    }

    /**
     * The VMRUN checks' view of this CPU: a new object only when MAXPHYADDR, the supported EFER/CR4 bits or the
     * host's CR0 differ from the last one's. Its memory reader tells the memo that a rule read memory.
     */
    VmrunContext context() {
        Cpu c = x.cpu();
        int maxPa = c.profile().maxPhysAddr();
        long efer = (c.has(Feature.SYSCALL) ? Cpu.EFER_SCE : 0) | (c.has(Feature.LM) ? Cpu.EFER_LME | Cpu.EFER_LMA : 0)
                | (c.has(Feature.NX) ? Cpu.EFER_NXE : 0) | Cpu.EFER_SVME;
        long cr4 = MsrAccess.cr4Allowed(c), hostCr0 = c.state().cr0;
        VmrunContext k = context;
        if (k == null || k.maxPhysAddr() != maxPa || k.eferAllowed() != efer || k.cr4Allowed() != cr4
                || k.hostCr0() != hostCr0) {
            VmrunCheckMemo m = memo;
            k = context = new VmrunContext(maxPa, efer, cr4, (pa, size) -> {
                m.touched();
                return c.bus().read(pa, (int) size);
            }, hostCr0);
        }
        return k;
    }

    /** VMRUN with a valid VMCB address: save host state, snapshot, check, then commit or VMEXIT_INVALID. */
    void vmrun(long vmcbPa) {
        Cpu c = x.cpu();
        saveHost(c);
        VmcbSnapshot v = snapshot;
        vmcbPage = v.refill(c.bus(), vmcbPa);
        VmrunOutcome o = memo.check(v, context());
        last = o;
        x.vmcbPa = vmcbPa;
        if (o.kind() == VmrunOutcome.Kind.VMEXIT_INVALID) {
            PhysicalBus b = c.bus();
            b.write(vmcbPa + V.EXITCODE, 8, ExitCode.INVALID);
            b.write(vmcbPa + V.EXITINFO1, 8, 0);
            b.write(vmcbPa + V.EXITINFO2, 8, 0);
            b.write(vmcbPa + V.EXITINTINFO, 8, 0);
            if (c.listener() != null) {
                java.util.List<String> rules = new java.util.ArrayList<>();
                for (VmrunViolation r : o.violations()) {
                    rules.add(r.toString());
                }
                c.listener().onVmEntryFailed(c, new VmTransition(VmTransition.Kind.ENTRY_FAILED, "VMCB",
                        ExitCode.INVALID, 0, c.state().rip, true, rules));
            }
            loadHost(c);
            // 15.6/15.17: GIF is 0 after every #VMEXIT, VMEXIT_INVALID included (Bochs' Svm_Vmexit; KVM commit
            // f85a6ce "KVM: nSVM: Clear GIF on nested #VMEXIT(INVALID)", citing the APM)
            x.gif = false;
            throw new VmExitSignal(new SvmExit(ExitCode.INVALID, 0, 0, 0, 0, 0, o.violations()));
        }
        commit(c, v);
        if (c.listener() != null) {
            c.listener().onVmEntry(c, new VmTransition(VmTransition.Kind.ENTRY, "VMCB", 0, 0, c.state().rip, false,
                    java.util.List.of()));
        }
    }

    /** 15.5.1: load the guest state of the snapshot, enter guest mode, deliver EVENTINJ. */
    private void commit(Cpu c, VmcbSnapshot v) {
        x.paging.enter(v); // the guest's TLB context (ASID, N_CR3) and nested tables, host registers still loaded
        CpuState s = c.state();
        long hostRflags = s.rflags();
        s.efer = v.q(V.EFER);
        s.cr0 = v.q(V.CR0) | CR0_KEEP;
        s.cr2 = v.q(V.CR2);
        s.cr3 = v.q(V.CR3);
        s.cr4 = v.q(V.CR4);
        s.dr[6] = v.q(V.DR6);
        s.dr[7] = v.q(V.DR7);
        // EFER.LMA = LME && PG (15.5.1: VMRUN does not check the stored LMA, it derives it)
        s.efer = (s.efer & Cpu.EFER_LME) != 0 && (s.cr0 & Cpu.CR0_PG) != 0 ? s.efer | Cpu.EFER_LMA
                : s.efer & ~Cpu.EFER_LMA;
        loadSegment(v, V.seg(Reg.ES), s.seg[Reg.ES]);
        loadSegment(v, V.seg(Reg.CS), s.seg[Reg.CS]);
        loadSegment(v, V.seg(Reg.SS), s.seg[Reg.SS]);
        loadSegment(v, V.seg(Reg.DS), s.seg[Reg.DS]);
        s.gdtrBase = v.q(V.GDTR + 8);
        s.gdtrLimit = (int) v.get(V.GDTR + 4, 4);
        s.idtrBase = v.q(V.IDTR + 8);
        s.idtrLimit = (int) v.get(V.IDTR + 4, 4);
        s.setRflags(v.q(V.RFLAGS));
        s.rip = v.q(V.RIP);
        s.gpr[Reg.RSP] = v.q(V.RSP);
        s.gpr[Reg.RAX] = v.q(V.RAX);
        s.halted = false;
        s.stiShadow = false;
        s.movSsShadow = false;
        c.setCpl((int) v.get(V.CPL, 1) & 3);
        c.modeChanged();
        boolean np = x.paging.enabled();
        if (!np && c.pagingEnabled() && c.cr4(Cpu.CR4_PAE) && !c.longMode()) {
            c.mmu().loadPdptes(s.cr3);
        }
        x.gif = true;
        x.guestActive = true;
        c.setGuestMode(x.guest);
        // Table B-1 TSC_OFFSET "to be added in RDTSC and RDTSCP"; the model adds it to RDMSR TSC too (DEVIATIONS.md)
        c.setGuestTsc(1L << 48, v.q(V.TSC_OFFSET)); // multiplier 1.0: TSC_RATIO is not implemented
        if (vgif < 0) {
            vgif = advertised(c, SvmFeatures.VGIF) ? 1 : 0;
        }
        x.vintr.load(v.q(V.VINTR), hostRflags, vgif == 1); // 15.21
        x.intercepts.entered(v.get(V.PAUSE_FILTER_COUNT, 2)); // 15.14.4
        c.signalEvent(); // GIF is 1 and the guest's masking applies: pending events are looked at again
        c.nextRip = s.rip;
        x.paging.guestLoaded(v); // G_PAT, TLB_CONTROL; a nested PAE guest's PDPTEs (may #VMEXIT(NPF))
        if ((v.q(V.INT_SHADOW) & 1) != 0) {
            c.beginStiShadow();
        }
        inject(c, v);
    }

    /** 15.20: EVENTINJ (vector 7:0, TYPE 10:8, EV 11, V 31, ERRORCODE 63:32), delivered through the guest IDT. */
    private static void inject(Cpu c, VmcbSnapshot v) {
        long e = v.q(V.EVENTINJ);
        if ((e >>> 31 & 1) == 0) {
            return;
        }
        int vector = (int) e & 0xff, type = (int) (e >>> 8) & 7;
        int err = (e >>> 11 & 1) != 0 ? (int) (e >>> 32) : ArchFault.NO_ERROR_CODE;
        Interrupts.Kind kind;
        switch (type) {
            case 0: kind = Interrupts.Kind.EXTERNAL; break;
            case 2: kind = Interrupts.Kind.NMI; break;
            case 4: kind = Interrupts.Kind.SOFTWARE_INT; break;
            default: kind = Interrupts.Kind.EXCEPTION; break; // 3 (the checks refused the reserved types)
        }
        c.interrupts().inject(vector, err, kind, c.state().rip);
        c.nextRip = c.state().rip;
    }

    /**
     * #VMEXIT (15.6): write EXITCODE, EXITINFO1/2, EXITINTINFO and NRIP, save the guest state into the VMCB, clear
     * EVENTINJ.V, load the host state from VM_HSAVE_PA, clear GIF, then signal.
     */
    void exit(long code, long info1, long info2, long nrip) {
        // A small method that only throws: where the JIT inlines it into the step loop that catches the signal, the
        // throw is a jump there instead of a stack unwind through the runtime (the work is in complete).
        throw new VmExitSignal(complete(code, info1, info2, nrip));
    }

    /**
     * {@link #exit} without the signal, for callers that return at once to the core's step: an instruction intercept
     * checked by the step's central checks, a non-string IOIO intercept, the MSR intercept, an SVM instruction's
     * intercept (VMMCALL, VMRUN, ...). The core ends the step with the exit exactly as if it had been thrown (x86-core
     * {@code Cpu.exitWithoutUnwinding}: the instruction does not retire), without the JVM unwinding the frames in
     * between. The caller must not touch the CPU after this: the host state is loaded.
     */
    void exitWithoutUnwinding(long code, long info1, long info2, long nrip) {
        x.cpu().exitWithoutUnwinding(complete(code, info1, info2, nrip));
    }

    /** Everything a #VMEXIT does (15.6) before the run stops; returns its record. */
    private SvmExit complete(long code, long info1, long info2, long nrip) {
        Cpu c = x.cpu();
        CpuState s = c.state();
        PhysicalBus b = c.bus();
        long pa = x.vmcbPa;
        byte[] p = vmcbPage;
        put8(b, p, pa, V.EXITCODE, code);
        put8(b, p, pa, V.EXITINFO1, info1);
        put8(b, p, pa, V.EXITINFO2, info2);
        long intInfo = exitIntInfo(c);
        put8(b, p, pa, V.EXITINTINFO, intInfo);
        if (nripSave(c)) {
            put8(b, p, pa, V.NRIP, nrip);
        } else {
            nrip = 0;   // 15.7.1: NRIP is saved only with CPUID Fn8000_000A EDX[NRIPS]; the field is left alone
        }
        // 068H: bit 0 INTERRUPT_SHADOW, bit 1 GUEST_INTERRUPT_MASK = the guest's RFLAGS.IF (15.21.5, Table B-1)
        boolean guestIf = (s.flagsRest & dev.hvsim.x86core.Flags.IF) != 0;
        put8(b, p, pa, V.INT_SHADOW, (c.inShadow() ? 1 : 0) | (guestIf ? 2 : 0));
        put8(b, p, pa, V.VINTR, x.vintr.store(get8(b, p, pa, V.VINTR))); // V_TPR, V_IRQ (, V_GIF) back (15.21)
        if (code != ExitCode.EXCP_BASE + 14 && code != ExitCode.NPF) { // those two fill the bytes themselves
            put1(b, p, pa, V.INSN_BYTES, 0); // 15.8.4: other intercepts clear the byte count
        }
        c.clearGuestTsc();
        put8(b, p, pa, V.EVENTINJ, get8(b, p, pa, V.EVENTINJ) & ~(1L << 31));
        long guestRip = s.rip;
        saveState(c, b, p, pa);
        put8(b, p, pa, V.CR2, s.cr2);
        put8(b, p, pa, V.DR6, s.dr[6]);
        put8(b, p, pa, V.DR7, s.dr[7]);
        x.guestActive = false;
        x.initExitPending = false; // an intercepted INIT not yet taken stays pending at the platform (GIF = 0 now)
        c.setGuestMode(null);
        x.paging.leave(pa);
        loadHost(c);
        x.guestGifAtExit = x.gif;
        x.gif = false;
        if (c.listener() != null) {
            c.listener().onVmExit(c, new VmTransition(VmTransition.Kind.EXIT, "VMCB", code, info1, guestRip, true,
                    java.util.List.of()));
        }
        return new SvmExit(code, info1, info2, intInfo, nrip, guestRip, java.util.List.of());
    }

    /**
     * EXITINTINFO (APM Vol. 2 15.7.2 "Intercepts During IDT Interrupt Delivery"): when the #VMEXIT happens while an
     * event is being delivered through the guest IDT (x86-core's {@code Interrupts.deliveringVector}: a fault or
     * intercept during the delivery, the event injected by VMRUN included), the event in the EVENTINJ format:
     * vector 7:0, TYPE 10:8 (0 INTR, 2 NMI, 3 exception, 4 software interrupt INTn), EV 11, V 31, error code 63:32.
     * A #DF intercepted after combining reports the event whose delivery faulted (15.7.3 pseudo-code: EXITINTINFO is
     * the event recorded before combining; Bochs reports none: DEVIATIONS.md). INT1, INT3 and INTO are TYPE 3.
     */
    static long exitIntInfo(Cpu c) {
        Interrupts in = c.interrupts();
        int vector = in.deliveringVector();
        if (vector < 0) {
            return 0;
        }
        int type;
        switch (in.deliveringKind()) {
            case EXTERNAL: type = 0; break;
            case NMI: type = 2; break;
            case SOFTWARE_INT: type = 4; break;
            default: type = 3; break; // faults, traps, INT3/INTO/INT1
        }
        int err = in.deliveringErrorCode();
        long info = vector & 0xff | type << 8 | 1L << 31;
        return err == ArchFault.NO_ERROR_CODE ? info : info | 1L << 11 | (err & 0xffffffffL) << 32;
    }

    /** Fn8000_000A EDX[NRIPS] of this CPU's profile, looked up once (-1: not yet). */
    private int nrips = -1;

    private boolean nripSave(Cpu c) {
        if (nrips < 0) {
            nrips = advertised(c, SvmFeatures.NRIPS) ? 1 : 0;
        }
        return nrips == 1;
    }

    /** Whether this CPU's profile advertises an Fn8000_000A EDX feature bit. */
    static boolean advertised(Cpu c, int edxBit) {
        return (c.cpuidTable().exact(0x8000000aL, 0, 3) >>> edxBit & 1) != 0;
    }

    /**
     * The state VMRUN saves/loads, in save-area layout at {@code pa} (guest VMCB or the host save area): into
     * {@code page} when it is the RAM page at {@code pa}, else through the bus.
     */
    private static void saveState(Cpu c, PhysicalBus b, byte[] p, long pa) {
        CpuState s = c.state();
        storeSegment(b, p, pa, V.seg(Reg.ES), s.seg[Reg.ES]);
        storeSegment(b, p, pa, V.seg(Reg.CS), s.seg[Reg.CS]);
        storeSegment(b, p, pa, V.seg(Reg.SS), s.seg[Reg.SS]);
        storeSegment(b, p, pa, V.seg(Reg.DS), s.seg[Reg.DS]);
        put4(b, p, pa, V.GDTR + 4, s.gdtrLimit);
        put8(b, p, pa, V.GDTR + 8, s.gdtrBase);
        put4(b, p, pa, V.IDTR + 4, s.idtrLimit);
        put8(b, p, pa, V.IDTR + 8, s.idtrBase);
        put1(b, p, pa, V.CPL, c.cpl());
        put8(b, p, pa, V.EFER, s.efer);
        put8(b, p, pa, V.CR0, s.cr0);
        put8(b, p, pa, V.CR3, s.cr3);
        put8(b, p, pa, V.CR4, s.cr4);
        put8(b, p, pa, V.RFLAGS, s.rflags());
        put8(b, p, pa, V.RIP, s.rip);
        put8(b, p, pa, V.RSP, s.gpr[Reg.RSP]);
        put8(b, p, pa, V.RAX, s.gpr[Reg.RAX]);
    }

    /**
     * Host state into VM_HSAVE_PA; RIP is the instruction after VMRUN. The page is looked up once here and kept for
     * the #VMEXIT that reloads it ({@link #hostArea}).
     */
    private void saveHost(Cpu c) {
        long hsave = x.hsavePa;
        hsavePa = hsave;
        hsavePage = pageOf(c.bus(), hsave);
        long rip = c.state().rip;
        c.state().rip = c.nextRip;
        try {
            saveState(c, c.bus(), hsavePage, hsave);
        } finally {
            c.state().rip = rip;
        }
    }

    /** Host state from VM_HSAVE_PA (15.6: the host continues after its VMRUN at CPL 0). */
    private void loadHost(Cpu c) {
        VmcbSnapshot h = hostArea(c);
        CpuState s = c.state();
        loadSegment(h, V.seg(Reg.ES), s.seg[Reg.ES]);
        loadSegment(h, V.seg(Reg.CS), s.seg[Reg.CS]);
        loadSegment(h, V.seg(Reg.SS), s.seg[Reg.SS]);
        loadSegment(h, V.seg(Reg.DS), s.seg[Reg.DS]);
        s.gdtrBase = h.q(V.GDTR + 8);
        s.gdtrLimit = (int) h.get(V.GDTR + 4, 4);
        s.idtrBase = h.q(V.IDTR + 8);
        s.idtrLimit = (int) h.get(V.IDTR + 4, 4);
        s.efer = h.q(V.EFER);
        s.cr0 = h.q(V.CR0) | Cpu.CR0_PE;
        s.cr3 = h.q(V.CR3);
        s.cr4 = h.q(V.CR4);
        s.setRflags(h.q(V.RFLAGS));
        s.rip = h.q(V.RIP);
        s.gpr[Reg.RSP] = h.q(V.RSP);
        s.gpr[Reg.RAX] = h.q(V.RAX);
        s.dr[7] = 0x400;
        s.stiShadow = false;
        s.movSsShadow = false;
        s.halted = false;
        c.nextRip = s.rip;
        c.setCpl(0);
        c.modeChanged();
        x.paging.hostLoaded(); // the host's TLB context: no flush unless its paging controls changed
        if (c.pagingEnabled() && c.cr4(Cpu.CR4_PAE) && !c.longMode()) {
            c.mmu().loadPdptes(s.cr3);
        }
    }

    /**
     * The host state in the save area at VM_HSAVE_PA, read now: from the RAM page when VM_HSAVE_PA is a page of plain
     * RAM (its MSR requires 4 KiB alignment; the page the VMRUN saved to, unless VM_HSAVE_PA changed since), else
     * through the bus.
     */
    private VmcbSnapshot hostArea(Cpu c) {
        long pa = x.hsavePa;
        VmcbSnapshot h = hostState;
        h.refillHostState(c.bus(), pa == hsavePa ? hsavePage : pageOf(c.bus(), pa), pa);
        return h;
    }

    /**
     * Writes {@code size} (1, 2, 4, 8) bytes of {@code v} at {@code pa + off} of a VMCB or host save area: in the RAM
     * page's array when {@code page} is the page at {@code pa} (as vmcs' PageVmcsMemory does for a VMCS; the model's
     * own writes are not reported to the bus's write observers, DEVIATIONS.md), else through the bus.
     */
    static void put(PhysicalBus b, byte[] page, long pa, int off, int size, long v) {
        if (page == null) {
            b.write(pa + off, size, v);
            return;
        }
        switch (size) {
            case 1: page[off] = (byte) v; break;
            case 2: SHORT.set(page, off, (short) v); break;
            case 4: INT.set(page, off, (int) v); break;
            default: LONG.set(page, off, v); break;
        }
    }

    /*
     * One method per size for #VMEXIT's and VMRUN's own fields: each inlines one VarHandle access (the size switch of
     * put/get is not folded before C2 inlines its cases, so every put would count four accesses against the inlining
     * budget of the long methods that call it, and the last ones were left as calls).
     */

    /** {@code put(b, page, pa, off, 8, v)}. */
    static void put8(PhysicalBus b, byte[] page, long pa, int off, long v) {
        if (page == null) {
            b.write(pa + off, 8, v);
        } else {
            LONG.set(page, off, v);
        }
    }

    /** {@code put(b, page, pa, off, 4, v)}. */
    static void put4(PhysicalBus b, byte[] page, long pa, int off, long v) {
        if (page == null) {
            b.write(pa + off, 4, v);
        } else {
            INT.set(page, off, (int) v);
        }
    }

    /** {@code put(b, page, pa, off, 1, v)}. */
    static void put1(PhysicalBus b, byte[] page, long pa, int off, long v) {
        if (page == null) {
            b.write(pa + off, 1, v);
        } else {
            page[off] = (byte) v;
        }
    }

    /** Reads 8 bytes at {@code pa + off}: from {@code page} when it is the RAM page at {@code pa}, else the bus. */
    static long get8(PhysicalBus b, byte[] page, long pa, int off) {
        return page == null ? b.read(pa + off, 8) : (long) LONG.get(page, off);
    }

    /** Reads {@code size} (1, 2, 4, 8) bytes at {@code pa + off}, as {@link #get} does for 8. */
    static long get(PhysicalBus b, byte[] page, long pa, int off, int size) {
        if (page == null) {
            return b.read(pa + off, size);
        }
        switch (size) {
            case 1: return page[off] & 0xffL;
            case 2: return (short) SHORT.get(page, off) & 0xffffL;
            case 4: return (int) INT.get(page, off) & 0xffffffffL;
            default: return (long) LONG.get(page, off);
        }
    }

    /** The RAM page of a page-aligned area at {@code pa} whose fields all lie in it, or null (use the bus). */
    static byte[] pageOf(PhysicalBus b, long pa) {
        return (pa & 0xfff) == 0 ? b.ramPage(pa) : null;
    }

    /** SVM's compressed attrib (bits 7:0 type/S/DPL/P, 11:8 AVL/L/DB/G) from x86-core's (AVL/L/DB/G at 15:12). */
    static int svmAttr(int attr) {
        return (attr & 0xff) | (attr >>> 4 & 0xf00);
    }

    static int coreAttr(int svm) {
        return (svm & 0xff) | (svm & 0xf00) << 4;
    }

    static void loadSegment(VmcbSnapshot v, int off, Segment sg) {
        int attr = coreAttr((int) v.get(off + 2, 2));
        sg.set((int) v.get(off, 2), v.q(off + 8), v.get(off + 4, 4), (attr & Segment.ATTR_P) == 0
                ? attr | Segment.ATTR_UNUSABLE : attr);
    }

    static void storeSegment(Cpu c, long pa, int off, Segment sg) {
        storeSegment(c.bus(), null, pa, off, sg);
    }

    private static void storeSegment(PhysicalBus b, byte[] page, long pa, int off, Segment sg) {
        // selector (2 bytes), attrib (2), limit (4): one 8-byte word (segments are 16-byte aligned in the save area)
        put8(b, page, pa, off, sg.selector & 0xffffL | (svmAttr(sg.attr) & 0xffffL) << 16
                | (sg.limit & 0xffffffffL) << 32);
        put8(b, page, pa, off + 8, sg.base);
    }

    /** The last VMRUN outcome and the VMCB and host-save pages it found (with VM_HSAVE_PA). */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        // The pages VMRUN found are kept as a pair with the address they belong to: a restore back into a guest uses
        // that guest's VMCB and host-save pages at its #VMEXIT (RAM restores keep page arrays' identity). The check
        // memo and the context need no restoring: the memo compares values, the context its scalars.
        VmrunOutcome l = last;
        byte[] vp = vmcbPage, hp = hsavePage;
        long ha = hsavePa;
        return () -> {
            last = l;
            vmcbPage = vp;
            hsavePage = hp;
            hsavePa = ha;
        };
    }
}
