package dev.hvsim.vmm;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.ExitQualifications;
import dev.hvsim.vmx.VmExit;
import dev.hvsim.vmx.VmxRoot;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import java.io.IOException;

/**
 * A vCPU in VMX non-root operation through {@link VmxRoot}. The guest starts from the CPU's bare boot state (real
 * mode or 32-bit protected mode, paging off), which needs "unrestricted guest" with "enable EPT" (SDM Vol. 3C
 * 28.2.1.1: unrestricted guest requires EPT; 26.6 / 28.3.1.1: CR0.PE and PG free). CR0.NE and CR4.VMXE, fixed to 1
 * in VMX operation (24.8, IA32_VMX_CR0/CR4_FIXED0), are host-owned bits with read shadows holding the guest's values
 * (25.6.6), so the guest sees and writes its own.
 */
final class VmxVcpu extends Vcpu {
    private static final VmcsFields C = VmcsFields.get();
    private static final VmcsField GUEST_RIP = C.byName("GUEST_RIP"), GUEST_RSP = C.byName("GUEST_RSP"),
            GUEST_CR0 = C.byName("GUEST_CR0"), GUEST_CR3 = C.byName("GUEST_CR3"), GUEST_CR4 = C.byName("GUEST_CR4"),
            CR0_SHADOW = C.byName("CR0_READ_SHADOW"), CR4_SHADOW = C.byName("CR4_READ_SHADOW"),
            CR0_MASK = C.byName("CR0_GUEST_HOST_MASK"), CR4_MASK = C.byName("CR4_GUEST_HOST_MASK"),
            EFER = C.byName("GUEST_IA32_EFER"), ENTRY_CONTROLS = C.byName("VM_ENTRY_CONTROLS"),
            PROC = C.byName("CPU_BASED_VM_EXEC_CONTROL"), GPA = C.byName("GUEST_PHYSICAL_ADDRESS"),
            IDT_VECTORING = C.byName("IDT_VECTORING_INFO_FIELD");
    /** Host-owned CR0/CR4 bits (24.8): NE, VMXE. */
    static final long CR0_OWNED = Cpu.CR0_NE, CR4_OWNED = Cpu.CR4_VMXE;
    private static final long PROC_INT_WINDOW = 1L << 2, PROC_HLT = 1L << 7, PROC_IO = 1L << 24, PROC_MSR_BITMAPS = 1L << 28,
            PROC_SECONDARY = 1L << 31;
    private final VmxRoot root;
    private long procControls;

    VmxVcpu(Vmm vmm, int index, Cpu cpu) {
        super(vmm, index, cpu);
        this.root = VmxRoot.of(cpu);
    }

    VmxRoot root() { return root; }

    @Override
    boolean inGuest() {
        return root.extension().inNonRoot();
    }

    @Override
    boolean launch() {
        CpuState g = cpu.state().copy();
        VmmMemory mem = vmm.memory();
        if (!root.extension().inVmxOperation()) {
            root.vmxon(mem.allocate(1));
            long vmcs = mem.allocate(1);
            long host = mem.allocate(1);
            root.load(vmcs, host);
            long msrBitmap = mem.allocate(1); // all zero: no MSR exits unless the policy traps every MSR
            root.write("MSR_BITMAP", msrBitmap);
            if (nesting != null) {
                ((NestedVmx) nesting).launched(msrBitmap); // VMX MSRs exit (nested VMX)
            }
        } else {
            cpu.state().cr0 = 0x80000031L; // back in the Java root state (an INIT/SIPI restarted the CPU bare)
            cpu.state().cr4 = Cpu.CR4_VMXE | Cpu.CR4_PAE;
            cpu.state().efer |= Cpu.EFER_LME | Cpu.EFER_LMA;
            cpu.state().seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
            cpu.setCpl(0);
            cpu.modeChanged();
            root.vmcs().setLaunchState(dev.hvsim.vmcs.LaunchState.CLEAR);
        }
        controls(g);
        guestState(g);
        return enter();
    }

    private void controls(CpuState g) {
        InterceptPolicy p = vmm.policy();
        // pin: default1; external-interrupt exiting (bit 0) when the VMM owns the interrupt path (SDM Vol. 3C 25.6.1)
        root.write("PIN_BASED_VM_EXEC_CONTROL", 0x16 | (p.interrupts() ? 1 : 0));
        procControls = 0x04006172L | PROC_SECONDARY | (p.hlt() ? PROC_HLT : 0) | (p.io() ? PROC_IO : 0)
                | (p.msr() ? 0 : PROC_MSR_BITMAPS);
        root.write(PROC, procControls);
        // EPT, VPID, unrestricted guest; and "enable RDTSCP" / "enable INVPCID" where allowed, else those instructions
        // are #UD in non-root operation (SDM Vol. 3C 26.3, 25.6.2) while the bare CPU runs them
        long allowed1 = root.extension().capabilities().rdmsr(0x48bL).orElse(0) >>> 32; // IA32_VMX_PROCBASED_CTLS2
        long proc2 = 1L << 1 | 1L << 5 | 1L << 7 | (allowed1 & (1L << 3 | 1L << 12));
        root.write("SECONDARY_VM_EXEC_CONTROL", proc2);
        root.write("EPT_POINTER", vmm.ept().eptp());
        root.write("VIRTUAL_PROCESSOR_ID", index + 1);
        root.write("EXCEPTION_BITMAP", 0);
        root.write("CR3_TARGET_COUNT", 0);
        root.write(CR0_MASK, CR0_OWNED);
        root.write(CR4_MASK, CR4_OWNED);
        root.write(CR0_SHADOW, g.cr0);
        root.write(CR4_SHADOW, g.cr4);
        // exit: default1, host address-space size (9), save IA32_EFER (20), load IA32_EFER (21)
        // no "acknowledge interrupt on exit" (15): the VMM acknowledges only when the guest can take the interrupt, so
        // the guest sees it pending in the APIC's IRR meanwhile and in priority order, as bare
        // and save debug controls (2): a VM exit sets DR7 to 400H and IA32_DEBUGCTL to 0 (29.5.1), so the guest's
        // values are saved here and loaded back at entry ("load debug controls", below), else they would be lost
        root.write("VM_EXIT_CONTROLS", 0x36dfbL | 1L << 2 | 1L << 9 | 1L << 20 | 1L << 21);
        root.write("HOST_IA32_EFER", Cpu.EFER_LME | Cpu.EFER_LMA);
        root.write("VM_EXIT_MSR_STORE_COUNT", 0);
        root.write("VM_EXIT_MSR_LOAD_COUNT", 0);
        root.write("VM_ENTRY_MSR_LOAD_COUNT", 0);
        root.write("VM_ENTRY_INTR_INFO_FIELD", 0);
        // entry: default1, load debug controls (2), IA-32e mode guest (9) = EFER.LMA, load IA32_EFER (15)
        root.write(ENTRY_CONTROLS, 0x11fbL | 1L << 2 | 1L << 15 | ((g.efer & Cpu.EFER_LMA) != 0 ? 1L << 9 : 0));
    }

    private static final String[] SEG = {"ES", "CS", "SS", "DS", "FS", "GS"};

    private void guestState(CpuState g) {
        root.write(GUEST_CR0, g.cr0 | CR0_OWNED);
        root.write(GUEST_CR3, g.cr3);
        root.write(GUEST_CR4, g.cr4 | CR4_OWNED);
        root.write("GUEST_DR7", g.dr[7]);
        root.write(GUEST_RSP, g.gpr[Reg.RSP]);
        root.write(GUEST_RIP, g.rip);
        root.write("GUEST_RFLAGS", g.rflags());
        for (int s = Reg.ES; s <= Reg.GS; s++) {
            segment(SEG[s], g.seg[s]);
        }
        segment("LDTR", g.ldtr);
        Segment tr = g.tr;
        // 28.3.1.2: TR must be a usable busy TSS; a bare CPU after reset has a 16-bit one (type 3): keep it busy
        int trType = tr.type() == 1 || tr.type() == 9 ? tr.type() + 2 : tr.type();
        segment("TR", new Segment(tr.selector, tr.base, tr.limit, (tr.attr & ~0xf & ~Segment.ATTR_UNUSABLE)
                | (trType == 3 || trType == 11 ? trType : 11) | Segment.ATTR_P));
        root.write("GUEST_GDTR_BASE", g.gdtrBase);
        root.write("GUEST_GDTR_LIMIT", g.gdtrLimit);
        root.write("GUEST_IDTR_BASE", g.idtrBase);
        root.write("GUEST_IDTR_LIMIT", g.idtrLimit);
        root.write("GUEST_SYSENTER_CS", g.msr(Msr.IA32_SYSENTER_CS));
        root.write("GUEST_SYSENTER_ESP", g.msr(Msr.IA32_SYSENTER_ESP));
        root.write("GUEST_SYSENTER_EIP", g.msr(Msr.IA32_SYSENTER_EIP));
        root.write(EFER, g.efer);
        root.write("GUEST_IA32_DEBUGCTL", 0);
        root.write("GUEST_INTERRUPTIBILITY_INFO", 0);
        root.write("GUEST_ACTIVITY_STATE", 0);
        root.write("GUEST_PENDING_DBG_EXCEPTIONS", 0);
        root.write("VMCS_LINK_POINTER", -1L);
    }

    private void segment(String name, Segment s) {
        root.write("GUEST_" + name + "_SELECTOR", s.selector);
        root.write("GUEST_" + name + "_BASE", s.base);
        root.write("GUEST_" + name + "_LIMIT", s.limit);
        root.write("GUEST_" + name + "_AR_BYTES", s.attr & 0x1f0ffL);
    }

    @Override
    boolean resume() {
        return enter();
    }

    private boolean enter() {
        EntryOutcome o = root.enter();
        if (o.kind() == EntryOutcome.Kind.ENTERED) {
            return true;
        }
        failure = "VM entry failed on CPU " + index + ": " + o;
        return false;
    }

    @Override
    void decode() {
        VmExit e = (VmExit) cpu.lastVmExit();
        GuestExit x = exit;
        x.clear();
        x.raw = e;
        x.intel = true;
        x.code = e.reason();
        x.reason = e.reason();
        x.qualification = e.qualification();
        x.instructionLength = e.instructionLength();
        x.instructionInfo = e.instructionInfo();
        x.interruptionInfo = e.interruptionInfo() & 0xffffffffL;
        x.rip = e.guestRip();
        if (nesting != null && nesting.inL2()) {
            x.level = 2; // nested VMX: an exit of L1's guest, VMCS02 current
        }
        x.kind = e.entryFailure() ? ExitKind.ENTRY_FAILURE : ExitKinds.vmx(e.reason(), e.interruptionInfo());
        if (x.kind == null) {
            x.kind = ExitKind.INTEL_OTHER;
        }
        long q = e.qualification();
        switch (x.kind) {
            case IO:
                x.port = (int) (q >>> 16 & 0xffff);
                x.size = (int) (q & 7) + 1;
                x.in = (q >>> 3 & 1) != 0;
                x.string = (q >>> 4 & 1) != 0;
                x.rep = (q >>> 5 & 1) != 0;
                break;
            case MSR_READ:
            case MSR_WRITE:
                x.msr = cpu.state().gpr[Reg.RCX] & 0xffffffffL;
                break;
            case CR_ACCESS:
                x.cr = (int) (q & 0xf);
                x.crWrite = (q >>> 4 & 3) == ExitQualifications.MOV_TO_CR;
                break;
            case NESTED_PAGE_FAULT:
            case EPT_MISCONFIGURATION:
                x.gpa = root.read(GPA);
                x.access = (q & 2) != 0 ? GuestExit.WRITE : (q & 4) != 0 ? GuestExit.FETCH : GuestExit.READ;
                x.vectoring = root.read(IDT_VECTORING);
                break;
            case EXCEPTION:
            case NMI:
            case EXTERNAL_INTERRUPT:
                if ((e.interruptionInfo() >>> 31 & 1) != 0) {
                    x.vector = e.interruptionInfo() & 0xff;
                    x.errorCode = (e.interruptionInfo() >>> 11 & 1) != 0 ? e.interruptionError() : -1;
                }
                x.vectoring = root.read(IDT_VECTORING);
                break;
            default:
                break;
        }
    }

    @Override
    String vendor() {
        return "intel";
    }

    @Override
    void writeRaw(JsonGenerator g) throws IOException {
        GuestExit x = exit;
        VmExit e = (VmExit) x.raw;
        g.writeNumberField("reason", e.reason());
        g.writeBooleanField("entry_failure", e.entryFailure());
        g.writeStringField("qualification", Hex.of(e.qualification()));
        g.writeNumberField("instruction_length", e.instructionLength());
        g.writeStringField("instruction_info", Hex.of(e.instructionInfo() & 0xffffffffL));
        g.writeStringField("interruption_info", Hex.of(e.interruptionInfo() & 0xffffffffL));
        g.writeStringField("idt_vectoring", Hex.of(x.vectoring));
        if (x.kind == ExitKind.NESTED_PAGE_FAULT || x.kind == ExitKind.EPT_MISCONFIGURATION) {
            g.writeStringField("guest_physical", Hex.of(x.gpa));
        }
    }

    // ------------------------------------------------------------------ guest state

    @Override public long gpr(int reg) { return root.gpr(reg); }
    @Override public void setGpr(int reg, long value) { root.setGpr(reg, value); }
    @Override public long rip() { return root.read(GUEST_RIP); }
    @Override public void setRip(long rip) { root.write(GUEST_RIP, rip); }
    @Override public void skipInstruction() { root.skipInstruction(); }

    @Override
    public void injectException(int vector, int errorCode) {
        root.inject(vector, VmxRoot.HARDWARE_EXCEPTION, errorCode);
    }

    @Override
    public long cr0() {
        return (root.read(GUEST_CR0) & ~CR0_OWNED) | (root.read(CR0_SHADOW) & CR0_OWNED);
    }

    @Override public long cr3() { return root.read(GUEST_CR3); }

    @Override
    public long cr4() {
        return (root.read(GUEST_CR4) & ~CR4_OWNED) | (root.read(CR4_SHADOW) & CR4_OWNED);
    }

    @Override public long efer() { return root.read(EFER); }

    /** WRMSR IA32_EFER: GUEST_IA32_EFER, and "IA-32e mode guest" follows LMA (28.3.1.1 requires them equal). */
    @Override
    public void setEfer(long value) {
        long lma = value & Cpu.EFER_LMA;
        root.write(EFER, value);
        long entry = root.read(ENTRY_CONTROLS);
        root.write(ENTRY_CONTROLS, lma != 0 ? entry | 1L << 9 : entry & ~(1L << 9));
    }

    /** The CR0.NE / CR4 read shadows (for the CR-access handler). */
    long cr0Shadow() { return root.read(CR0_SHADOW); }
    void setCr0Shadow(long v) { root.write(CR0_SHADOW, v); }

    /** SDM Vol. 3C 25.4.2: RFLAGS.IF and the interruptibility state (blocking by STI, bit 0; by MOV SS, bit 1). */
    @Override
    boolean interruptWindowOpen() {
        return (root.guestRflags() & 0x200) != 0 && (root.read("GUEST_INTERRUPTIBILITY_INFO") & 3) == 0;
    }

    /** Interrupt-window exiting (25.6.2, exit reason 7) on and external-interrupt exiting (25.6.1) off, or back. */
    @Override
    void waitForInterruptWindow(boolean on) {
        if (nesting != null && nesting.inL2()) { // nested VMX: VMCS02 is current; change only the two bits
            long proc = root.read(PROC);
            root.write(PROC, on ? proc | PROC_INT_WINDOW : proc & ~PROC_INT_WINDOW);
            long pin = root.read("PIN_BASED_VM_EXEC_CONTROL");
            root.write("PIN_BASED_VM_EXEC_CONTROL", on ? pin & ~1L : pin | 1);
            return;
        }
        procControls = on ? procControls | PROC_INT_WINDOW : procControls & ~PROC_INT_WINDOW;
        root.write(PROC, procControls);
        root.write("PIN_BASED_VM_EXEC_CONTROL", 0x16 | (on ? 0 : 1));
    }

    /** 27.6: VM-entry interruption information, type 0 (external interrupt). */
    @Override
    void injectInterrupt(int vector) {
        root.inject(vector, VmxRoot.EXTERNAL_INTERRUPT, -1);
    }

    /**
     * IDT-vectoring information (29.2.4) into the VM-entry interruption-information field (28.6): external interrupts,
     * NMIs and hardware exceptions, with their error code (IDT-vectoring error code); bit 12 (undefined in the
     * IDT-vectoring field, reserved in the entry field) is not copied. Software interrupts and exceptions (types
     * 4-6) are not re-injected: the saved RIP is that of INT n / INT3 / INTO, which executes again. An NMI's
     * blocking starts with its delivery, so blocking by NMI is cleared for it (28.2.1.5 forbids injecting an NMI
     * while it is set without virtual NMIs).
     */
    @Override
    void reinjectInterrupted(GuestExit x) {
        long info = x.vectoring;
        int type = (int) (info >>> 8) & 7;
        if ((info >>> 31 & 1) == 0 || type >= VmxRoot.SOFTWARE_INTERRUPT) {
            return;
        }
        int err = (info >>> 11 & 1) != 0 ? (int) root.read("IDT_VECTORING_ERROR_CODE") : -1;
        if (type == VmxRoot.NMI) {
            root.write("GUEST_INTERRUPTIBILITY_INFO", root.read("GUEST_INTERRUPTIBILITY_INFO") & ~(1L << 3));
        }
        root.inject((int) info & 0xff, type, err);
    }

    @Override
    void ioIntercept(boolean on) {
        if (nesting != null && nesting.inL2()) {
            nesting.ioIntercept(on);
            return;
        }
        root.write(PROC, on ? procControls : procControls & ~PROC_IO);
    }

    @Override
    dev.hvsim.x86core.Snapshottable.Snapshot vendorSnapshot() {
        long pc = procControls;
        dev.hvsim.x86core.Snapshottable.Snapshot r = root.snapshot();
        dev.hvsim.x86core.Snapshottable.Snapshot n = nesting == null ? null : ((NestedVmx) nesting).snapshot();
        return () -> {
            procControls = pc;
            r.restore();
            if (n != null) {
                n.restore();
            }
        };
    }
}
