package dev.hvsim.vmm;

import dev.hvsim.x86core.Cpu;

/**
 * One virtual CPU of a {@link Vmm}: a machine CPU run in VMX non-root operation ({@code VmxVcpu}) or SVM guest mode
 * ({@code SvmVcpu}). Handlers act on the guest through it: registers, RIP, skipping the exiting instruction,
 * injecting an exception. Every accessor reads or writes one field of the VMCS / VMCB or one CPU register, on demand.
 */
public abstract class Vcpu {
    final Vmm vmm;
    final int index;
    final Cpu cpu;
    final GuestExit exit = new GuestExit();
    /** Why entering the guest failed (with the failed rules) or why the VMM stopped it, or null. */
    String failure;
    /** Set by a triple-fault exit: the VMM shuts the machine down with this reason. */
    String shutdown;
    /** HLT was emulated: after the next entry the vCPU waits in the halt state for an interrupt. */
    boolean haltOnEntry;
    /** Set by the handler of an INIT exit: the vCPU took INIT as a bare CPU and waits for SIPI (its turn ends). */
    boolean waitForSipi;
    /**
     * A single-stepped instruction, or the entry itself (SVM: delivering EVENTINJ), ended in a new VM exit, which the
     * VMM handles next.
     */
    boolean stepExited;
    /** Nested virtualization on this vCPU, or null (the guest cannot run a hypervisor of its own). */
    Nesting nesting;
    /** 1: the guest (L1) runs; 2: nested virtualization, L1's guest (L2) runs on a control structure L0 built. */
    int level = 1;

    Vcpu(Vmm vmm, int index, Cpu cpu) {
        this.vmm = vmm;
        this.index = index;
        this.cpu = cpu;
    }

    public int index() { return index; }
    public Cpu cpu() { return cpu; }
    public Vmm vmm() { return vmm; }
    /** The last exit (refilled in place at each exit). */
    public GuestExit lastExit() { return exit; }

    /** A guest general-purpose register (x86-core {@code Reg} numbering). */
    public abstract long gpr(int reg);
    public abstract void setGpr(int reg, long value);
    public abstract long rip();
    public abstract void setRip(long rip);
    /** Resume after the exiting instruction (VMX: RIP + VM-exit instruction length; SVM: NRIP). */
    public abstract void skipInstruction();
    /** Inject a hardware exception at the next entry (error code -1: none). */
    public abstract void injectException(int vector, int errorCode);
    /** Whether the guest can take a maskable interrupt now: RFLAGS.IF = 1 and no blocking by STI or MOV SS. */
    abstract boolean interruptWindowOpen();
    /**
     * {@code true}: exit as soon as the guest can take an interrupt (VMX interrupt-window exiting, with external-
     * interrupt exiting off meanwhile so the pending interrupt does not exit again; SVM a virtual interrupt with the
     * VINTR intercept); {@code false}: back to exiting on the external interrupt itself.
     */
    abstract void waitForInterruptWindow(boolean on);
    /** Injects external interrupt {@code vector} at the next entry (VMX type 0, SVM EVENTINJ type INTR). */
    abstract void injectInterrupt(int vector);

    /**
     * The exit {@code x} interrupted the delivery of an event (VMX IDT-vectoring information, SDM Vol. 3C 29.2.4;
     * SVM EXITINTINFO, APM Vol. 2 15.7.2) and the VMM resumes the guest without injecting anything else: the event
     * is injected again at the next entry (SDM 28.6, APM 15.20), as hardware VMMs do. Software interrupts are not
     * (the saved RIP is that of the INT instruction, which executes again).
     */
    abstract void reinjectInterrupted(GuestExit x);

    /** The guest's CR0 / CR3 / CR4 / EFER as the guest sees them (read shadows applied on VMX). */
    public abstract long cr0();
    public abstract long cr3();
    public abstract long cr4();
    public abstract long efer();
    /** Sets the guest's IA32_EFER (WRMSR emulation). */
    public abstract void setEfer(long value);

    /** True while the CPU is in VMX non-root operation / SVM guest mode. */
    abstract boolean inGuest();
    /** Makes the CPU's current (bare) state the guest's and enters; false with {@link #failure} set. */
    abstract boolean launch();
    /** Enters the guest again after an exit; false with {@link #failure} set. */
    abstract boolean resume();
    /** Fills {@link #exit} from the CPU's last exit record. */
    abstract void decode();
    /** Turns port-I/O interception off (for one single-stepped string instruction) or back to the policy. */
    abstract void ioIntercept(boolean on);
    /** An exit of a nested (level-2) guest: reflected to L1 or handled by the VMM ({@link NestedSvm}). */
    Handled nestedExit(GuestExit x, PlatformHandler platform) {
        failure = "nested exit without nested virtualization: " + x;
        return Handled.STOPPED;
    }
    /** The vendor of the trace ("intel" or "amd"). */
    abstract String vendor();
    /** Writes the raw record's fields for an exit trace line. */
    abstract void writeRaw(com.fasterxml.jackson.core.JsonGenerator g) throws java.io.IOException;

    /** The vendor's own per-vCPU state (controls kept between entries, the root-mode API's pointers). */
    abstract dev.hvsim.x86core.Snapshottable.Snapshot vendorSnapshot();

    /** The vCPU's flags, the last exit record and the vendor's state. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        String f = failure, sd = shutdown;
        boolean halt = haltOnEntry, step = stepExited;
        int lv = level;
        GuestExit x = exit.copy();
        dev.hvsim.x86core.Snapshottable.Snapshot vendor = vendorSnapshot();
        return () -> {
            failure = f;
            shutdown = sd;
            haltOnEntry = halt;
            stepExited = step;
            level = lv;
            exit.copyFrom(x);
            vendor.restore();
        };
    }
}
