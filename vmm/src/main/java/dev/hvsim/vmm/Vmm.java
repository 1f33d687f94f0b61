package dev.hvsim.vmm;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.VcpuDriver;
import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.StopReason;
import java.io.OutputStream;
import java.util.List;

/**
 * The vendor-neutral Java VMM (issue 7): runs a {@link Machine}'s CPUs as vCPUs in VMX non-root operation or SVM
 * guest mode. The machine keeps its devices, timers, INIT/SIPI and HLT time skip; the VMM enters each CPU before its
 * turn ({@link #beforeTurn}) and handles every VM exit ({@link #vmExit}): first the user's {@link ExitHandler}, then
 * its own trap-and-emulate handling, then it enters again.
 *
 * <pre>{@code
 * Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), out));
 * Vmm vmm = Vmm.attach(m, Virt.VMX, InterceptPolicy.defaults());
 * vmm.setHandler((vcpu, exit) -> exit.kind() == ExitKind.CPUID ? countAndLetTheVmmDoIt() : null);
 * m.loadElf(image);
 * RunOutcome o = m.run(RunLimits.instructions(100_000_000));
 * }</pre>
 *
 * <p>Guest memory is given through EPT (VMX) or nested paging (SVM), backed lazily: a guest-physical page is mapped
 * on its first EPT violation / nested page fault.
 */
public final class Vmm implements VcpuDriver, dev.hvsim.x86core.Snapshottable {
    private final Machine machine;
    private final Virt virt;
    private final InterceptPolicy policy;
    private final VmmMemory memory;
    private final EptMap ept;
    private final Vcpu[] vcpus;
    private final PlatformHandler platform;
    private ExitHandler handler;
    private ExitTrace trace;
    private ExitStats stats;
    private ExitRecorder recorder;
    private long seq;
    private String failure;

    private Vmm(Machine machine, Virt virt, InterceptPolicy policy) {
        this.machine = machine;
        this.virt = virt;
        this.policy = policy;
        this.memory = VmmMemory.mapOn(machine.memory());
        this.ept = virt == Virt.VMX ? new EptMap(memory) : nestedPaging(machine) ? EptMap.npt(memory) : null;
        List<Cpu> cpus = machine.cpus();
        this.vcpus = new Vcpu[cpus.size()];
        for (int i = 0; i < vcpus.length; i++) {
            vcpus[i] = virt == Virt.VMX ? new VmxVcpu(this, i, cpus.get(i)) : new SvmVcpu(this, i, cpus.get(i), ept != null);
        }
        this.platform = new PlatformHandler(this, new CpuidPolicy(machine.config().profile(),
                virt == Virt.SVM && ept != null));
    }

    /** CPUID Fn8000_000A EDX[0] (NP) of the machine's profile: the SVM model has nested paging (APM Vol. 2 15.25). */
    private static boolean nestedPaging(Machine m) {
        int[] l = m.config().profile().cpuidExact(0x8000000AL, 0);
        return l != null && (l[3] & 1) != 0;
    }

    /**
     * Runs {@code machine}'s CPUs under a new VMM from now on ({@link Virt#VMX} needs a VMX profile such as
     * intel-core, {@link Virt#SVM} an SVM one such as amd-zen). Load the guest before or after: every CPU enters
     * the guest from its bare state at its first turn.
     */
    public static Vmm attach(Machine machine, Virt virt, InterceptPolicy policy) {
        if (virt == Virt.NONE) {
            throw new IllegalArgumentException("Virt.NONE runs bare: no VMM to attach");
        }
        Vmm v = new Vmm(machine, virt, policy);
        machine.setVcpuDriver(v);
        return v;
    }

    /**
     * Nested virtualization (vmm/DESIGN.md "Nested VMX"): the guest sees VMX (CPUID.1:ECX.VMX = 1, IA32_FEATURE_CONTROL
     * and the capability MSRs of {@link NestedVmx#capabilities}) and may run a hypervisor of its own, whose VMX
     * instructions the VMM emulates and whose guest runs on the model under a merged VMCS. Call before the guest
     * runs (IllegalStateException after). VMX only: for {@link Virt#SVM} IllegalStateException (nested SVM is always
     * on there, with nested paging: {@link NestedSvm}).
     */
    public Vmm enableNestedVirtualization() {
        if (virt != Virt.VMX) {
            throw new IllegalStateException("enableNestedVirtualization is for VMX only: under SVM the VMM always"
                    + " emulates SVM for its guest (nested SVM, with nested paging)");
        }
        for (Vcpu v : vcpus) {
            if (v.nesting == null && ((VmxVcpu) v).root().extension().inVmxOperation()) {
                throw new IllegalStateException("enable nested virtualization before the guest runs (vCPU " + v.index
                        + " is already in VMX operation)");
            }
        }
        for (Vcpu v : vcpus) {
            if (v.nesting == null) {
                v.nesting = new NestedVmx((VmxVcpu) v);
            }
        }
        return this;
    }

    /** Whether the guest may run a hypervisor of its own (nested VMX enabled, or nested SVM, on by itself). */
    public boolean nestedVirtualization() {
        if (vcpus.length == 0) {
            return false;
        }
        return virt == Virt.VMX ? vcpus[0].nesting != null : ((SvmVcpu) vcpus[0]).nested != null;
    }

    public Machine machine() { return machine; }
    public Virt virt() { return virt; }
    public InterceptPolicy policy() { return policy; }
    public VmmMemory memory() { return memory; }
    /** The guest-physical address space: EPT (VMX) or nested page tables (SVM); null for an SVM profile without NP. */
    public EptMap ept() { return ept; }
    public List<Vcpu> vcpus() { return List.of(vcpus); }
    /** Why the VMM stopped the guest (a failed entry with its rules, an exit it cannot handle), or null. */
    public String failure() { return failure; }
    /** Exits handled so far (all vCPUs). */
    public long exits() { return seq; }

    /** The user's handler, asked first at every exit (null: none). */
    public void setHandler(ExitHandler h) { handler = h; }
    /** Writes one JSON line per exit to {@code out} (null: no trace). */
    public void traceTo(OutputStream out) { trace = out == null ? null : new ExitTrace(out); }
    /** Counts exits by kind (with cycles and host time); null stops counting. */
    public void collectStats(boolean on) { stats = on ? new ExitStats() : null; }
    public ExitStats stats() { return stats; }
    /**
     * Gives every exit from now on to {@code sink} as an immutable {@link ExitRecord} (exit information, the
     * guest-visible results of handling it, the raw record), in the order the exits happen; null stops recording.
     */
    public void recordExits(java.util.function.Consumer<ExitRecord> sink) {
        recorder = sink == null ? null : new ExitRecorder(sink, vcpus.length);
    }
    /** Flushes the exit trace. */
    public void flush() {
        if (trace != null) {
            trace.flush();
        }
    }

    // ------------------------------------------------------------------ VcpuDriver

    @Override
    public void beforeTurn(int i) {
        Vcpu v = vcpus[i];
        if (failure != null) {
            v.cpu.requestStop();
            return;
        }
        if (!v.inGuest() && !v.launch()) {
            failure = v.failure;
            v.cpu.requestStop();
        }
    }

    @Override
    public StopReason vmExit(int i) {
        Vcpu v = vcpus[i];
        while (true) {
            v.decode();
            GuestExit x = v.exit;
            long cycle = v.cpu.cycles();
            long t0 = stats == null ? 0 : System.nanoTime();
            if (recorder != null) {
                recorder.before(v);
            }
            Handled h = handler == null ? null : handler.handle(v, x);
            if (h == null && v.nesting != null) {
                h = v.nesting.exit(v, x); // nested VMX: L1's VMX instructions, L2 exits L1 asked for, shadow EPT
            }
            if (h == null) {
                // nested VMX leaves the rest of L2's exits to the platform (on VMCS02); nested SVM reflects or handles
                // them in nestedExit
                h = x.level == 1 || v.nesting != null ? platform.handle(v, x) : v.nestedExit(x, platform);
            }
            if (policy.exitCycles() > 0) {
                v.cpu.addCycles(policy.exitCycles());
            }
            seq++;
            if (stats != null) {
                stats.add(x.kind, v.cpu.cycles() - cycle, System.nanoTime() - t0);
            }
            if (trace != null) {
                trace.write(seq, v, cycle, h);
            }
            if (recorder != null) {
                recorder.after(seq, v, cycle, h);
            }
            if (h == Handled.STOPPED) {
                if (v.shutdown != null) {
                    return StopReason.SHUTDOWN;
                }
                if (v.failure != null) {
                    failure = v.failure;
                }
                return StopReason.VM_EXIT;
            }
            if (v.waitForSipi) {
                v.waitForSipi = false;
                return StopReason.WAITING_FOR_INTERRUPT; // INIT taken as on a bare CPU: the machine's SIPI restarts it
            }
            if (v.stepExited) {
                v.stepExited = false;
                continue; // the single-stepped instruction exited again: handle that exit
            }
            if (v.inGuest()) {
                return null; // a single step left the vCPU in the guest
            }
            if (!v.resume()) {
                failure = v.failure;
                return StopReason.VM_EXIT;
            }
            if (v.stepExited) {
                v.stepExited = false;
                continue; // the entry itself exited (SVM: delivering EVENTINJ): handle that exit
            }
            if (v.haltOnEntry) {
                v.haltOnEntry = false;
                v.cpu.state().halted = true; // the halt state, woken by the next interrupt (as activity state HLT)
            }
            return null;
        }
    }

    @Override
    public String shutdownReason(int i) {
        return vcpus[i].shutdown;
    }

    // ------------------------------------------------------------------ helpers for handlers

    /** The host-physical address of guest-physical {@code gpa} (identity without EPT). */
    public long guestToHost(long gpa) {
        if (ept == null) {
            return gpa;
        }
        long page = ept.lookup(gpa);
        return page < 0 ? gpa : page | (gpa & 0xfff);
    }

    /**
     * Runs the exiting instruction once more with port-I/O interception off (string I/O: the instruction reaches the
     * devices itself), then turns it back on. If the instruction exits for another reason, that exit is handled next.
     */
    Handled stepUnintercepted(Vcpu v) {
        v.ioIntercept(false);
        try {
            singleStep(v);
        } finally {
            v.ioIntercept(true);
        }
        return Handled.FORWARDED;
    }

    private void singleStep(Vcpu v) {
        if (!v.resume()) {
            v.failure = v.failure == null ? "entry failed" : v.failure;
            return;
        }
        if (v.stepExited) {
            return; // the entry itself exited: that exit is handled next
        }
        StopReason r = v.cpu.run(1, Long.MAX_VALUE);
        v.stepExited = r == StopReason.VM_EXIT;
    }

    /**
     * An EPT violation (SDM Vol. 3C 29.3.3 / exit reason 48; on AMD a nested page fault, APM 15.25.6): a RAM page is
     * backed now (lazily, identity guest-physical = host-physical) and the access retried; a device page (or one
     * with nothing behind it) is mapped for one single-stepped instruction that reaches the device on the machine's
     * memory bus, then unmapped again, so every MMIO access exits (policy {@code mmio}; else it stays mapped).
     */
    Handled nestedPageFault(Vcpu v, GuestExit x) {
        if (ept == null) {
            v.failure = "nested page fault without nested paging: " + x;
            return Handled.STOPPED;
        }
        v.reinjectInterrupted(x); // an event whose delivery this exit interrupted is delivered at the next entry
        long gpa = x.gpa & ~0xfffL;
        MemoryBus bus = machine.memory();
        boolean ram = bus.ramPage(gpa) != null;
        if (ram || !policy.mmio()) {
            ept.map(gpa, memory.contains(gpa) ? UNBACKED : gpa);
            return Handled.MAPPED;
        }
        return stepWithPageMapped(v, gpa, memory.contains(gpa) ? UNBACKED : gpa);
    }

    /**
     * Runs the exiting instruction once with guest-physical page {@code gpa} mapped to host-physical {@code hpa}
     * (read, write, execute), then puts the page's previous EPT entry back and invalidates: the access reaches
     * whatever is at {@code hpa} on the machine's memory bus (a device, RAM) and the next access exits again. For
     * MMIO emulation and for handlers that trap every write to a page (see vmm/DESIGN.md). VMX only (EPT).
     */
    public Handled stepWithPageMapped(Vcpu v, long gpa, long hpa) {
        long page = gpa & ~0xfffL;
        long previous = ept.entry(page);
        ept.map(page, hpa);
        invalidate();
        try {
            singleStep(v);
        } finally {
            ept.setEntry(page, previous);
            invalidate();
        }
        return Handled.FORWARDED;
    }

    /** Where guest accesses to the VMM's own addresses go: an address with nothing behind it (reads all ones). */
    static final long UNBACKED = VmmMemory.BASE - 0x1000;

    /** Invalidates the EPT's translations on every vCPU (INVEPT single-context, SDM Vol. 3C 30.4.3.1). */
    public void invalidate() {
        if (ept == null) {
            return;
        }
        long root = ept.isNpt() ? -1 : ept.eptp(); // NPT: every context (INVLPGA-like, TLB_CONTROL flush all)
        for (Vcpu v : vcpus) {
            v.cpu.mmu().invalidateContexts(-1, root, false);
            if (v instanceof SvmVcpu && ((SvmVcpu) v).nested != null) {
                ((SvmVcpu) v).nested.resetShadow(); // its entries copy L0's: rebuilt from both on the next faults
            }
        }
    }

    // ------------------------------------------------------------------ snapshots (the debugger's reverse execution)

    /**
     * The VMM's state for the machine's snapshots: its lazily backed memory (EPT/NPT tables, control structures),
     * the guest-physical map's count, every vCPU (flags, last exit, the vendor's controls), the exit count and the
     * failure. Not part of it: the user's handler, the exit trace, statistics and recorder, which observe the run
     * from outside (a restore does not take back what they were given).
     */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long s = seq;
        String f = failure;
        java.util.List<dev.hvsim.x86core.Snapshottable.Snapshot> parts = new java.util.ArrayList<>();
        parts.add(memory.snapshot());
        if (ept != null) {
            parts.add(ept.snapshot());
        }
        for (Vcpu v : vcpus) {
            parts.add(v.snapshot());
        }
        parts.add(() -> {
            seq = s;
            failure = f;
        });
        return dev.hvsim.x86core.Snapshottable.all(parts.toArray(new dev.hvsim.x86core.Snapshottable.Snapshot[0]));
    }
}
