package dev.hvsim.vmx;

import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * Java code as VMX root operation (issue 4 item 5): the operations root-mode software performs with VMXON, VMCLEAR,
 * VMPTRLD, VMREAD/VMWRITE and VMLAUNCH/VMRESUME, called from Java instead of executed as x86 instructions. VM entry
 * and VM exit are the very same code root-mode x86 code reaches ({@code VmEntry}, {@code VmExits}): an entry is
 * snapshot, check, commit; an exit saves guest state, loads host state architecturally and stops {@code Cpu.run}
 * with {@link StopReason#VM_EXIT}. Root-mode x86 code that executes VMLAUNCH itself continues at HOST_RIP on its next
 * run; Java instead reads the exit here and enters again.
 *
 * <pre>{@code
 * VmxRoot root = VmxRoot.of(cpu);
 * root.vmxon(0x10_0000);                 // VMXON region; the CPU is put in a 64-bit root-mode state
 * root.load(0x10_1000);                  // VMCLEAR + VMPTRLD
 * root.write("GUEST_RIP", 0x7c00); ...   // every field by name
 * EntryOutcome o = root.enter();         // VMLAUNCH or VMRESUME by the launch state; o.violations() if it failed
 * if (cpu.run(limit, Long.MAX_VALUE) == StopReason.VM_EXIT) {
 *     VmExit e = root.lastExit();        // typed record; codecs: IoQualification.of(e.qualification()), ...
 *     root.skipInstruction();            // GUEST_RIP += VM-exit instruction length
 * }
 * }</pre>
 *
 * <p>Cost: {@link #lastExit()} returns the record the exit already made; every accessor reads one VMCS field on
 * demand, nothing is copied for the handler. Guest general-purpose registers other than RSP are not part of the
 * VMCS (SDM Vol. 3C 25.4): after an exit they are still in the CPU ({@link #gpr}, {@link #setGpr}).
 */
public final class VmxRoot implements dev.hvsim.x86core.Snapshottable {
    private static final VmcsFields FIELDS = VmcsFields.get();
    private final VmxExtension x;
    private final Cpu cpu;
    private Vmcs vmcs;

    private VmxRoot(VmxExtension x) {
        this.x = x;
        this.cpu = x.cpu();
    }

    /** The root-mode API of {@code cpu}'s VMX model; IllegalStateException when the CPU has none. */
    public static VmxRoot of(Cpu cpu) {
        if (!(cpu.extension() instanceof VmxExtension)) {
            throw new IllegalStateException("CPU " + cpu.apicId() + " has no VMX model (profile " + cpu.profile().name() + ")");
        }
        return new VmxRoot((VmxExtension) cpu.extension());
    }

    public VmxExtension extension() { return x; }
    public Cpu cpu() { return cpu; }

    /**
     * Enters VMX operation as VMXON would after its checks (SDM Vol. 3C 24.7, 31.3 VMXON): IA32_FEATURE_CONTROL
     * locked with VMX outside SMX, CR4.VMXE = 1, the VMXON region's revision id written. The CPU is put into the
     * 64-bit root state {@link #HOST_STATE} describes, so that the host-state checks of every entry pass and every exit
     * returns to it.
     */
    public void vmxon(long vmxonRegion) {
        new Vmcs(cpu.bus(), vmxonRegion, x.layout()).writeHeader(x.capabilities().basic().revisionId(), false);
        x.featureControl = VmxExtension.FC_LOCK | VmxExtension.FC_VMX_OUTSIDE_SMX;
        enterHostState();
        x.vmxOperation = true;
        x.vmxonPointer = vmxonRegion;
        x.setCurrentVmcs(VmxExtension.NO_VMCS);
    }

    /** The host state Java root mode keeps (SDM Vol. 3C 28.2.2-4 valid): 64-bit, CS 08H, data 10H, TR 18H. */
    public static final String HOST_STATE = "CR0 80000031H, CR3 host page, CR4 VMXE|PAE, EFER LME|LMA, CS 08H (64-bit)";

    private void enterHostState() {
        CpuState s = cpu.state();
        s.cr0 = 0x80000031L;
        s.cr4 = Cpu.CR4_VMXE | Cpu.CR4_PAE;
        s.efer |= Cpu.EFER_LME | Cpu.EFER_LMA;
        s.seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
        cpu.setCpl(0);
        cpu.modeChanged();
    }

    /**
     * VMCLEAR then VMPTRLD of {@code region} (31.3): the revision id is written, the launch state is "clear", and the
     * VMCS becomes current. Host-state fields are filled to describe the Java root state ({@code hostPage}: a 4 KiB
     * page for HOST_CR3, HOST_TR_BASE, HOST_GDTR/IDTR_BASE; nothing executes there).
     */
    public Vmcs load(long region, long hostPage) {
        Vmcs r = new Vmcs(cpu.bus(), region, x.layout());
        r.writeHeader(x.capabilities().basic().revisionId(), false);
        r.setLaunchState(LaunchState.CLEAR);
        x.setCurrentVmcs(region);
        Vmcs v = x.currentVmcs(); // the view with the processor-side copy
        vmcs = v;
        String[][] host = {{"HOST_CR0", "80000031"}, {"HOST_CR4", "2020"}, {"HOST_CS_SELECTOR", "8"},
            {"HOST_SS_SELECTOR", "10"}, {"HOST_DS_SELECTOR", "10"}, {"HOST_ES_SELECTOR", "10"},
            {"HOST_FS_SELECTOR", "0"}, {"HOST_GS_SELECTOR", "0"}, {"HOST_TR_SELECTOR", "18"}};
        for (String[] h : host) {
            v.write(h[0], Long.parseLong(h[1], 16));
        }
        v.write("HOST_CR3", hostPage);
        v.write("HOST_TR_BASE", hostPage);
        v.write("HOST_GDTR_BASE", hostPage);
        v.write("HOST_IDTR_BASE", hostPage);
        v.write("HOST_RSP", 0);
        v.write("HOST_RIP", 0);
        v.write("VMCS_LINK_POINTER", -1L);
        return v;
    }

    /** The current VMCS (the one {@link #load} made current), or null. */
    public Vmcs vmcs() { return vmcs; }

    public long read(String field) { return vmcs.read(FIELDS.lookup(field)); }
    public void write(String field, long value) { vmcs.write(FIELDS.lookup(field), value); }
    public long read(VmcsField field) { return vmcs.read(field); }
    public void write(VmcsField field, long value) { vmcs.write(field, value); }

    /**
     * VMLAUNCH (launch state clear) or VMRESUME (launched) from Java: the checks of 28.1-28.4 in the SDM's order,
     * then the guest runs on the next {@code cpu.run}. The outcome names every failed rule; a VM-entry failure
     * exit (28.8) has also loaded host state and is {@link #lastExit()}; VMfailValid wrote VM_INSTRUCTION_ERROR.
     */
    public EntryOutcome enter() {
        boolean launch = vmcs.launchState() == LaunchState.CLEAR;
        lastExit = null;
        try {
            x.entry().enter(vmcs, launch);
        } catch (VmExitSignal s) {
            lastExit = (VmExit) s.exit(); // the VM-entry failure exit (reason 33/34/41 with bit 31)
        }
        return x.lastEntryOutcome();
    }

    private VmExit lastExit;

    /** The record of the last VM exit of this CPU (entry failures included), or null. */
    public VmExit lastExit() {
        if (lastExit != null) {
            return lastExit;
        }
        Object e = cpu.lastVmExit();
        return e instanceof VmExit ? (VmExit) e : null;
    }

    // ------------------------------------------------------------------ handling an exit

    /**
     * "Skip the instruction": GUEST_RIP += VM-exit instruction length (defined for instruction exits, 29.2.5), and
     * blocking by STI / MOV SS cleared as after any emulated instruction (25.4.2).
     */
    public void skipInstruction() {
        vmcs.put(F.I.GUEST_RIP, vmcs.get(F.I.GUEST_RIP) + vmcs.get(F.I.VM_EXIT_INSTRUCTION_LEN));
        long intr = vmcs.get(F.I.GUEST_INTERRUPTIBILITY_INFO);
        if ((intr & 3) != 0) {
            vmcs.put(F.I.GUEST_INTERRUPTIBILITY_INFO, intr & ~3L);
        }
    }

    /** Event types of the VM-entry interruption-information field (SDM Vol. 3C 25.8.3, Table 25-17). */
    public static final int EXTERNAL_INTERRUPT = 0, NMI = 2, HARDWARE_EXCEPTION = 3, SOFTWARE_INTERRUPT = 4,
            PRIVILEGED_SOFTWARE_EXCEPTION = 5, SOFTWARE_EXCEPTION = 6;

    /**
     * Injects an event at the next entry (28.6): vector, type, error code (-1: none). Software events need the
     * instruction length, which is taken from the VM-exit instruction length.
     */
    public void inject(int vector, int type, int errorCode) {
        long info = 1L << 31 | (vector & 0xff) | (long) (type & 7) << 8 | (errorCode >= 0 ? 1L << 11 : 0);
        vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, info);
        if (errorCode >= 0) {
            vmcs.write(F.VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
        }
        if (type >= SOFTWARE_INTERRUPT) {
            vmcs.write(F.VM_ENTRY_INSTRUCTION_LEN, vmcs.read(F.VM_EXIT_INSTRUCTION_LEN));
        }
    }

    // ------------------------------------------------------------------ guest state, on demand

    public long guestRip() { return vmcs.read(F.GUEST_RIP); }
    public void setGuestRip(long rip) { vmcs.write(F.GUEST_RIP, rip); }
    public long guestRsp() { return vmcs.read(F.GUEST_RSP); }
    public long guestRflags() { return vmcs.read(F.GUEST_RFLAGS); }
    public long guestCr0() { return vmcs.read(F.GUEST_CR0); }
    public long guestCr3() { return vmcs.read(F.GUEST_CR3); }
    public long guestCr4() { return vmcs.read(F.GUEST_CR4); }
    /** GUEST_IA32_EFER (meaningful with "save IA32_EFER" = 1). */
    public long guestEfer() { return vmcs.read(F.GUEST_IA32_EFER); }
    /** The guest-physical address of an EPT violation / misconfiguration (29.2.1). */
    public long guestPhysicalAddress() { return vmcs.read(F.GUEST_PHYSICAL_ADDRESS); }
    public long guestLinearAddress() { return vmcs.read(F.GUEST_LINEAR_ADDRESS); }
    /** IDT-vectoring information (29.2.4): bit 31 valid when the exit happened during event delivery. */
    public long idtVectoringInfo() { return vmcs.read(F.IDT_VECTORING_INFO_FIELD); }
    public long idtVectoringErrorCode() { return vmcs.read(F.IDT_VECTORING_ERROR_CODE); }
    /** The VM-instruction error of the last VMfailValid (31.4). */
    public long instructionError() { return vmcs.read(F.VM_INSTRUCTION_ERROR); }

    /**
     * A guest general-purpose register (x86-core {@code Reg} numbering). RSP comes from the VMCS; the others are
     * in the CPU: VM exits do not save them (25.4.1), so root mode holds the guest's values until it changes them.
     */
    public long gpr(int reg) {
        return reg == Reg.RSP ? vmcs.read(F.GUEST_RSP) : cpu.state().gpr[reg];
    }

    public void setGpr(int reg, long value) {
        if (reg == Reg.RSP) {
            vmcs.write(F.GUEST_RSP, value);
        } else {
            cpu.state().gpr[reg] = value;
        }
    }

    /** The VMCS view in use and the last exit's record (the VMX state itself is the CPU's extension's). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        Vmcs v = vmcs;
        VmExit e = lastExit;
        return () -> {
            vmcs = v;
            lastExit = e;
        };
    }
}
