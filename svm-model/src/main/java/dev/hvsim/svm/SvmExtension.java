package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.exec.Family;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * AMD SVM as a {@link CpuExtension} of one CPU (AMD APM Vol. 2 chapter 15): the SVM instructions' opcode rows
 * (0F 01 D8..DF), the SVM MSRs VM_CR (C001_0114) and VM_HSAVE_PA (C001_0117), the EFER.SVME write rule, the
 * global interrupt flag, and the per-CPU SVM state (guest running or not, the current VMCB).
 *
 * <pre>{@code
 * SvmExtension svm = SvmExtension.install(cpu);    // or: every new Cpu of the amd-zen profile has it (SvmProvider)
 * }</pre>
 */
public final class SvmExtension implements CpuExtension, dev.hvsim.x86core.Snapshottable {
    static final int VMRUN = 1, VMMCALL = 2, VMLOAD = 3, VMSAVE = 4, STGI = 5, CLGI = 6, SKINIT = 7, INVLPGA = 8;
    /** VM_CR (APM Vol. 2 15.30.1) and VM_HSAVE_PA (15.30.4). */
    public static final long VM_CR = 0xc0010114L, VM_HSAVE_PA = 0xc0010117L;
    public static final long VM_CR_DPD = 1, VM_CR_R_INIT = 2, VM_CR_DIS_A20M = 4, VM_CR_LOCK = 8, VM_CR_SVMDIS = 16;

    private final Cpu cpu;
    final SvmInstructions insns;
    final Transitions transitions;
    final SvmGuestMode guest;
    final Skinit skinit;
    /** Nested paging, G_PAT and the ASID-tagged TLB (APM Vol. 2 15.16, 15.25). */
    final SvmNestedPaging paging;
    final InstructionIntercepts intercepts;
    final VirtualInterrupts vintr;

    long vmCr;
    long hsavePa;
    boolean gif = true;
    /** The guest's GIF when its last #VMEXIT happened (SvmRoot gives it back to the guest: a virtual GIF). */
    boolean guestGifAtExit = true;
    boolean guestActive;
    /** An intercepted INIT waits for the guest's next instruction boundary ({@link #init}). */
    boolean initExitPending;
    long vmcbPa;

    private SvmExtension(Cpu cpu) {
        this.cpu = cpu;
        this.insns = new SvmInstructions(this);
        this.transitions = new Transitions(this);
        this.guest = new SvmGuestMode(this);
        this.skinit = new Skinit(this);
        this.paging = new SvmNestedPaging(this);
        this.intercepts = new InstructionIntercepts(this);
        this.vintr = new VirtualInterrupts(this);
    }

    /** Installs SVM on {@code cpu} (its profile must advertise Fn8000_0001 ECX[2] for CPUID to report it). */
    public static SvmExtension install(Cpu cpu) {
        SvmExtension x = new SvmExtension(cpu);
        cpu.install(x);
        return x;
    }

    public Cpu cpu() { return cpu; }
    /** The global interrupt flag (APM Vol. 2 15.17). */
    public boolean gif() { return gif; }
    /** A guest is running (between VMRUN and #VMEXIT). */
    public boolean inGuest() { return guestActive; }
    /** The physical address of the VMCB of the running (or last) guest. */
    public long vmcbPa() { return vmcbPa; }
    /** The nested-paging format while a guest with nested paging runs (the debugger's two-stage walk), else null. */
    public dev.hvsim.ept.SecondStageFormat nestedFormat() { return guestActive ? paging.format() : null; }
    public long vmCr() { return vmCr; }
    /**
     * Sets VM_CR without WRMSR's checks: for a Java host that emulates the guest's WRMSR VM_CR itself (nested SVM, where
     * the guest's EFER.SVME is not the CPU's), so that SKINIT and later reads see the guest's value.
     */
    public void setVmCr(long value) { vmCr = value; }
    public long hsavePa() { return hsavePa; }
    /** The last SKINIT executed on this CPU (its SLB, entry offset and image length), or null. */
    public SkinitLaunch lastSkinit() { return skinit.last(); }
    /** The outcome of the last VMRUN that reached its consistency checks, or null. */
    public VmrunOutcome lastVmrunOutcome() { return transitions.last; }

    /** The checks' view of this CPU (for tools that check a VMCB without running it). */
    public VmrunContext vmrunContext() {
        return transitions.context();
    }

    @Override
    public Feature feature() {
        return Feature.SVM;
    }

    /** SVM and SKINIT (Fn8000_0001 ECX[12], APM Vol. 2 15.27; with it, the DEV's SL_DEV protection through the platform). */
    @Override
    public boolean implementsFeature(Feature f) {
        return f == Feature.SVM || f == Feature.SKINIT;
    }

    // ------------------------------------------------------------------ opcode rows

    private static final OpcodeTable TABLE = dev.hvsim.x86core.exec.Exec.table(SvmExtension::rows);

    @Override
    public OpcodeTable opcodeTable() {
        return TABLE;
    }

    @Override
    public void contributeRows(OpcodeTable.Builder b) {
        rows(b);
    }

    /**
     * APM Vol. 3 instruction pages: 0F 01 D8 VMRUN, D9 VMMCALL, DA VMLOAD, DB VMSAVE, DC STGI, DD CLGI, DF INVLPGA
     * (rAX implicit). The rows are #UD in real mode; EFER.SVME, CPL and rAX are checked by the handlers, in the
     * APM's order, so that the intercept check of a guest comes between #UD and #GP. DE is SKINIT EAX ({@link Skinit};
     * the row's feature is SVM because 15.4 also allows it with EFER.SVME = 1 where CPUID lacks the SKINIT bit).
     */
    private static void rows(OpcodeTable.Builder b) {
        int ext = Family.EXTENSION, noReal = OpcodeRow.A_NO_REAL;
        b.row(1, 0x01, "VMRUN", ext, VMRUN).reg(3).rm(0).attrs(noReal).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "VMMCALL", ext, VMMCALL).reg(3).rm(1).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "VMLOAD", ext, VMLOAD).reg(3).rm(2).attrs(noReal).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "VMSAVE", ext, VMSAVE).reg(3).rm(3).attrs(noReal).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "STGI", ext, STGI).reg(3).rm(4).attrs(noReal).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "CLGI", ext, CLGI).reg(3).rm(5).attrs(noReal).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "SKINIT", ext, SKINIT).reg(3).rm(6).attrs(noReal).feature(Feature.SVM).cost("system").add();
        b.row(1, 0x01, "INVLPGA", ext, INVLPGA).reg(3).rm(7).attrs(noReal).feature(Feature.SVM).cost("system").add();
    }

    @Override
    public void execute(Cpu c, DecodedInsn d) {
        switch (d.handler) {
            case VMRUN: insns.vmrun(d); break;
            case VMMCALL: insns.vmmcall(d); break;
            case VMLOAD: insns.vmload(d, true); break;
            case VMSAVE: insns.vmload(d, false); break;
            case STGI: insns.gif(d, true); break;
            case CLGI: insns.gif(d, false); break;
            case SKINIT: skinit.execute(d); break;
            case INVLPGA: insns.invlpga(d); break;
            default: throw ArchFault.ud();
        }
    }

    // ------------------------------------------------------------------ MSRs

    @Override
    public boolean ownsMsr(long index) {
        return index == VM_CR || index == VM_HSAVE_PA;
    }

    @Override
    public long readMsr(Cpu c, long index) {
        return index == VM_CR ? vmCr : hsavePa;
    }

    /**
     * WRMSR VM_CR (APM Vol. 2 15.30.1): bits 63:5 reserved (#GP); with LOCK set, writes to LOCK and SVMDIS are
     * ignored; setting SVMDIS while EFER.SVME = 1 is #GP. WRMSR VM_HSAVE_PA (15.30.4): #GP unless 4 KiB aligned
     * and below 2^MAXPHYADDR.
     */
    @Override
    public void writeMsr(Cpu c, long index, long value) {
        if (index == VM_HSAVE_PA) {
            if ((value & 0xfff) != 0 || (value >>> c.profile().maxPhysAddr()) != 0) {
                throw ArchFault.gp0();
            }
            hsavePa = value;
            return;
        }
        if ((value & ~0x1fL) != 0) {
            throw ArchFault.gp0();
        }
        long locked = VM_CR_LOCK | VM_CR_SVMDIS;
        long nv = (vmCr & VM_CR_LOCK) != 0 ? (value & ~locked) | (vmCr & locked) : value;
        if ((nv & VM_CR_SVMDIS) != 0 && (vmCr & VM_CR_SVMDIS) == 0 && (c.state().efer & Cpu.EFER_SVME) != 0) {
            throw ArchFault.gp0();
        }
        vmCr = nv;
    }

    /** EFER.SVME is MBZ while VM_CR.SVMDIS = 1 (APM Vol. 2 15.30.1): WRMSR EFER setting it is #GP(0). */
    @Override
    public void checkEferWrite(Cpu c, long oldValue, long newValue) {
        if ((newValue & Cpu.EFER_SVME) != 0 && (vmCr & VM_CR_SVMDIS) != 0) {
            throw ArchFault.gp0();
        }
    }

    /**
     * An INIT signal (machine's INIT IPI): GIF = 0 holds it pending (APM Vol. 2 15.17: INIT is among the events GIF
     * holds off), so after a #VMEXIT it waits for the host's STGI. In a guest whose VMCB sets the INIT intercept
     * (word 3 bit 3, Table B-1) it causes #VMEXIT(INIT) (63H, Appendix C; EXITINFO1/2 0) at the next instruction
     * boundary and stays pending: the host, now at GIF = 0, receives it when it sets GIF again, which resets the
     * processor (VM_CR.R_INIT, redirecting it to #SX, has no effect in the model; DEVIATIONS.md). With
     * GIF = 1 and no intercept the platform applies INIT (the CPU's INIT state), in a guest as outside one: the
     * processor leaves guest mode without a #VMEXIT (nothing is written to the VMCB or taken from VM_HSAVE_PA; guest
     * and host state are both gone) and GIF is 1, its reset value (15.17).
     */
    @Override
    public SignalAction init(Cpu c) {
        if (!gif) {
            return SignalAction.HELD;
        }
        if (guestActive && guest.intercepted(V.MISC1, V.M1_INIT)) {
            initExitPending = true;
            c.signalEvent();
            return SignalAction.HELD;
        }
        if (guestActive) {
            guestActive = false;
            initExitPending = false;
            c.setGuestMode(null);
            paging.abandon();
        }
        return SignalAction.PLATFORM;
    }

    /** GIF = 0 holds off NMIs and maskable interrupts (APM Vol. 2 15.17). */
    @Override
    public boolean holdsInterrupts(Cpu c) {
        return !gif;
    }

    /** In a guest with V_INTR_MASKING, MOV from CR8 reads V_TPR (APM Vol. 2 15.21.2). */
    @Override
    public long crReadValue(Cpu c, int cr, long value) {
        return cr == 8 && guestActive ? vintr.cr8Read(value) : value;
    }

    /** A guest's MOV to CR8 sets V_TPR; with V_INTR_MASKING only V_TPR (APM Vol. 2 15.21.2). */
    @Override
    public boolean virtualCr8Write(Cpu c, long value) {
        return guestActive && vintr.cr8Write(c, value);
    }

    @Override
    public long cr4Bits(Cpu c) {
        return 0;
    }

    // ------------------------------------------------------------------ snapshots (the debugger's reverse execution)

    /**
     * The SVM state of this CPU besides RAM (VMCBs and the host-save area live in guest memory, which the machine
     * snapshots): VM_CR, VM_HSAVE_PA, GIF, the guest's GIF at #VMEXIT, whether a guest runs and its VMCB address,
     * the INIT #VMEXIT due at the next boundary,
     * nested paging (translator, ASID, host PAT), the virtual-interrupt state (V_TPR, V_IRQ, V_GIF, the host's IF),
     * the instruction-intercept state (PAUSE filter, MONITOR), the last VMRUN and SKINIT outcomes.
     */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long cr = vmCr, hs = hsavePa, vmcb = vmcbPa;
        boolean g = gif, gAtExit = guestGifAtExit, active = guestActive, initExit = initExitPending;
        dev.hvsim.x86core.Snapshottable.Snapshot np = paging.snapshot(), vi = vintr.snapshot(), tr = transitions.snapshot(), ic = intercepts.snapshot(),
                sk = skinit.snapshot();
        return new dev.hvsim.x86core.Snapshottable.Snapshot() {
            @Override
            public void restore() {
                vmCr = cr;
                hsavePa = hs;
                vmcbPa = vmcb;
                gif = g;
                guestGifAtExit = gAtExit;
                guestActive = active;
                initExitPending = initExit;
                np.restore();
                vi.restore();
                tr.restore();
                ic.restore();
                sk.restore();
            }

            @Override
            public long bytes() {
                return 512;
            }
        };
    }
}
