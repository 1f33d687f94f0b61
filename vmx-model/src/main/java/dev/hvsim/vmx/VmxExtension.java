package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.decode.OpcodeTable;
import dev.hvsim.x86core.exec.Family;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Intel VMX as a {@link CpuExtension} of one CPU: the VMX instructions' opcode rows (SDM Vol. 2 / Vol. 3C
 * ch. 31), IA32_FEATURE_CONTROL and the VMX capability MSRs (Vol. 3C 24.7, Appendix A), CR4.VMXE and the
 * CR0/CR4 fixed bits in VMX operation (24.8), and the per-CPU VMX state: in VMX operation or not, root or
 * non-root, the VMXON pointer and the current-VMCS pointer.
 *
 * <pre>{@code
 * VmxExtension vmx = VmxExtension.install(cpu);   // capabilities from the CPU's profile
 * }</pre>
 */
public final class VmxExtension implements CpuExtension, dev.hvsim.x86core.Snapshottable {
    static final int VMXON = 1, VMXOFF = 2, VMCLEAR = 3, VMPTRLD = 4, VMPTRST = 5, VMREAD = 6, VMWRITE = 7,
            VMLAUNCH = 8, VMRESUME = 9, VMCALL = 10,
            INVEPT = 11, INVVPID = 12, VMFUNC = 13;
    /** IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7; Vol. 4 Table 2-2). */
    public static final long IA32_FEATURE_CONTROL = 0x3a;
    public static final long FC_LOCK = 1, FC_VMX_IN_SMX = 2, FC_VMX_OUTSIDE_SMX = 4;
    /** The VMX capability MSRs IA32_VMX_BASIC .. IA32_VMX_EXIT_CTLS2. */
    public static final long FIRST_VMX_MSR = 0x480, LAST_VMX_MSR = 0x493;
    /** The current-VMCS pointer value meaning "none" (SDM Vol. 3C 25.1). */
    public static final long NO_VMCS = -1L;

    private final Cpu cpu;
    private final VmxCapabilities caps;
    private final VmcsLayout layout;
    final VmxInstructions insns;
    private final VmEntry entry;
    private final VmExits exits;
    private final VmxNonRootMode guest;
    private final VmxEvents events;

    /** The EPT translator of the running guest ("enable EPT"), or null. */
    private VmxEpt ept;
    /** "Unrestricted guest" and the VPID of the running guest (0: VPID off), read once at VM entry. */
    private boolean unrestricted;
    private int vpid;
    long featureControl;
    boolean vmxOperation;
    boolean nonRoot;
    /** This CPU answered an INIT with HELD (VMX root operation): the platform keeps it pending. */
    boolean initHeld;
    long vmxonPointer = NO_VMCS;
    long currentVmcs = NO_VMCS;

    private VmxExtension(Cpu cpu, VmxCapabilities caps) {
        this.cpu = cpu;
        this.caps = caps;
        this.layout = caps.vmxSupported() ? VmcsLayout.forRevision(caps.basic().revisionId()) : VmcsLayout.hvsim();
        this.insns = new VmxInstructions(this);
        this.entry = new VmEntry(this);
        this.exits = new VmExits(this);
        this.guest = new VmxNonRootMode(this);
        this.events = new VmxEvents(this);
    }

    VmEntry entry() { return entry; }
    VmExits exits() { return exits; }
    VmxNonRootMode guest() { return guest; }
    VmxEvents events() { return events; }

    /** The outcome of the last VMLAUNCH/VMRESUME that reached the VM-entry checks, or null. */
    public EntryOutcome lastEntryOutcome() { return entry.lastOutcome(); }

    /** The context VM entry's checks would use on this CPU now (for tools that check a VMCS without entering). */
    public EntryContext entryContext() { return entry.context(); }

    /** Installs VMX on {@code cpu} with the capabilities its profile advertises ({@link VmxCapabilities#forProfile}). */
    public static VmxExtension install(Cpu cpu) {
        return install(cpu, VmxCapabilities.forProfile(cpu.profile()));
    }

    /** Installs VMX on {@code cpu} with explicit capabilities (tests, the check-vmcs tool). */
    public static VmxExtension install(Cpu cpu, VmxCapabilities caps) {
        VmxExtension x = new VmxExtension(cpu, caps);
        cpu.install(x);
        return x;
    }

    public Cpu cpu() { return cpu; }
    public VmxCapabilities capabilities() { return caps; }
    public VmcsLayout layout() { return layout; }
    /** In VMX operation (after a successful VMXON, before VMXOFF). */
    public boolean inVmxOperation() { return vmxOperation; }
    /** In VMX non-root operation (a guest is running). */
    public boolean inNonRoot() { return nonRoot; }
    public long vmxonPointer() { return vmxonPointer; }
    public long currentVmcsPointer() { return currentVmcs; }
    public long featureControl() { return featureControl; }

    /** The current VMCS, or null when the current-VMCS pointer is invalid. */
    public Vmcs currentVmcs() {
        if (currentVmcs == NO_VMCS) {
            return null;
        }
        Vmcs v = currentVmcsView;
        if (v == null || v.address() != currentVmcs) {
            v = new Vmcs(cpu.bus(), currentVmcs, layout, this); // once per VMPTRLD, not per VMREAD/VMWRITE/exit
            currentVmcsView = v;
        }
        return v;
    }

    /**
     * The processor-side copy of the current VMCS's fields, by catalogue index ({@link VmcsSnapshot}): filled from
     * the region when a VMCS becomes current ({@link #setCurrentVmcs}), written through to the region by every
     * write (SDM Vol. 3C 25.11.1 lets the processor keep VMCS data outside the region while the VMCS is active;
     * see {@link Vmcs}).
     */
    private final long[] vmcsCache = new long[VmcsSnapshot.size()];

    /**
     * The fields of the processor-side copy changed since the last VM-entry check on this CPU (bits by catalogue
     * index; all set when the copy was read from the region): the VM entry's rule memo compares only these.
     */
    final long[] vmcsChanged = new long[(VmcsSnapshot.size() + 63) >>> 6];

    /**
     * The fields of the processor-side copy not yet written to the region (bits by catalogue index): written back when
     * the VMCS stops being current ({@link #setCurrentVmcs}) or on {@link #writeBack}.
     */
    final long[] vmcsDirty = new long[(VmcsSnapshot.size() + 63) >>> 6];

    /** The copy serving the region at {@code address}: the current VMCS's, or null for any other region. */
    long[] vmcsCacheFor(long address) {
        return address == currentVmcs && address != NO_VMCS ? vmcsCache : null;
    }

    /**
     * Sets the current-VMCS pointer (VMPTRLD, VMCLEAR, VMXON, VMXOFF, the Java root API). A VMCS that becomes
     * current (again) is read into the processor-side copy (31.3 VMPTRLD: the VMCS data is loaded from memory).
     */
    void setCurrentVmcs(long address) {
        writeBack(); // the VMCS that stops being current (or is made current again) gets its data in memory
        currentVmcs = address;
        if (address != NO_VMCS) {
            currentVmcs().reload();
        }
    }

    /**
     * A debugger's read of physical memory sees the fields of the current VMCS's processor-side copy that are not yet
     * written back (SDM Vol. 3C 25.11.1 leaves the region undefined while the VMCS is active; the model shows the
     * debugger its current values without writing the region, so reading does not change the run).
     */
    @Override
    public void overlay(Cpu c, long pa, byte[] buf, int offset, int length) {
        long base = currentVmcs;
        if (base != NO_VMCS && pa < base + layout.regionSize() && pa + length > base) {
            currentVmcs().overlay(pa, buf, offset, length);
        }
    }

    /**
     * Writes the processor-side copy of the current VMCS back to its region (the fields written since it was read or
     * last written back), as VMCLEAR does; the VMCS stays current.
     */
    void writeBack() {
        if (currentVmcs != NO_VMCS) {
            currentVmcs().writeBack();
        }
    }

    /**
     * Physical memory written other than by this CPU's own stores (a debugger, a loader, DMA): when it overlaps the
     * current VMCS's region, the processor-side copy is read again, so such a write takes effect as it did in
     * the region.
     */
    @Override
    public void physicalWritten(Cpu c, long pa, int length) {
        long base = currentVmcs;
        if (base != NO_VMCS && pa < base + layout.regionSize() && pa + length > base) {
            currentVmcs().written(pa, length);
        }
    }

    /** The {@link Vmcs} view {@link #currentVmcs()} last made (a view has no state of its own besides the region). */
    private Vmcs currentVmcsView;

    /** "Enable EPT" is in force for the running guest. */
    boolean eptActive() { return ept != null; }
    /** The VPID of the running guest, 0 when "enable VPID" is 0 (or in root operation). */
    public int currentVpid() { return nonRoot ? vpid : 0; }
    /** The EPTP in force for the running guest, or -1 without EPT. */
    public long currentEptp() { return ept == null ? -1 : ept.eptp(); }
    /** The EPT format while a guest with EPT runs in non-root operation (the debugger's two-stage walk), else null. */
    public dev.hvsim.ept.SecondStageFormat eptFormat() { return ept == null ? null : ept.format(); }

    /**
     * VM entry (SDM Vol. 3C 28.3.2), called before the guest state is loaded: installs the EPT translator when
     * "enable EPT" is 1, records "unrestricted guest" and the VPID, and switches the core's TLB to the guest's
     * translation context (VPID, EPTP) without flushing it (see DEVIATIONS.md "TLB tagging").
     */
    void enterGuestTranslation(VmcsSnapshot g) {
        long proc2 = (g.at(F.I.CPU_BASED_VM_EXEC_CONTROL) >>> 31 & 1) != 0 ? g.at(F.I.SECONDARY_VM_EXEC_CONTROL) : 0;
        unrestricted = (proc2 & 1 << 7) != 0;
        vpid = (proc2 & 1 << 5) != 0 ? (int) g.at(F.I.VIRTUAL_PROCESSOR_ID) : 0;
        long eptp = g.at(F.I.EPT_POINTER);
        if ((proc2 & 1 << 1) == 0) {
            ept = null;
        } else {
            ept = lastEpt != null && lastEpt.eptp() == eptp ? lastEpt : new VmxEpt(this, eptp); // no allocation per entry
            lastEpt = ept;
        }
        cpu.mmu().switchContext(vpid, ept == null ? -1 : ept.eptp(), ept);
    }

    /**
     * After the guest state is loaded: 28.3.3.3 (2016: 26.3.2.5) "If the enable VPID VM-execution control is 0,
     * VM entry invalidates linear and combined mappings associated with VPID 0000H"; with VPID no flush.
     */
    void guestStateLoaded() {
        cpu.mmu().contextStateLoaded();
        if (vpid == 0) {
            cpu.mmu().invalidateContexts(0, -1, false);
        }
    }

    /**
     * VM exit, before the host state is loaded: back to the host's context (VPID 0, no second stage). 29.5.5 (2016:
     * 27.5.5): without VPID the exit invalidates VPID 0000H's mappings ({@link #hostStateLoaded}).
     */
    void leaveGuestTranslation() {
        hostFlush = vpid == 0;
        ept = null;
        unrestricted = false;
        vpid = 0;
        cpu.mmu().switchContext(0, -1, null);
    }

    private boolean hostFlush = true;
    private VmxEpt lastEpt;

    /** After the host state is loaded (also after a VM-entry failure, 28.8: host state loaded as on an exit). */
    void hostStateLoaded() {
        cpu.mmu().contextStateLoaded();
        if (hostFlush) {
            cpu.mmu().invalidateContexts(0, -1, false);
        }
        hostFlush = true;
    }

    /**
     * EPTP switching (VMFUNC leaf 0): the running guest continues under {@code eptp}; the core's TLB switches to the
     * (VPID, new EPTP) context, keeping the old context's translations for a switch back (DEVIATIONS.md "TLB
     * tagging"). The caller has checked that "enable EPT" is in force and the EPTP is valid.
     */
    void switchEptp(long eptp) {
        ept = lastEpt != null && lastEpt.eptp() == eptp ? lastEpt : new VmxEpt(this, eptp);
        lastEpt = ept;
        cpu.mmu().switchContext(vpid, eptp, ept);
        cpu.mmu().contextStateLoaded();
    }

    /** INVEPT (SDM Vol. 3C 30.4.3.1): combined mappings of {@code eptp} (-1: all EPTPs) are dropped. */
    void invalidateCombined(long eptp) {
        // all-context: every context (the host's has no combined mappings; dropping it too is allowed: 30.4.4)
        cpu.mmu().invalidateContexts(-1, eptp, false);
    }

    /** INVVPID (30.4.3.1) of {@code type} 0-3 for {@code vpid} (ignored for type 2), {@code linear} for type 0. */
    void invalidateVpid(int type, int vpid, long linear) {
        switch (type) {
            case 0: cpu.mmu().invalidateContextPage(vpid, linear); break;
            case 1: cpu.mmu().invalidateContexts(vpid, -1, false); break;
            case 3: cpu.mmu().invalidateContexts(vpid, -1, true); break;
            default: cpu.mmu().invalidateContexts(-1, -1, false); break; // all-context (VPID 0 too: allowed)
        }
    }

    // ------------------------------------------------------------------ opcode rows

    /** The core rows plus the VMX rows, built once: the rows do not depend on the CPU. */
    private static final OpcodeTable TABLE = dev.hvsim.x86core.exec.Exec.table(VmxExtension::rows);

    @Override
    public OpcodeTable opcodeTable() {
        return TABLE;
    }

    @Override
    public void contributeRows(OpcodeTable.Builder b) {
        rows(b);
    }

    private static void rows(OpcodeTable.Builder b) {
        int ext = Family.EXTENSION, noReal = OpcodeRow.A_NO_REAL;
        // SDM Vol. 2 / Vol. 3C 31.3: VMXON F3 0F C7 /6, VMCLEAR 66 0F C7 /6, VMPTRLD NP 0F C7 /6, VMPTRST NP 0F C7 /7
        b.row(1, 0xC7, "VMXON Mq", ext, VMXON).prefix(0xF3).reg(6).mem().attrs(noReal).feature(Feature.VMX).cost("system").add();
        b.row(1, 0xC7, "VMCLEAR Mq", ext, VMCLEAR).prefix(0x66).reg(6).mem().attrs(noReal).feature(Feature.VMX).cost("system").add();
        b.row(1, 0xC7, "VMPTRLD Mq", ext, VMPTRLD).prefix(OpcodeRow.NONE).reg(6).mem().attrs(noReal).feature(Feature.VMX)
                .cost("system").add();
        b.row(1, 0xC7, "VMPTRST Mq", ext, VMPTRST).prefix(OpcodeRow.NONE).reg(7).mem().attrs(noReal).feature(Feature.VMX)
                .cost("system").add();
        // VMREAD NP 0F 78 /r (Ey, Gy), VMWRITE NP 0F 79 /r (Gy, Ey): 64-bit operands in 64-bit mode, else 32
        // (the handlers size them; REX.W and 66 do not change it)
        int y = noReal;
        b.row(1, 0x78, "VMREAD Ey,Gy", ext, VMREAD).prefix(OpcodeRow.NONE).attrs(y).feature(Feature.VMX).cost("system").add();
        b.row(1, 0x79, "VMWRITE Gy,Ey", ext, VMWRITE).prefix(OpcodeRow.NONE).attrs(y).feature(Feature.VMX).cost("system").add();
        // 0F 01 C1 VMCALL (no real-mode #UD: a real-mode guest's VMCALL exits), C2 VMLAUNCH, C3 VMRESUME, C4 VMXOFF
        b.row(1, 0x01, "VMCALL", ext, VMCALL).reg(0).rm(1).feature(Feature.VMX).cost("system").add();
        b.row(1, 0x01, "VMLAUNCH", ext, VMLAUNCH).reg(0).rm(2).attrs(noReal).feature(Feature.VMX).cost("system").add();
        b.row(1, 0x01, "VMRESUME", ext, VMRESUME).reg(0).rm(3).attrs(noReal).feature(Feature.VMX).cost("system").add();
        b.row(1, 0x01, "VMXOFF", ext, VMXOFF).reg(0).rm(4).attrs(noReal).feature(Feature.VMX).cost("system").add();
        // INVEPT 66 0F 38 80 /r (Gy, Mdq), INVVPID 66 0F 38 81 /r (Gy, Mdq); a register E operand is #UD
        b.row(2, 0x80, "INVEPT Gy,Mdq", ext, INVEPT).prefix(0x66).mem().attrs(noReal).feature(Feature.VMX).cost("system").add();
        b.row(2, 0x81, "INVVPID Gy,Mdq", ext, INVVPID).prefix(0x66).mem().attrs(noReal).feature(Feature.VMX).cost("system").add();
        // VMFUNC NP 0F 01 D4: any mode and CPL in non-root operation (#UD elsewhere: VmxInstructions.vmfunc)
        b.row(1, 0x01, "VMFUNC", ext, VMFUNC).prefix(OpcodeRow.NONE).reg(2).rm(4).feature(Feature.VMX).cost("system").add();
    }

    @Override
    public void execute(Cpu c, DecodedInsn d) {
        switch (d.handler) {
            case VMXON: insns.vmxon(d); break;
            case VMXOFF: insns.vmxoff(d); break;
            case VMCLEAR: insns.vmclear(d); break;
            case VMPTRLD: insns.vmptrld(d); break;
            case VMPTRST: insns.vmptrst(d); break;
            case VMREAD: insns.vmread(d); break;
            case VMWRITE: insns.vmwrite(d); break;
            case VMLAUNCH: insns.vmlaunch(d, true); break;
            case VMRESUME: insns.vmlaunch(d, false); break;
            case VMCALL: insns.vmcall(d); break;
            case INVEPT: insns.invept(d); break;
            case INVVPID: insns.invvpid(d); break;
            case VMFUNC: insns.vmfunc(d); break;
            default: throw ArchFault.ud();
        }
    }

    // ------------------------------------------------------------------ MSRs

    @Override
    public boolean ownsMsr(long index) {
        return index == IA32_FEATURE_CONTROL || index >= FIRST_VMX_MSR && index <= LAST_VMX_MSR;
    }

    @Override
    public long readMsr(Cpu c, long index) {
        if (index == IA32_FEATURE_CONTROL) {
            return featureControl;
        }
        return caps.rdmsr(index).orElseThrow(ArchFault::gp0);
    }

    /**
     * WRMSR IA32_FEATURE_CONTROL: #GP(0) once the lock bit is set, for reserved bits, and for bit 1 (VMX in SMX
     * operation) without SMX (SDM Vol. 3C 24.7; Vol. 4 Table 2-2). The capability MSRs are read-only (#GP).
     */
    @Override
    public void writeMsr(Cpu c, long index, long value) {
        if (index != IA32_FEATURE_CONTROL || (featureControl & FC_LOCK) != 0) {
            throw ArchFault.gp0();
        }
        long allowed = FC_LOCK | FC_VMX_OUTSIDE_SMX | (smx() ? FC_VMX_IN_SMX : 0);
        if ((value & ~allowed) != 0) {
            throw ArchFault.gp0();
        }
        featureControl = value;
    }

    private boolean smx() {
        return (cpu.cpuidTable().exact(1, 0, 2) & (1 << 6)) != 0;
    }

    // ------------------------------------------------------------------ control registers

    /** CR4.VMXE is writable when the profile advertises VMX (CPUID.1:ECX.VMX). */
    /** CPUID.1:ECX.VMX is reported while this extension is installed (Cpu.install). */
    @Override
    public dev.hvsim.x86core.decode.Feature feature() {
        return dev.hvsim.x86core.decode.Feature.VMX;
    }

    @Override
    public long cr4Bits(Cpu c) {
        return c.has(Feature.VMX) ? Cpu.CR4_VMXE : 0;
    }

    /**
     * In VMX operation CR0 and CR4 must respect IA32_VMX_CR0/CR4_FIXED0/1 (SDM Vol. 3C 24.8 "Restrictions on VMX
     * Operation"): MOV CR, CLTS, LMSW that would violate them are #GP(0); so clearing CR4.VMXE is #GP(0).
     */
    @Override
    public void checkCrWrite(Cpu c, int cr, long oldValue, long newValue) {
        if (!vmxOperation) {
            return;
        }
        if (cr == 0 && nonRoot && unrestricted) {
            // 26.3 / 24.8: in an unrestricted guest CR0.PE and CR0.PG are not fixed to 1
            long pePg = Cpu.CR0_PE | Cpu.CR0_PG;
            if (!caps.cr0Fixed().allows(newValue | pePg)) {
                throw ArchFault.gp0();
            }
            return;
        }
        if (cr == 0 && !caps.cr0Fixed().allows(newValue) || cr == 4 && !caps.cr4Fixed().allows(newValue)) {
            throw ArchFault.gp0();
        }
    }

    /**
     * MOV to CR8 with "use TPR shadow" that does not exit (CR8-load exiting 0): bits 3:0 of the source go to VTPR bits
     * 7:4, and VTPR bits 3:0 and bytes 1-3 of VTPR are cleared ("Virtualizing CR8-Based TPR Accesses", 29.3 in the
     * 2016 edition); CR8 itself is not written. Then "TPR Virtualization" (29.1.2 in 2016; no virtual-interrupt
     * delivery here): when TPR threshold bits 3:0
     * exceed VTPR bits 7:4, a trap-like VM exit "TPR below threshold" (43) follows the instruction
     * ({@link VmxNonRootMode#tprBelowThreshold}).
     */
    @Override
    public boolean virtualCr8Write(Cpu c, long value) {
        if (!nonRoot) {
            return false;
        }
        Vmcs v = currentVmcs();
        if (!tprShadow(v)) {
            return false;
        }
        c.bus().write(v.read(F.VIRTUAL_APIC_PAGE_ADDR) + VTPR, 4, (value & 0xf) << 4);
        if ((v.read(F.TPR_THRESHOLD) & 0xf) > (value & 0xf)) {
            guest.tprBelowThreshold(c);
        }
        return true;
    }

    /** In non-root operation a CR0/CR4 write leaves the host-owned bits (guest/host mask) unmodified (26.3). */
    @Override
    public long crWriteValue(Cpu c, int cr, long oldValue, long newValue) {
        if (!nonRoot) {
            return newValue;
        }
        long mask = currentVmcs().read(cr == 0 ? F.CR0_GUEST_HOST_MASK : F.CR4_GUEST_HOST_MASK);
        return (newValue & ~mask) | (oldValue & mask);
    }

    /** Offset of VTPR in the virtual-APIC page (SDM Vol. 3C "Virtualized APIC Registers", 29.1.1 in the 2016 edition). */
    static final int VTPR = 0x80;

    /** "Use TPR shadow" (primary bit 21) of the VMCS. */
    private static boolean tprShadow(Vmcs v) {
        return (v.read(F.CPU_BASED_VM_EXEC_CONTROL) >>> 21 & 1) != 0;
    }

    /**
     * In non-root operation reads of CR0/CR4 return the read shadow for host-owned bits (26.3); with "use TPR
     * shadow" a MOV from CR8 that does not exit (CR8-store exiting 0) returns VTPR bits 7:4 in bits 3:0 (26.3
     * "MOV from CR8"; "Virtualizing CR8-Based TPR Accesses", 29.3 in the 2016 edition).
     */
    @Override
    public long crReadValue(Cpu c, int cr, long value) {
        if (!nonRoot) {
            return value;
        }
        Vmcs v = currentVmcs();
        if (cr == 8) {
            return tprShadow(v) ? c.bus().read(v.read(F.VIRTUAL_APIC_PAGE_ADDR) + VTPR, 1) >>> 4 & 0xf : value;
        }
        long mask = v.read(cr == 0 ? F.CR0_GUEST_HOST_MASK : F.CR4_GUEST_HOST_MASK);
        long shadow = v.read(cr == 0 ? F.CR0_READ_SHADOW : F.CR4_READ_SHADOW);
        return (value & ~mask) | (shadow & mask);
    }

    /**
     * SDM Vol. 3C 26.2 and "Handling Boundary Conditions in a Virtual Machine Monitor": INIT is blocked in VMX root
     * operation (held pending until VMXOFF or VM entry) and causes a VM exit (reason 3) in VMX non-root operation;
     * outside VMX operation the platform resets the CPU.
     */
    @Override
    public SignalAction init(Cpu c) {
        initHeld = vmxOperation && !nonRoot;
        if (!vmxOperation) {
            return SignalAction.PLATFORM;
        }
        if (initHeld) {
            return SignalAction.HELD;
        }
        events.initArrived(c);
        return SignalAction.TAKEN;
    }

    /**
     * SDM Vol. 3C 26.2 and "Handling Boundary Conditions in a Virtual Machine Monitor": SIPIs are blocked (discarded)
     * in VMX root operation; in non-root operation a SIPI causes a VM exit (reason 4) only in the wait-for-SIPI
     * activity state and is otherwise ignored, as it would be by a processor that is not waiting for one (Vol. 3A
     * 8.4.4).
     */
    @Override
    public SignalAction startup(Cpu c, int vector) {
        if (!vmxOperation) {
            return SignalAction.PLATFORM;
        }
        if (nonRoot) {
            events.sipiArrived(c, vector);
        }
        return SignalAction.TAKEN;
    }

    /** The shutdown and wait-for-SIPI activity states block interrupts and NMIs (SDM Vol. 3C 28.7.2; VmxEvents). */
    @Override
    public boolean holdsInterrupts(Cpu c) {
        return nonRoot && events.holdsInterrupts();
    }

    // ------------------------------------------------------------------ snapshots (the debugger's reverse execution)

    /**
     * The VMX state of this CPU besides RAM (the VMXON region and the VMCS regions, launch state included, live in
     * guest memory, which the machine snapshots): VMX operation, root or non-root, the VMXON and current-VMCS
     * pointers, IA32_FEATURE_CONTROL, the INIT held in root operation, the running guest's VPID, "unrestricted
     * guest" and EPT translator, the pending-event state ({@link VmxEvents}: windows, MTF, preemption timer,
     * pending debug exceptions, SIPI, activity state), the non-root intercept state (TPR threshold, PAUSE loop,
     * MONITOR), the last entry outcome and the processor-side copy of the current VMCS (the region holds only what
     * was written back; it may also differ after ordinary stores to the region) with its changed and not-written-back
     * field bits. The entry-check memo is dropped: it only caches rule results a full check recomputes.
     */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        VmxEpt e = ept, le = lastEpt;
        boolean unr = unrestricted, op = vmxOperation, nr = nonRoot, held = initHeld, hf = hostFlush;
        int vp = vpid;
        long fc = featureControl, on = vmxonPointer, cur = currentVmcs;
        Vmcs view = currentVmcsView;
        long[] cache = vmcsCache.clone(), changed = vmcsChanged.clone(), dirty = vmcsDirty.clone();
        dev.hvsim.x86core.Snapshottable.Snapshot ev = events.snapshot(), g = guest.snapshot(), en = entry.snapshot();
        return new dev.hvsim.x86core.Snapshottable.Snapshot() {
            @Override
            public void restore() {
                ept = e;
                lastEpt = le;
                unrestricted = unr;
                vmxOperation = op;
                nonRoot = nr;
                initHeld = held;
                hostFlush = hf;
                vpid = vp;
                featureControl = fc;
                vmxonPointer = on;
                currentVmcs = cur;
                currentVmcsView = view;
                System.arraycopy(cache, 0, vmcsCache, 0, cache.length);
                System.arraycopy(changed, 0, vmcsChanged, 0, changed.length);
                System.arraycopy(dirty, 0, vmcsDirty, 0, dirty.length);
                ev.restore();
                g.restore();
                en.restore();
            }

            @Override
            public long bytes() {
                return 512;
            }
        };
    }
}
