package dev.hvsim.vmm;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hvsim.svm.SvmExit;
import dev.hvsim.svm.SvmRoot;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import java.io.IOException;

/**
 * A vCPU in SVM guest mode through {@link SvmRoot}. SVM runs real-mode and protected-mode guests directly (APM Vol. 2
 * 15.5: VMRUN loads CR0 as given; paged real mode is the only forbidden combination). The guest's EFER.SVME must be
 * 1 (15.5.1, rule SVM-VMRUN-EFER-SVME), so the VMM intercepts RDMSR/WRMSR of EFER and keeps SVME hidden from the
 * guest. Memory is given through nested paging when the profile has it (NP_ENABLE, N_CR3; APM 15.25), backed lazily
 * like EPT.
 */
final class SvmVcpu extends Vcpu {
    // VMCB offsets (APM Vol. 2 Appendix B, Tables B-1 and B-2)
    private static final int MISC1 = 0x00c, MISC2 = 0x010, IOPM = 0x040, MSRPM = 0x048, ASID = 0x058,
            NESTED_CTL = 0x090, N_CR3 = 0x0b0,
            EXITINTINFO = 0x088, RIP = 0x578, EFER = 0x4d0, CR0 = 0x558, CR3 = 0x550, CR4 = 0x548;
    private static final int VINTR = 0x060, INT_SHADOW = 0x068;
    private static final long V_IRQ = 1L << 8, V_IGN_TPR = 1L << 20;
    private static final int M1_VINTR = 4, M1_INTR = 0, M1_CPUID = 18, M1_HLT = 24, M1_IOIO = 27, M1_MSR = 28, M1_SHUTDOWN = 31;
    private static final String[] SEG = {"ES", "CS", "SS", "DS", "FS", "GS"};
    private final SvmRoot root;
    private long misc1;
    private long vmcb01;
    private long hostCr3;
    /** Nested SVM for this vCPU's guest (null: SVM hidden from it). */
    final NestedSvm nested;

    SvmVcpu(Vmm vmm, int index, Cpu cpu, boolean nested) {
        super(vmm, index, cpu);
        this.root = SvmRoot.of(cpu);
        this.nested = nested ? new NestedSvm(this, vmm.machine().cpus().size()) : null;
    }

    SvmRoot root() { return root; }

    @Override
    boolean inGuest() {
        return root.extension().inGuest();
    }

    @Override
    boolean launch() {
        CpuState g = cpu.state().copy();
        int cpl = cpu.cpl();
        VmmMemory mem = vmm.memory();
        level = 1;
        if (root.vmcbAddress() < 0) {
            root.enable(mem.allocate(1));
            vmcb01 = mem.allocate(1);
            root.select(vmcb01);
            InterceptPolicy p = vmm.policy();
            long iopm = mem.allocate(3), msrpm = mem.allocate(2);
            if (p.io()) {
                mem.fill(iopm, 3 * 4096, 0xff);
            }
            if (p.msr()) {
                mem.fill(msrpm, 2 * 4096, 0xff);
            } else {
                mem.write(msrpm + 0x820 - VmmMemory.BASE, 1, 3); // EFER (C000_0080) read and write: SVME is hidden
            }
            misc1 = 1L << M1_CPUID | 1L << M1_IOIO | 1L << M1_MSR | 1L << M1_SHUTDOWN | (p.hlt() ? 1L << M1_HLT : 0)
                    | (p.interrupts() ? 1L << M1_INTR | 1L << M1_VINTR : 0); // 15.13.1 INTR, 15.13.5 VINTR
            root.writeOffset(MISC1, 4, misc1);
            root.writeOffset(MISC2, 4, 3); // VMRUN (required, SVM-VMRUN-INTERCEPT), VMMCALL
            root.writeOffset(IOPM, 8, iopm);
            root.writeOffset(MSRPM, 8, msrpm);
            root.writeOffset(ASID, 4, index + 1);
            if (vmm.ept() != null) { // 15.25.3: NP_ENABLE, N_CR3 in the host's (long-mode) format
                root.writeOffset(NESTED_CTL, 8, 1);
                root.writeOffset(N_CR3, 8, vmm.ept().root());
            }
            hostCr3 = mem.allocate(1);
        }
        if (nested != null) {
            nested.launched(vmcb01, g.efer); // INIT/SIPI of a vCPU that ran L2: back to L1's VMCB
        }
        long pat = g.msr(dev.hvsim.x86core.Msr.IA32_PAT);
        root.write("save.G_PAT", pat == 0 ? 0x0007040600070406L : pat);
        enterHostState();
        for (int s = Reg.ES; s <= Reg.GS; s++) {
            segment(SEG[s], g.seg[s]);
        }
        segment("LDTR", g.ldtr);
        segment("TR", g.tr);
        root.write("save.GDTR.base", g.gdtrBase);
        root.write("save.GDTR.limit", g.gdtrLimit);
        root.write("save.IDTR.base", g.idtrBase);
        root.write("save.IDTR.limit", g.idtrLimit);
        root.write("save.CPL", cpl);
        root.write("save.EFER", g.efer | Cpu.EFER_SVME);
        root.write("save.CR0", g.cr0);
        root.write("save.CR2", g.cr2);
        root.write("save.CR3", g.cr3);
        root.write("save.CR4", g.cr4);
        root.write("save.DR6", g.dr[6]);
        root.write("save.DR7", g.dr[7]);
        root.write("save.RFLAGS", g.rflags());
        root.write("save.RIP", g.rip);
        root.write("save.RSP", g.gpr[Reg.RSP]);
        root.write("save.RAX", g.gpr[Reg.RAX]);
        return resume();
    }

    /**
     * The 64-bit host state the VMM keeps while the guest runs (saved to VM_HSAVE_PA by every VMRUN, reloaded by every
     * #VMEXIT): paging on (15.25.3: nested paging needs a host with CR0.PG = 1; its format decides the nested tables'),
     * long mode, EFER.SVME, and EFER.NXE where the profile has NX: the nested tables take the host's EFER.NXE (APM
     * Vol. 2 15.25.5, 5.6), so that the shadow nested tables of nested SVM can carry NX ({@link ShadowNpt}); L0's own
     * tables ({@link EptMap#npt}) never set bit 63, so for them NXE changes nothing. CR3 is an empty page: nothing
     * executes in it.
     */
    private void enterHostState() {
        CpuState s = cpu.state();
        s.cr0 = Cpu.CR0_PG | Cpu.CR0_PE | Cpu.CR0_ET;
        s.cr3 = hostCr3;
        s.cr4 = Cpu.CR4_PAE;
        s.efer = Cpu.EFER_LME | Cpu.EFER_LMA | Cpu.EFER_SVME
                | (cpu.has(dev.hvsim.x86core.decode.Feature.NX) ? Cpu.EFER_NXE : 0);
        s.seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
        cpu.setCpl(0);
        cpu.modeChanged();
    }

    private void segment(String name, Segment s) {
        root.write("save." + name + ".selector", s.selector);
        int attr = s.unusable() ? s.attr & ~Segment.ATTR_P : s.attr;
        root.write("save." + name + ".attrib", (attr & 0xff) | (attr >>> 4 & 0xf00));
        root.write("save." + name + ".limit", s.limit);
        root.write("save." + name + ".base", s.base);
    }

    @Override
    boolean resume() {
        long efer = root.readOffset(EFER, 8);
        if ((efer & Cpu.EFER_SVME) == 0) {
            // the guest cleared it without a WRMSR exit (SKINIT in the guest, APM 15.27.6): the VMM keeps it set
            root.writeOffset(EFER, 8, efer | Cpu.EFER_SVME);
            if (nested != null && level == 1 && nested.svme) {
                nested.svme = false; // nested SVM: L1's own EFER.SVME is what SKINIT cleared
                nested.svmeChanged();
            }
        }
        SvmExit invalid = root.vmrun();
        if (invalid == null) {
            return true;
        }
        if (!invalid.invalid()) {
            // a #VMEXIT while VMRUN delivered EVENTINJ (APM Vol. 2 15.20: the injected event's delivery can
            // intercept or fault, e.g. #NPF on a guest IDT page not backed yet): the VMM handles it next
            stepExited = true;
            return true;
        }
        failure = "VMRUN failed on CPU " + index + ": VMEXIT_INVALID " + invalid.violations();
        return false;
    }

    @Override
    void decode() {
        SvmExit e = root.lastExit(); // the CPU's last #VMEXIT, or one taken inside the VMM's own VMRUN
        GuestExit x = exit;
        x.clear();
        x.raw = e;
        x.intel = false;
        x.code = e.exitCode();
        x.reason = (int) e.exitCode();
        x.qualification = e.exitInfo1();
        x.info2 = e.exitInfo2();
        x.vectoring = e.exitIntInfo();
        x.nextRip = e.nextRip();
        x.rip = e.guestRip();
        x.level = level;
        x.kind = ExitKinds.svm(e.exitCode(), e.exitInfo1());
        if (x.kind == null) {
            x.kind = ExitKind.AMD_OTHER;
        }
        long i1 = e.exitInfo1();
        switch (x.kind) {
            case IO:
                x.port = (int) (i1 >>> 16 & 0xffff);
                x.size = (i1 & 0x10) != 0 ? 1 : (i1 & 0x20) != 0 ? 2 : 4;
                x.in = (i1 & 1) != 0;
                x.string = (i1 & 4) != 0;
                x.rep = (i1 & 8) != 0;
                break;
            case MSR_READ:
            case MSR_WRITE:
                x.msr = cpu.state().gpr[Reg.RCX] & 0xffffffffL;
                break;
            case CR_ACCESS:
                x.cr = e.exitCode() == 0x65 ? 0 : (int) (e.exitCode() & 0xf); // 65H: selective CR0 write
                x.crWrite = e.exitCode() >= 0x10;
                break;
            case NESTED_PAGE_FAULT:
                x.gpa = e.exitInfo2();
                x.access = (i1 & 2) != 0 ? GuestExit.WRITE : (i1 & 0x10) != 0 ? GuestExit.FETCH : GuestExit.READ;
                break;
            case EXCEPTION:
                x.vector = (int) (e.exitCode() - 0x40);
                x.errorCode = (int) i1;
                break;
            default:
                break;
        }
    }

    @Override
    String vendor() {
        return "amd";
    }

    @Override
    void writeRaw(JsonGenerator g) throws IOException {
        SvmExit e = (SvmExit) exit.raw;
        g.writeStringField("exitcode", Hex.of(e.exitCode()));
        g.writeStringField("exitinfo1", Hex.of(e.exitInfo1()));
        g.writeStringField("exitinfo2", Hex.of(e.exitInfo2()));
        g.writeStringField("exitintinfo", Hex.of(e.exitIntInfo()));
        g.writeStringField("nrip", Hex.of(e.nextRip()));
        if (nested != null && exit.level == 1 && e.exitCode() == NestedSvm.EXIT_VMRUN && nested.failedRules != null) {
            // nested SVM: L1's VMCB failed VMRUN's checks; L1 got VMEXIT_INVALID (APM Vol. 2 15.5.1)
            g.writeArrayFieldStart("vmcb12_invalid");
            for (dev.hvsim.svm.VmrunViolation r : nested.failedRules) {
                g.writeString(r.id());
            }
            g.writeEndArray();
        }
    }

    // ------------------------------------------------------------------ guest state

    @Override public long gpr(int reg) { return root.gpr(reg); }
    @Override public void setGpr(int reg, long value) { root.setGpr(reg, value); }
    @Override public long rip() { return root.readOffset(RIP, 8); }
    @Override public void setRip(long rip) { root.writeOffset(RIP, 8, rip); }
    @Override public void skipInstruction() { root.skipInstruction(); }

    @Override
    public void injectException(int vector, int errorCode) {
        root.inject(vector, SvmRoot.EXCEPTION, errorCode);
    }

    @Override public long cr0() { return root.readOffset(CR0, 8); }
    @Override public long cr3() { return root.readOffset(CR3, 8); }
    @Override public long cr4() { return root.readOffset(CR4, 8); }
    /**
     * The guest's EFER: SVME, which the VMM keeps set, is hidden; with nested SVM it is L1's own (virtual) SVME, and
     * an L2 sees the EFER its VMCB12 gave it.
     */
    @Override
    public long efer() {
        long e = root.readOffset(EFER, 8);
        if (nested == null || level == 2) {
            return nested == null ? e & ~Cpu.EFER_SVME : e;
        }
        return nested.svme ? e : e & ~Cpu.EFER_SVME;
    }

    @Override
    public void setEfer(long value) {
        root.writeOffset(EFER, 8, value | Cpu.EFER_SVME);
        if (nested != null && level == 1 && nested.svme != ((value & Cpu.EFER_SVME) != 0)) {
            nested.svme = !nested.svme;
            nested.svmeChanged();
        }
    }

    @Override
    Handled nestedExit(GuestExit x, PlatformHandler platform) {
        return nested.l2Exit(x, platform);
    }

    /** RFLAGS.IF and the interrupt shadow (VMCB 068H bit 0, APM Vol. 2 15.21.5). */
    @Override
    boolean interruptWindowOpen() {
        return (root.guestRflags() & 0x200) != 0 && (root.readOffset(INT_SHADOW, 8) & 1) == 0;
    }

    /**
     * A virtual interrupt (V_IRQ with V_IGN_TPR, 15.21.4) that the guest never takes: the VINTR intercept (15.13.5)
     * exits first, when the guest could take it, as VMX's interrupt-window exiting does; cleared again with false.
     * (With V_INTR_MASKING = 0 the INTR intercept only exits when the guest's IF is set, so this is a fallback.)
     */
    @Override
    void waitForInterruptWindow(boolean on) {
        long vintr = root.readOffset(VINTR, 8);
        root.writeOffset(VINTR, 8, on ? vintr | V_IRQ | V_IGN_TPR : vintr & ~V_IRQ);
    }

    /** EVENTINJ (15.20), type INTR. */
    @Override
    void injectInterrupt(int vector) {
        root.inject(vector, SvmRoot.INTR, -1);
    }

    @Override
    void ioIntercept(boolean on) {
        long m = root.readOffset(MISC1, 4); // the selected VMCB's (nested SVM: VMCB02 has L1's intercepts too)
        root.writeOffset(MISC1, 4, on ? m | 1L << M1_IOIO : m & ~(1L << M1_IOIO));
    }

    /**
     * An exit taken while an event was being delivered through the guest IDT (EXITINTINFO valid, APM Vol. 2 15.7.2;
     * e.g. a nested page fault on the IDT, GDT or stack page): the event is injected again at the next VMRUN
     * (EVENTINJ has EXITINTINFO's format), as the APM asks of the VMM; else an exception the VMM injected would be
     * lost. Software interrupts (TYPE 4) are not: the guest's RIP is still at the INTn, which runs again.
     */
    @Override
    void reinjectInterrupted(GuestExit x) {
        long info = x.vectoring;
        if ((info >>> 31 & 1) != 0 && (info >>> 8 & 7) != 4) {
            root.writeOffset(0x0a8, 8, info);
        }
    }

    /** EXITINTINFO of the last exit (read for traces). */
    long exitIntInfo() { return root.readOffset(EXITINTINFO, 8); }

    @Override
    dev.hvsim.x86core.Snapshottable.Snapshot vendorSnapshot() {
        long m = misc1, h = hostCr3, v01 = vmcb01;
        dev.hvsim.x86core.Snapshottable.Snapshot r = root.snapshot();
        dev.hvsim.x86core.Snapshottable.Snapshot n = nested == null ? null : nested.snapshot();
        return () -> {
            misc1 = m;
            hostCr3 = h;
            vmcb01 = v01;
            r.restore();
            if (n != null) {
                n.restore();
            }
        };
    }
}
