package dev.hvsim.vmm;

import dev.hvsim.ept.Access;
import dev.hvsim.ept.AccessContext;
import dev.hvsim.ept.EptCapabilities;
import dev.hvsim.ept.EptFormat;
import dev.hvsim.ept.Eptp;
import dev.hvsim.ept.Fault;
import dev.hvsim.ept.FaultDetail;
import dev.hvsim.ept.GuestPaging;
import dev.hvsim.ept.MemoryType;
import dev.hvsim.ept.Translated;
import dev.hvsim.ept.TwoStageWalker;
import dev.hvsim.ept.WalkResult;
import dev.hvsim.ept.X86PagingFormat;
import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.InstructionInformation;
import dev.hvsim.vmx.VmInstructionError;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.vmx.VmxExtension;
import dev.hvsim.vmx.VmxRoot;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.fault.Vectors;
import java.util.EnumMap;
import java.util.Map;

/**
 * Nested VMX on one vCPU, the way KVM does it (vmm/DESIGN.md "Nested VMX"): the guest (L1) may enable VMX and run its
 * own guest (L2). Every VMX instruction L1 executes in VMX non-root operation exits unconditionally (SDM Vol. 3C
 * 26.1.2) and is emulated here against the VMCS L1 made current ("VMCS12"), which lives in L1's memory in the
 * model's own VMCS layout (a guest-physical address of L1 is the host-physical address: the VMM's EPT maps guest RAM
 * one to one). IA32_FEATURE_CONTROL and the VMX capability MSRs exit through the VMM's MSR bitmap and are answered
 * with {@link #capabilities}: exactly what this class emulates. CR4.VMXE is a host-owned bit; L1 sets it through the
 * read shadow.
 *
 * <p>VMLAUNCH/VMRESUME run vmx-model's {@link EntryChecks} on VMCS12 with those capabilities (VMfailValid 7/8 or the
 * VM-entry failure exits 33/34 to L1, SDM 28.2-28.4, 28.8), then build "VMCS02" in the VMM's memory: L2's guest state
 * from VMCS12, the VMM's host state, L1's controls merged with the VMM's own ({@link #buildVmcs02}), and make it the
 * vCPU's current VMCS. An exit from L2 goes to L1 ({@link #reflect}: exit information and guest state written to
 * VMCS12, L1's host state loaded from VMCS12 per SDM 29.5) when L1's controls ask for it ({@link #l1Wants}); otherwise
 * the VMM handles it on L2 and L2 resumes. With "enable EPT" in VMCS12, L2 runs on a shadow EPT built on demand from
 * L1's EPT ({@link #eptViolation}); INVEPT/INVVPID from L1 drop it. L1's MSR lists are emulated: the VM-entry
 * MSR-load area into L2's context after VMCS02 is built (28.4, {@link #loadEntryMsrs}), the VM-exit MSR-store and
 * MSR-load areas around the host-state load of a reflected exit (29.4, 29.6), a failing exit entry a VMX abort of L1
 * (29.7, {@link #abortL1}).
 */
final class NestedVmx implements Nesting {
    private static final VmcsFields C = VmcsFields.get();

    private static VmcsField f(String name) {
        return C.byName(name);
    }

    private static final VmcsField EXIT_REASON = f("VM_EXIT_REASON"), QUALIFICATION = f("EXIT_QUALIFICATION"),
            INSTRUCTION_ERROR = f("VM_INSTRUCTION_ERROR"), EXIT_LENGTH = f("VM_EXIT_INSTRUCTION_LEN"),
            GUEST_RIP = f("GUEST_RIP"), GUEST_RSP = f("GUEST_RSP"), GUEST_RFLAGS = f("GUEST_RFLAGS"),
            GUEST_CR0 = f("GUEST_CR0"), GUEST_CR3 = f("GUEST_CR3"), GUEST_CR4 = f("GUEST_CR4"),
            GUEST_EFER = f("GUEST_IA32_EFER"), GUEST_PAT = f("GUEST_IA32_PAT"), GUEST_DR7 = f("GUEST_DR7"),
            GUEST_DEBUGCTL = f("GUEST_IA32_DEBUGCTL"), INTERRUPTIBILITY = f("GUEST_INTERRUPTIBILITY_INFO"),
            ACTIVITY = f("GUEST_ACTIVITY_STATE"), PENDING_DBG = f("GUEST_PENDING_DBG_EXCEPTIONS"),
            CS_AR = f("GUEST_CS_AR_BYTES"), SS_AR = f("GUEST_SS_AR_BYTES"),
            PIN = f("PIN_BASED_VM_EXEC_CONTROL"), PROC = f("CPU_BASED_VM_EXEC_CONTROL"),
            PROC2 = f("SECONDARY_VM_EXEC_CONTROL"), EXIT_CONTROLS = f("VM_EXIT_CONTROLS"),
            ENTRY_CONTROLS = f("VM_ENTRY_CONTROLS"), EXCEPTION_BITMAP = f("EXCEPTION_BITMAP"),
            PF_MASK = f("PAGE_FAULT_ERROR_CODE_MASK"), PF_MATCH = f("PAGE_FAULT_ERROR_CODE_MATCH"),
            CR0_MASK = f("CR0_GUEST_HOST_MASK"), CR4_MASK = f("CR4_GUEST_HOST_MASK"),
            CR0_SHADOW = f("CR0_READ_SHADOW"), CR4_SHADOW = f("CR4_READ_SHADOW"),
            IO_A = f("IO_BITMAP_A"), IO_B = f("IO_BITMAP_B"), MSR_BITMAP = f("MSR_BITMAP"),
            TSC_OFFSET = f("TSC_OFFSET"), EPT_POINTER = f("EPT_POINTER"), VPID = f("VIRTUAL_PROCESSOR_ID"),
            ENTRY_INFO = f("VM_ENTRY_INTR_INFO_FIELD"), ENTRY_ERROR = f("VM_ENTRY_EXCEPTION_ERROR_CODE"),
            ENTRY_LENGTH = f("VM_ENTRY_INSTRUCTION_LEN"), GPA = f("GUEST_PHYSICAL_ADDRESS"),
            IDT_VECTORING = f("IDT_VECTORING_INFO_FIELD"), IDT_VECTORING_ERROR = f("IDT_VECTORING_ERROR_CODE"),
            EXIT_MSR_STORE_COUNT = f("VM_EXIT_MSR_STORE_COUNT"), EXIT_MSR_LOAD_COUNT = f("VM_EXIT_MSR_LOAD_COUNT"),
            ENTRY_MSR_LOAD_COUNT = f("VM_ENTRY_MSR_LOAD_COUNT"), CR3_TARGET_COUNT = f("CR3_TARGET_COUNT"),
            LINK_POINTER = f("VMCS_LINK_POINTER"), HOST_EFER = f("HOST_IA32_EFER"),
            EXIT_MSR_STORE_ADDR = f("VM_EXIT_MSR_STORE_ADDR"), EXIT_MSR_LOAD_ADDR = f("VM_EXIT_MSR_LOAD_ADDR"),
            ENTRY_MSR_LOAD_ADDR = f("VM_ENTRY_MSR_LOAD_ADDR");

    /** Guest segment fields by x86-core segment number (ES, CS, SS, DS, FS, GS), then LDTR (6) and TR (7). */
    private static final int LDTR = 6, TR = 7;
    private static final VmcsField[] SEG_SELECTOR = segments("_SELECTOR"), SEG_BASE = segments("_BASE"),
            SEG_LIMIT = segments("_LIMIT"), SEG_AR = segments("_AR_BYTES");
    /** Host selector fields ES .. GS (x86-core order) and the other host-state fields of 29.5. */
    private static final VmcsField[] HOST_SELECTOR = fields("HOST_ES_SELECTOR", "HOST_CS_SELECTOR",
            "HOST_SS_SELECTOR", "HOST_DS_SELECTOR", "HOST_FS_SELECTOR", "HOST_GS_SELECTOR");
    private static final VmcsField HOST_CR0 = f("HOST_CR0"), HOST_CR3 = f("HOST_CR3"), HOST_CR4 = f("HOST_CR4"),
            HOST_SYSENTER_CS = f("HOST_IA32_SYSENTER_CS"), HOST_SYSENTER_ESP = f("HOST_IA32_SYSENTER_ESP"),
            HOST_SYSENTER_EIP = f("HOST_IA32_SYSENTER_EIP"), HOST_PAT = f("HOST_IA32_PAT"),
            HOST_FS_BASE = f("HOST_FS_BASE"), HOST_GS_BASE = f("HOST_GS_BASE"), HOST_TR_SELECTOR = f("HOST_TR_SELECTOR"),
            HOST_TR_BASE = f("HOST_TR_BASE"), HOST_GDTR_BASE = f("HOST_GDTR_BASE"), HOST_IDTR_BASE = f("HOST_IDTR_BASE"),
            HOST_RIP = f("HOST_RIP"), HOST_RSP = f("HOST_RSP"), GUEST_SYSENTER_CS = f("GUEST_SYSENTER_CS"),
            GUEST_SYSENTER_ESP = f("GUEST_SYSENTER_ESP"), GUEST_SYSENTER_EIP = f("GUEST_SYSENTER_EIP"),
            GUEST_GDTR_BASE = f("GUEST_GDTR_BASE"), GUEST_GDTR_LIMIT = f("GUEST_GDTR_LIMIT"),
            GUEST_IDTR_BASE = f("GUEST_IDTR_BASE"), GUEST_IDTR_LIMIT = f("GUEST_IDTR_LIMIT");

    private static VmcsField[] segments(String suffix) {
        String[] names = {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"};
        VmcsField[] r = new VmcsField[names.length];
        for (int i = 0; i < names.length; i++) {
            r[i] = f("GUEST_" + names[i] + suffix);
        }
        return r;
    }

    /** VM-exit information fields copied from VMCS02 to VMCS12 on a reflected exit (SDM Vol. 3C 29.2). */
    private static final VmcsField[] EXIT_INFO = fields("EXIT_QUALIFICATION", "GUEST_LINEAR_ADDRESS",
            "VM_EXIT_INTR_INFO", "VM_EXIT_INTR_ERROR_CODE", "IDT_VECTORING_INFO_FIELD", "IDT_VECTORING_ERROR_CODE",
            "VM_EXIT_INSTRUCTION_LEN", "VMX_INSTRUCTION_INFO");

    /**
     * The guest-state fields L0 copies VMCS12 -> VMCS02 at a nested entry and back at a reflected exit (SDM Vol. 3C
     * 25.4; 29.3 saving guest state). CR0/CR4, EFER, PAT, DR7 and DEBUGCTL are handled apart.
     */
    private static final VmcsField[] GUEST_STATE = guestState();

    private static VmcsField[] guestState() {
        java.util.List<String> n = new java.util.ArrayList<>();
        for (String s : new String[] {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"}) {
            n.add("GUEST_" + s + "_SELECTOR");
            n.add("GUEST_" + s + "_BASE");
            n.add("GUEST_" + s + "_LIMIT");
            n.add("GUEST_" + s + "_AR_BYTES");
        }
        for (String s : new String[] {"GUEST_CR3", "GUEST_RSP", "GUEST_RIP", "GUEST_RFLAGS", "GUEST_GDTR_BASE",
            "GUEST_GDTR_LIMIT", "GUEST_IDTR_BASE", "GUEST_IDTR_LIMIT", "GUEST_SYSENTER_CS", "GUEST_SYSENTER_ESP",
            "GUEST_SYSENTER_EIP", "GUEST_INTERRUPTIBILITY_INFO", "GUEST_ACTIVITY_STATE", "GUEST_PENDING_DBG_EXCEPTIONS",
            "GUEST_PDPTE0", "GUEST_PDPTE1", "GUEST_PDPTE2", "GUEST_PDPTE3"}) {
            n.add(s);
        }
        return fields(n.toArray(new String[0]));
    }

    private static VmcsField[] fields(String... names) {
        VmcsField[] r = new VmcsField[names.length];
        for (int i = 0; i < names.length; i++) {
            r[i] = f(names[i]);
        }
        return r;
    }

    // control bits (SDM Vol. 3C 25.6.1, 25.6.2, 25.7.1, 25.8.1)
    static final long PIN_EXT_INT = 1, PIN_NMI = 1L << 3;
    static final long PROC_INT_WINDOW = 1L << 2, PROC_TSC_OFFSET = 1L << 3, PROC_HLT = 1L << 7,
            PROC_INVLPG = 1L << 9, PROC_MWAIT = 1L << 10, PROC_RDPMC = 1L << 11, PROC_RDTSC = 1L << 12,
            PROC_CR3_LOAD = 1L << 15, PROC_CR3_STORE = 1L << 16, PROC_CR8_LOAD = 1L << 19,
            PROC_CR8_STORE = 1L << 20, PROC_MOV_DR = 1L << 23, PROC_IO = 1L << 24, PROC_IO_BITMAPS = 1L << 25,
            PROC_MSR_BITMAPS = 1L << 28, PROC_MONITOR = 1L << 29, PROC_PAUSE = 1L << 30, PROC_SECONDARY = 1L << 31;
    static final long P2_EPT = 1L << 1, P2_DESC = 1L << 2, P2_RDTSCP = 1L << 3, P2_VPID = 1L << 5,
            P2_WBINVD = 1L << 6, P2_UNRESTRICTED = 1L << 7, P2_RDRAND = 1L << 11, P2_INVPCID = 1L << 12,
            P2_RDSEED = 1L << 16;
    static final long EXIT_SAVE_DEBUG = 1L << 2, EXIT_HOST_64 = 1L << 9, EXIT_SAVE_PAT = 1L << 18,
            EXIT_LOAD_PAT = 1L << 19, EXIT_SAVE_EFER = 1L << 20, EXIT_LOAD_EFER = 1L << 21;
    static final long ENTRY_LOAD_DEBUG = 1L << 2, ENTRY_IA32E = 1L << 9, ENTRY_LOAD_PAT = 1L << 14,
            ENTRY_LOAD_EFER = 1L << 15;

    /** Allowed-1 controls the nested emulation supports (besides each word's allowed-0 = must-be-1 bits). */
    static final long PIN_SUPPORTED = PIN_EXT_INT | PIN_NMI;
    static final long PROC_SUPPORTED = PROC_INT_WINDOW | PROC_TSC_OFFSET | PROC_HLT | PROC_INVLPG | PROC_MWAIT
            | PROC_RDPMC | PROC_RDTSC | PROC_CR3_LOAD | PROC_CR3_STORE | PROC_CR8_LOAD | PROC_CR8_STORE | PROC_MOV_DR
            | PROC_IO | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_MONITOR | PROC_PAUSE | PROC_SECONDARY;
    static final long PROC2_SUPPORTED = P2_EPT | P2_DESC | P2_RDTSCP | P2_VPID | P2_WBINVD | P2_UNRESTRICTED
            | P2_RDRAND | P2_INVPCID | P2_RDSEED;
    static final long EXIT_SUPPORTED = EXIT_SAVE_DEBUG | EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT
            | EXIT_SAVE_EFER | EXIT_LOAD_EFER;
    static final long ENTRY_SUPPORTED = ENTRY_LOAD_DEBUG | ENTRY_IA32E | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
    /**
     * IA32_VMX_EPT_VPID_CAP bits supported (Appendix A.10): 4-level walks (6), UC (8) and WB (14) structures, 2-MiB
     * and 1-GiB pages (16, 17), INVEPT (20) single-context (25) and all-context (26), advanced EPT-violation
     * information (22: bits 8:7 and 11:9 of the qualification describe the guest-linear access, which is the same
     * access in L2 whichever EPT refused it, so they are passed on from the model's exit), INVVPID (32) of every type
     * (40-43). Not: execute-only (0), 5-level walks (7), A/D flags (21).
     */
    static final long EPT_VPID_SUPPORTED = 1L << 6 | 1L << 8 | 1L << 14 | 1L << 16 | 1L << 17 | 1L << 20 | 1L << 22
            | 1L << 25 | 1L << 26 | 1L << 32 | 1L << 40 | 1L << 41 | 1L << 42 | 1L << 43;

    /**
     * The VMX capabilities L1 sees (IA32_VMX_* through RDMSR exits): the model's own ({@code real}) restricted to what
     * this class emulates. Allowed-0 settings (must be 1) are the model's, so a hypervisor computes the same control
     * words as on the bare model; allowed-1 settings are cut to the supported sets above; IA32_VMX_MISC loses the
     * activity states (bits 8:6) and the CR3-target count (24:16); no VM functions, tertiary or secondary exit controls.
     */
    static VmxCapabilities capabilities(VmxCapabilities real) {
        EnumMap<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        copy(real, m, VmxMsr.IA32_VMX_BASIC, -1);
        copy(real, m, VmxMsr.IA32_VMX_CR0_FIXED0, -1);
        copy(real, m, VmxMsr.IA32_VMX_CR0_FIXED1, -1);
        copy(real, m, VmxMsr.IA32_VMX_CR4_FIXED0, -1);
        copy(real, m, VmxMsr.IA32_VMX_CR4_FIXED1, -1);
        copy(real, m, VmxMsr.IA32_VMX_VMCS_ENUM, -1);
        copy(real, m, VmxMsr.IA32_VMX_MISC, ~(0x1c0L | 0x1ffL << 16));
        copy(real, m, VmxMsr.IA32_VMX_EPT_VPID_CAP, EPT_VPID_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_PINBASED_CTLS, PIN_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_TRUE_PINBASED_CTLS, PIN_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_PROCBASED_CTLS, PROC_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS, PROC_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_PROCBASED_CTLS2, PROC2_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_EXIT_CTLS, EXIT_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_TRUE_EXIT_CTLS, EXIT_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_ENTRY_CTLS, ENTRY_SUPPORTED);
        controls(real, m, VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS, ENTRY_SUPPORTED);
        return VmxCapabilities.of(m);
    }

    private static void copy(VmxCapabilities real, Map<VmxMsr, Long> m, VmxMsr msr, long mask) {
        real.raw(msr).ifPresent(v -> m.put(msr, v & mask));
    }

    /** A control MSR: bits 31:0 (allowed-0 = 1, must be 1) kept, bits 63:32 (allowed-1) cut to {@code supported}. */
    private static void controls(VmxCapabilities real, Map<VmxMsr, Long> m, VmxMsr msr, long supported) {
        real.raw(msr).ifPresent(v -> {
            long must1 = v & 0xffffffffL;
            m.put(msr, must1 | ((v >>> 32) & (supported | must1)) << 32);
        });
    }

    private final VmxVcpu v;
    private final Vmm vmm;
    private final Cpu cpu;
    private final VmxRoot root;
    private final VmxCapabilities caps;
    private final TwoStageWalker walker;

    // L1's VMX state (SDM Vol. 3C 24.1, 25.1)
    private long featureControl;
    private boolean vmxOperation;
    private long vmxonPointer = VmxExtension.NO_VMCS;
    private long current = VmxExtension.NO_VMCS;
    private Vmcs vmcs12;
    private boolean inL2;

    // L0's structures
    private Vmcs vmcs01, vmcs02;
    private long msrBitmap01, msrBitmap02;
    private long proc02;
    private final int vpid02;
    private long launched12 = VmxExtension.NO_VMCS;
    private long lastVpid12 = -1;
    /** The shadow EPT of L2 when VMCS12 enables EPT (EPT02), its source EPTP (L1's), or null / -1. */
    private EptMap shadow;
    private long shadowSource = -1;
    private final org.eclipse.collections.impl.list.mutable.primitive.LongArrayList shadowPages =
            new org.eclipse.collections.impl.list.mutable.primitive.LongArrayList();
    /** The outcome of the last VMLAUNCH/VMRESUME L1 executed that reached the VM-entry checks (tests, tools). */
    private EntryOutcome lastOutcome;
    /** The emulated exits of L2 so far that went to L1, and those L0 handled itself. */
    private long reflected, handledByL0;

    NestedVmx(VmxVcpu v) {
        this.v = v;
        this.vmm = v.vmm;
        this.cpu = v.cpu;
        this.root = v.root();
        this.caps = capabilities(root.extension().capabilities());
        this.walker = new TwoStageWalker(cpu.bus());
        this.vpid02 = 0x100 + v.index;
        this.checks = new EntryChecks.Memoized(cpu.bus()::read, this::entryLoadFaults);
    }

    /** The capabilities L1 sees. */
    VmxCapabilities caps() { return caps; }
    EntryOutcome lastOutcome() { return lastOutcome; }
    long reflected() { return reflected; }
    long handledByL0() { return handledByL0; }
    /** The current-VMCS pointer of L1 (-1: none). */
    long currentVmcs12() { return current; }

    /**
     * Called once VMCS01 exists (the vCPU's first launch): the MSR bitmap makes IA32_FEATURE_CONTROL and the VMX
     * capability MSRs exit on read and write (SDM Vol. 3C 25.6.9: read-low bitmap at offset 0, write-low at 800H).
     */
    void launched(long msrBitmap) {
        vmcs01 = root.vmcs();
        msrBitmap01 = msrBitmap;
        trapMsr(msrBitmap, VmxExtension.IA32_FEATURE_CONTROL);
        for (long m = VmxExtension.FIRST_VMX_MSR; m <= VmxExtension.LAST_VMX_MSR; m++) {
            trapMsr(msrBitmap, m);
        }
    }

    private void trapMsr(long bitmap, long msr) {
        for (long base : new long[] {0, 0x800}) {
            long a = bitmap + base + msr / 8;
            cpu.bus().write(a, 1, cpu.bus().read(a, 1) | 1L << (msr % 8));
        }
    }

    /** Whether L1 is in (its emulated) VMX operation: VMXON executed, no VMXOFF since (SDM Vol. 3C 24.7). */
    boolean l1InVmxOperation() {
        return vmxOperation;
    }

    @Override
    public boolean inL2() {
        return inL2;
    }

    // ------------------------------------------------------------------ dispatch

    @Override
    public Handled exit(Vcpu vcpu, GuestExit x) {
        if (inL2) {
            return l2Exit(x);
        }
        switch (x.kind) {
            case VIRT_INSTRUCTION:
                return instruction(x);
            case MSR_READ:
            case MSR_WRITE:
                return isVmxMsr(x.msr) ? msr(x) : null;
            case CR_ACCESS:
                return x.cr == 4 && x.crWrite && (x.qualification >>> 4 & 3) == 0 ? cr4Write(x) : null;
            default:
                return null;
        }
    }

    private static boolean isVmxMsr(long msr) {
        return msr == VmxExtension.IA32_FEATURE_CONTROL
                || msr >= VmxExtension.FIRST_VMX_MSR && msr <= VmxExtension.LAST_VMX_MSR;
    }

    // ------------------------------------------------------------------ L1: MSRs and CR4.VMXE

    /**
     * RDMSR/WRMSR of IA32_FEATURE_CONTROL and the IA32_VMX_* MSRs (SDM Vol. 3C 24.7, Appendix A; Vol. 4 Table 2-2):
     * IA32_FEATURE_CONTROL starts 0 (unlocked, as the bare model's) and is writable until its lock bit is set, bits
     * other than lock and "enable VMX outside SMX" #GP(0) (no SMX); the capability MSRs read {@link #caps}, #GP(0) on
     * write or when absent.
     */
    private Handled msr(GuestExit x) {
        long index = x.msr;
        if (x.kind == ExitKind.MSR_READ) {
            long value;
            if (index == VmxExtension.IA32_FEATURE_CONTROL) {
                value = featureControl;
            } else {
                java.util.OptionalLong o = caps.rdmsr(index);
                if (o.isEmpty()) {
                    v.injectException(Vectors.GP, 0);
                    return Handled.INJECTED;
                }
                value = o.getAsLong();
            }
            v.setGpr(Reg.RAX, value & 0xffffffffL);
            v.setGpr(Reg.RDX, value >>> 32);
            v.skipInstruction();
            return Handled.EMULATED;
        }
        long value = (v.gpr(Reg.RDX) & 0xffffffffL) << 32 | (v.gpr(Reg.RAX) & 0xffffffffL);
        if (index != VmxExtension.IA32_FEATURE_CONTROL || (featureControl & VmxExtension.FC_LOCK) != 0
                || (value & ~(VmxExtension.FC_LOCK | VmxExtension.FC_VMX_OUTSIDE_SMX)) != 0) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        featureControl = value;
        v.skipInstruction();
        return Handled.EMULATED;
    }

    /**
     * MOV to CR4 that changes CR4.VMXE (a host-owned bit, so it exits: SDM Vol. 3C 26.1.3): with nested VMX the bit is
     * L1's to set (CPUID.1:ECX.VMX = 1); clearing it in VMX operation is #GP(0) (24.8). The read shadow takes the new
     * value and the instruction runs again, now without exiting, for the other bits.
     */
    private Handled cr4Write(GuestExit x) {
        long value = v.gpr((int) (x.qualification >>> 8 & 0xf));
        if ((value & Cpu.CR4_VMXE) == 0 && vmxOperation) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        long shadow = root.read(CR4_SHADOW);
        root.write(CR4_SHADOW, (shadow & ~Cpu.CR4_VMXE) | (value & Cpu.CR4_VMXE));
        return Handled.RESUMED;
    }

    // ------------------------------------------------------------------ L1: VMX instructions (SDM Vol. 3C 31.3)

    private Handled instruction(GuestExit x) {
        // The model raised #UD (outside protected mode, compatibility mode) before the exit (31.3 "Operation"); the
        // checks left for L0 are: not in (emulated) VMX operation -> #UD, CPL > 0 -> #GP(0)
        int reason = x.reason;
        if (reason == 27) {
            return vmxon(x);
        }
        if (!vmxOperation) {
            v.injectException(Vectors.UD, -1);
            return Handled.INJECTED;
        }
        if (cpl() > 0) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        switch (reason) {
            case 19: return vmclear(x);
            case 20: return vmlaunch(x, true);
            case 21: return vmptrld(x);
            case 22: return vmptrst(x);
            case 23: return vmread(x);
            case 24: return vmresume(x);
            case 25: return vmwrite(x);
            case 26: return vmxoff();
            case 50: return invept(x);
            case 53: return invvpid(x);
            default:
                v.failure = "nested VMX: unexpected virtualization-instruction exit " + x;
                return Handled.STOPPED;
        }
    }

    private Handled vmresume(GuestExit x) {
        return vmlaunch(x, false);
    }

    /** L1's CPL: SS.DPL (SDM Vol. 3A 5.5; VMCS guest SS access rights bits 6:5). */
    private int cpl() {
        return (int) (root.read(SS_AR) >>> 5 & 3);
    }

    private boolean mode64() {
        return (root.read(GUEST_EFER) & Cpu.EFER_LMA) != 0 && (root.read(CS_AR) & 1L << 13) != 0;
    }

    /** 31.2: VMsucceed (CF, PF, AF, ZF, SF, OF cleared) and on to the next instruction. */
    private Handled succeed() {
        flags(0);
        v.skipInstruction();
        return Handled.EMULATED;
    }

    /** 31.2: VMfailInvalid (CF set). */
    private Handled failInvalid() {
        flags(1);
        v.skipInstruction();
        return Handled.EMULATED;
    }

    /** 31.2: VMfail(n): VMfailValid(n) (ZF set, n in VMCS12's VM-instruction error field) with a current VMCS. */
    private Handled fail(int error) {
        if (current == VmxExtension.NO_VMCS) {
            return failInvalid();
        }
        vmcs12.write(INSTRUCTION_ERROR, error);
        flags(1 << 6);
        v.skipInstruction();
        return Handled.EMULATED;
    }

    private void flags(long set) {
        long osz = 0x8d5; // OF SF ZF AF PF CF
        root.write(GUEST_RFLAGS, (root.read(GUEST_RFLAGS) & ~osz) | set);
    }

    /** A VMXON/VMCS pointer that is not 4-KiB aligned or sets bits beyond the physical-address width (31.3). */
    private boolean badPointer(long addr) {
        return (addr & 0xfff) != 0 || (addr & ~cpu.mmu().physAddrMask()) != 0;
    }

    /**
     * VMXON m64 (31.3 VMXON): #UD with CR4.VMXE = 0 (L1's, from the read shadow); outside VMX operation #GP(0) at CPL
     * &gt; 0, with CR0/CR4 values not allowed by the fixed-bit MSRs (24.8) or IA32_FEATURE_CONTROL not locked with
     * "VMX outside SMX"; VMfailInvalid for a bad pointer or a region whose revision identifier is not IA32_VMX_BASIC's
     * (or with bit 31 set); in VMX operation VMfail(15).
     */
    private Handled vmxon(GuestExit x) {
        if ((v.cr4() & Cpu.CR4_VMXE) == 0) {
            v.injectException(Vectors.UD, -1);
            return Handled.INJECTED;
        }
        if (vmxOperation) {
            if (cpl() > 0) {
                v.injectException(Vectors.GP, 0);
                return Handled.INJECTED;
            }
            return fail(VmInstructionError.VMXON_IN_ROOT);
        }
        if (cpl() > 0 || !caps.cr0Fixed().allows(v.cr0()) || !caps.cr4Fixed().allows(v.cr4())
                || (featureControl & VmxExtension.FC_LOCK) == 0
                || (featureControl & VmxExtension.FC_VMX_OUTSIDE_SMX) == 0) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        long[] addr = new long[1];
        if (!readOperand(x, 8, addr)) {
            return Handled.INJECTED;
        }
        if (badPointer(addr[0])) {
            return failInvalid();
        }
        int rev = (int) cpu.bus().read(addr[0], 4);
        if ((rev & 0x7fffffff) != caps.basic().revisionId() || rev < 0) {
            return failInvalid();
        }
        vmxonPointer = addr[0];
        current = VmxExtension.NO_VMCS;
        vmcs12 = null;
        vmxOperation = true;
        return succeed();
    }

    /** VMXOFF (31.3 VMXOFF): leaves VMX operation; VMsucceed. */
    private Handled vmxoff() {
        vmxOperation = false;
        vmxonPointer = VmxExtension.NO_VMCS;
        current = VmxExtension.NO_VMCS;
        vmcs12 = null;
        dropShadow();
        return succeed();
    }

    /**
     * VMCLEAR m64 (31.3 VMCLEAR): VMfail(2) for a bad pointer, VMfail(3) for the VMXON pointer; the launch state of the
     * VMCS becomes clear (its data is always in memory: VMCS12 is not cached), and it stops being current if it was.
     */
    private Handled vmclear(GuestExit x) {
        long[] addr = new long[1];
        if (!readOperand(x, 8, addr)) {
            return Handled.INJECTED;
        }
        if (badPointer(addr[0])) {
            return fail(VmInstructionError.VMCLEAR_INVALID_ADDRESS);
        }
        if (addr[0] == vmxonPointer) {
            return fail(VmInstructionError.VMCLEAR_VMXON_POINTER);
        }
        new Vmcs(cpu.bus(), addr[0], root.extension().layout()).setLaunchState(LaunchState.CLEAR);
        if (addr[0] == launched12) {
            launched12 = VmxExtension.NO_VMCS;
        }
        if (addr[0] == current) {
            current = VmxExtension.NO_VMCS;
            vmcs12 = null;
        }
        return succeed();
    }

    /**
     * VMPTRLD m64 (31.3 VMPTRLD): VMfail(9) for a bad pointer, VMfail(10) for the VMXON pointer, VMfail(11) when the
     * region's revision identifier is not IA32_VMX_BASIC's or its shadow-VMCS indicator is set (VMCS shadowing is not
     * offered to L1).
     */
    private Handled vmptrld(GuestExit x) {
        long[] addr = new long[1];
        if (!readOperand(x, 8, addr)) {
            return Handled.INJECTED;
        }
        if (badPointer(addr[0])) {
            return fail(VmInstructionError.VMPTRLD_INVALID_ADDRESS);
        }
        if (addr[0] == vmxonPointer) {
            return fail(VmInstructionError.VMPTRLD_VMXON_POINTER);
        }
        Vmcs n = new Vmcs(cpu.bus(), addr[0], root.extension().layout());
        if (n.revisionId() != caps.basic().revisionId() || n.shadowIndicator()) {
            return fail(VmInstructionError.VMPTRLD_BAD_REVISION);
        }
        current = addr[0];
        vmcs12 = n;
        return succeed();
    }

    /** VMPTRST m64 (31.3 VMPTRST): stores the current-VMCS pointer (FFFFFFFF_FFFFFFFFH when none). */
    private Handled vmptrst(GuestExit x) {
        if (!writeOperand(x, 8, current)) {
            return Handled.INJECTED;
        }
        return succeed();
    }

    /**
     * The field a VMREAD/VMWRITE names, or null when it is not a supported component (31.3 VMREAD): not in the
     * catalogue, bits 63:32 of the encoding set, not existing under L1's capabilities or not in the layout.
     */
    private VmcsField component(long encoding) {
        if ((encoding >>> 32) != 0 || encoding < 0 || encoding >= components.length) {
            return null;
        }
        int e = (int) encoding;
        VmcsField fld = components[e];
        if (fld == null && !unsupported[e]) {
            fld = C.find(e).orElse(null);
            if (fld != null && fld.existsUnder(caps) && root.extension().layout().has(fld)) {
                components[e] = fld;
            } else {
                fld = null;
                unsupported[e] = true;
            }
        }
        return fld;
    }

    /** VMREAD/VMWRITE components by encoding, found once (the capabilities and layout never change). */
    private final VmcsField[] components = new VmcsField[0x8000];
    private final boolean[] unsupported = new boolean[0x8000];

    /**
     * VMREAD Ey, Gy (31.3 VMREAD): VMfailInvalid without a current VMCS, VMfail(12) for an unsupported field; the value
     * goes to the register or memory operand (64 bits in 64-bit mode, else 32).
     */
    private Handled vmread(GuestExit x) {
        if (current == VmxExtension.NO_VMCS) {
            return failInvalid();
        }
        InstructionInformation ii = new InstructionInformation(x.instructionInfo);
        int size = mode64() ? 8 : 4;
        VmcsField fld = component(v.gpr(ii.reg2()) & (size == 8 ? -1L : 0xffffffffL));
        if (fld == null) {
            return fail(VmInstructionError.UNSUPPORTED_COMPONENT);
        }
        long value = vmcs12.read(fld) & (size == 8 ? -1L : 0xffffffffL);
        if (ii.register()) {
            v.setGpr(ii.reg1(), value);
        } else if (!writeOperand(x, size, value)) {
            return Handled.INJECTED;
        }
        return succeed();
    }

    /**
     * VMWRITE Gy, Ey (31.3 VMWRITE): VMfailInvalid without a current VMCS, VMfail(12) for an unsupported field,
     * VMfail(13) for a read-only (VM-exit information) field unless IA32_VMX_MISC[29]; the value is truncated to the
     * field's width.
     */
    private Handled vmwrite(GuestExit x) {
        if (current == VmxExtension.NO_VMCS) {
            return failInvalid();
        }
        InstructionInformation ii = new InstructionInformation(x.instructionInfo);
        int size = mode64() ? 8 : 4;
        long mask = size == 8 ? -1L : 0xffffffffL;
        VmcsField fld = component(v.gpr(ii.reg2()) & mask);
        if (fld == null) {
            return fail(VmInstructionError.UNSUPPORTED_COMPONENT);
        }
        if (fld.readOnly() && !caps.misc().vmwriteAnyField()) {
            return fail(VmInstructionError.VMWRITE_READ_ONLY);
        }
        long value;
        if (ii.register()) {
            value = v.gpr(ii.reg1()) & mask;
        } else {
            long[] m = new long[1];
            if (!readOperand(x, size, m)) {
                return Handled.INJECTED;
            }
            value = m[0];
        }
        vmcs12.write(fld, value);
        return succeed();
    }

    /**
     * INVEPT (31.3 INVEPT): VMfail(28) for a type IA32_VMX_EPT_VPID_CAP does not report (1 single-context, 2
     * all-context) or a single-context EPTP VM entry would reject; otherwise the shadow EPT of L2 and the TLB
     * context it tags are dropped (invalidating more than asked is allowed, 30.4.4).
     */
    private Handled invept(GuestExit x) {
        InstructionInformation ii = new InstructionInformation(x.instructionInfo);
        long type = v.gpr(ii.reg2()) & (mode64() ? -1L : 0xffffffffL);
        var cap = caps.eptVpidCap();
        if (!(type == 1 && cap.inveptSingleContext() || type == 2 && cap.inveptAllContext())) {
            return fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
        }
        long[] d = new long[1];
        if (!readOperand(x, 8, d)) {
            return Handled.INJECTED;
        }
        if (type == 1 && !new Eptp(d[0]).validate(new EptCapabilities(caps.eptVpidCap().raw()),
                cpu.profile().maxPhysAddr()).valid()) {
            return fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
        }
        dropShadow();
        cpu.mmu().invalidateContexts(vpid02, -1, false);
        return succeed();
    }

    /**
     * INVVPID (31.3 INVVPID): VMfail(28) for an unsupported type, descriptor bits 63:16 set, VPID 0 with types 0, 1, 3
     * or a non-canonical address with type 0; otherwise L2's TLB context is invalidated (L0 gives every L2 VPID one
     * VPID of its own, so any INVVPID drops all of L2's translations: more than asked, allowed by 30.4.4).
     */
    private Handled invvpid(GuestExit x) {
        InstructionInformation ii = new InstructionInformation(x.instructionInfo);
        long type = v.gpr(ii.reg2()) & (mode64() ? -1L : 0xffffffffL);
        var cap = caps.eptVpidCap();
        boolean supported = type == 0 && cap.invvpidIndividualAddress() || type == 1 && cap.invvpidSingleContext()
                || type == 2 && cap.invvpidAllContext() || type == 3 && cap.invvpidSingleContextRetainingGlobals();
        if (!supported) {
            return fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
        }
        long[] lo = new long[1], hi = new long[1];
        if (!readOperand(x, 8, lo) || !readOperand(x, 8, 8, hi)) {
            return Handled.INJECTED;
        }
        int vpid = (int) (lo[0] & 0xffff);
        if ((lo[0] >>> 16) != 0 || type != 2 && vpid == 0 || type == 0 && !cpu.canonical(hi[0])) {
            return fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
        }
        cpu.mmu().invalidateContexts(vpid02, -1, false);
        return succeed();
    }

    // ------------------------------------------------------------------ L1 memory operands

    /**
     * The linear address of the memory operand of an exiting VMX instruction (SDM Vol. 3C 29.2.5, instruction
     * information: base, index, scaling, segment, address size; 29.2.1: the qualification holds the displacement, or
     * for RIP-relative addressing the displacement plus the next RIP).
     */
    private long operandAddress(GuestExit x, long offset) {
        InstructionInformation ii = new InstructionInformation(x.instructionInfo);
        long a = x.qualification;
        if (ii.baseValid()) {
            a += v.gpr(ii.base());
        }
        if (ii.indexValid()) {
            a += v.gpr(ii.index()) << ii.scaling();
        }
        int size = ii.addressSize();
        if (size < 8) {
            a &= size == 4 ? 0xffffffffL : 0xffffL;
        }
        boolean m64 = mode64();
        int seg = ii.segment();
        if (!m64 || seg == Reg.FS || seg == Reg.GS) {
            a += root.read(SEG_BASE[seg]);
        }
        a += offset;
        return m64 ? a : a & 0xffffffffL;
    }

    private boolean readOperand(GuestExit x, int size, long[] out) {
        return readOperand(x, 0, size, out);
    }

    /** Reads L1's memory operand (+{@code offset}); false after injecting the #PF L1's paging raised. */
    private boolean readOperand(GuestExit x, long offset, int size, long[] out) {
        long lin = operandAddress(x, offset);
        long pa = translate(lin, Access.READ);
        if (pa < 0) {
            return false;
        }
        out[0] = cpu.bus().read(pa, size);
        return true;
    }

    private boolean writeOperand(GuestExit x, int size, long value) {
        long lin = operandAddress(x, 0);
        long pa = translate(lin, Access.WRITE);
        if (pa < 0) {
            return false;
        }
        cpu.bus().write(pa, size, value);
        return true;
    }

    /**
     * L1's linear address through L1's own paging (CR0.PG, CR4.PAE, EFER.LMA of VMCS01's guest state), to an L1
     * guest-physical address, which is the host-physical one (the VMM's EPT is an identity map of guest RAM); -1 after
     * injecting #PF (CR2 = the address) when L1's paging refuses it. Operands are assumed not to cross a page.
     */
    private long translate(long lin, Access access) {
        long cr0 = v.cr0(), cr4 = v.cr4(), efer = root.read(GUEST_EFER);
        GuestPaging g;
        if ((cr0 & Cpu.CR0_PG) == 0) {
            g = GuestPaging.off();
        } else {
            X86PagingFormat.Mode mode = (efer & Cpu.EFER_LMA) != 0 ? X86PagingFormat.Mode.LONG4
                    : (cr4 & Cpu.CR4_PAE) != 0 ? X86PagingFormat.Mode.PAE : X86PagingFormat.Mode.LEGACY32;
            X86PagingFormat fmt = new X86PagingFormat(mode, (efer & Cpu.EFER_NXE) != 0, (cr4 & 0x10) != 0, true,
                    cpu.profile().maxPhysAddr());
            g = new GuestPaging(fmt, root.read(GUEST_CR3), (cr0 & 0x10000) != 0, (cr4 & 1L << 20) != 0,
                    cpu.state().msr(Msr.IA32_PAT), (cr0 & 1L << 30) != 0);
        }
        WalkResult r = walker.translateLinear(g, null, lin, access, cpl() == 3, true);
        if (r.translated()) {
            return ((Translated) r).hostPhys();
        }
        Fault fault = (Fault) r;
        int code = fault.detail() instanceof FaultDetail.GuestPageFault
                ? ((FaultDetail.GuestPageFault) fault.detail()).errorCode() : 0;
        cpu.state().cr2 = lin;
        v.injectException(Vectors.PF, code);
        return -1;
    }

    // ------------------------------------------------------------------ VMLAUNCH / VMRESUME

    /**
     * vmx-model's entry checks for VMCS12, memoised per vCPU (re-running only rules whose inputs changed, with the same
     * outcome): L1's capabilities, L1's EFER.LMA, L1 memory; the WRMSR probe of the VM-entry MSR-load area (28.4) is
     * {@link #entryLoadFaults}, WRMSR in L2's context.
     */
    private final EntryChecks.Memoized checks;

    /**
     * VMLAUNCH / VMRESUME (31.3; 28.1 basic checks: VMfailInvalid without a current VMCS, VMfail(26) with blocking by
     * MOV SS, VMfail(4) / VMfail(5) for the wrong launch state), then vmx-model's checks of 28.2-28.4 on VMCS12 under
     * L1's capabilities: VMfailValid(7) controls, VMfailValid(8) host state, or the VM-entry failure exit (33 guest
     * state, 34 MSR loading; 28.8) to L1. Success: VMCS02 is built and becomes current, L1's VM-entry MSR-load area
     * is loaded into L2's context (28.4); L2 runs at the next entry.
     */
    private Handled vmlaunch(GuestExit x, boolean launch) {
        if (current == VmxExtension.NO_VMCS) {
            return failInvalid();
        }
        if ((root.read(INTERRUPTIBILITY) & 2) != 0) {
            return fail(VmInstructionError.ENTRY_MOV_SS_BLOCKING);
        }
        LaunchState ls = vmcs12.launchState();
        if (launch && ls != LaunchState.CLEAR) {
            return fail(VmInstructionError.VMLAUNCH_NON_CLEAR);
        }
        if (!launch && ls != LaunchState.LAUNCHED) {
            return fail(VmInstructionError.VMRESUME_NON_LAUNCHED);
        }
        EntryOutcome o = checks.check(vmcs12, caps, (root.read(GUEST_EFER) & Cpu.EFER_LMA) != 0,
                cpu.profile().maxPhysAddr(), cpu.linearAddressBits(), current);
        lastOutcome = o;
        switch (o.kind()) {
            case VMFAIL_VALID:
                return fail(((EntryOutcome.VmFailValid) o).error());
            case VMFAIL_INVALID:
                return failInvalid();
            case ENTRY_FAILURE:
                EntryOutcome.EntryFailureExit ef = (EntryOutcome.EntryFailureExit) o;
                vmcs12.write(EXIT_REASON, ef.reason() | 1L << 31);
                vmcs12.write(QUALIFICATION, ef.qualification());
                loadHostState();
                return Handled.REFLECTED;
            default:
                break;
        }
        buildVmcs02(launch);
        long failed = loadEntryMsrs();
        if (failed != 0) {
            // 28.8: VM-entry failure while loading MSRs: reason 34, qualification = the entry's number; launch state
            // unchanged; L1's host state loaded. Not reached when the checks' probe and the load agree (they use the
            // same rules): a safety net, so that no guest can make a WRMSR fault escape.
            vmcs12.write(EXIT_REASON, 34 | 1L << 31);
            vmcs12.write(QUALIFICATION, failed);
            loadHostState();
            return Handled.REFLECTED;
        }
        vmcs12.setLaunchState(LaunchState.LAUNCHED);
        launched12 = current;
        inL2 = true;
        return Handled.EMULATED;
    }

    /**
     * VMCS02: L2's guest state from VMCS12, L0's host state (the Java root state of VmxRoot), and controls that make
     * L2 exit for everything L1 asked for and everything L0 needs (pin-based and exiting controls OR-ed; exception
     * bitmap and #PF mask/match L1's, as L0 traps no exception; CR0/CR4 guest/host masks OR-ed with read shadows that
     * show L2 L1's shadow for L1-owned bits and L2's own value for L0-only bits; I/O unconditional when L0 traps port
     * I/O, else L1's; MSR bitmap L0's OR L1's; TSC offset L1's; L0's VPID for L2; EPT: L0's EPT when L1 has none
     * (L2-physical = L1-physical), else the shadow EPT02).
     */
    private void buildVmcs02(boolean launch) {
        Vmcs s = vmcs12;
        VmmMemory mem = vmm.memory();
        if (vmcs02 == null) {
            vmcs02 = root.load(mem.allocate(1), mem.allocate(1));
            msrBitmap02 = mem.allocate(1);
        } else {
            root.use(vmcs02);
        }
        if (launch || launched12 != current) {
            vmcs02.setLaunchState(LaunchState.CLEAR);
        }
        Vmcs d = vmcs02;
        for (VmcsField fld : GUEST_STATE) {
            d.write(fld, s.read(fld));
        }
        InterceptPolicy p = vmm.policy();
        long proc12 = s.read(PROC);
        long proc2_12 = (proc12 & PROC_SECONDARY) != 0 ? s.read(PROC2) : 0;
        long entry12 = s.read(ENTRY_CONTROLS);
        d.write(PIN, s.read(PIN) | (p.interrupts() ? PIN_EXT_INT : 0));
        long proc = proc12 | PROC_SECONDARY | (p.hlt() ? PROC_HLT : 0);
        if (p.io()) {
            proc = (proc & ~PROC_IO_BITMAPS) | PROC_IO;
        }
        if (p.msr() || (proc12 & PROC_MSR_BITMAPS) == 0) {
            proc &= ~PROC_MSR_BITMAPS;
        } else {
            long l1 = s.read(MSR_BITMAP);
            for (long o = 0; o < 4096; o += 8) {
                cpu.bus().write(msrBitmap02 + o, 8, cpu.bus().read(msrBitmap01 + o, 8) | cpu.bus().read(l1 + o, 8));
            }
            d.write(MSR_BITMAP, msrBitmap02);
        }
        proc02 = proc;
        d.write(PROC, proc);
        boolean ept12 = (proc2_12 & P2_EPT) != 0;
        d.write(PROC2, (proc2_12 & ~P2_VPID) | P2_EPT | P2_VPID);
        d.write(EPT_POINTER, ept12 ? shadowEptp(s.read(EPT_POINTER)) : vmm.ept().eptp());
        d.write(VPID, vpid02);
        long vpid12 = (proc2_12 & P2_VPID) != 0 ? s.read(VPID) : -1;
        if (vpid12 < 0 || vpid12 != lastVpid12) {
            // 28.3.3.3: without VPID an entry invalidates the mappings of VPID 0000H (L2's); a new VPID is a new context
            cpu.mmu().invalidateContexts(vpid02, -1, false);
        }
        lastVpid12 = vpid12;
        d.write(EXCEPTION_BITMAP, s.read(EXCEPTION_BITMAP));
        d.write(PF_MASK, s.read(PF_MASK));
        d.write(PF_MATCH, s.read(PF_MATCH));
        d.write(CR3_TARGET_COUNT, 0);
        crMerge(d, s, GUEST_CR0, CR0_MASK, CR0_SHADOW, VmxVcpu.CR0_OWNED);
        crMerge(d, s, GUEST_CR4, CR4_MASK, CR4_SHADOW, VmxVcpu.CR4_OWNED);
        d.write(IO_A, s.read(IO_A));
        d.write(IO_B, s.read(IO_B));
        d.write(TSC_OFFSET, (proc12 & PROC_TSC_OFFSET) != 0 ? s.read(TSC_OFFSET) : 0);
        // exit: default1, host address-space size (L0's 64-bit root), save debug controls, save PAT and EFER, load EFER
        d.write(EXIT_CONTROLS, 0x36dfbL | EXIT_SAVE_DEBUG | EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER);
        d.write(HOST_EFER, Cpu.EFER_LME | Cpu.EFER_LMA);
        d.write(EXIT_MSR_STORE_COUNT, 0);
        d.write(EXIT_MSR_LOAD_COUNT, 0);
        d.write(ENTRY_MSR_LOAD_COUNT, 0);
        // entry: default1, L1's IA-32e mode guest / load PAT, and always load debug controls and EFER (28.3.2.1)
        d.write(ENTRY_CONTROLS, 0x11fbL | (entry12 & (ENTRY_IA32E | ENTRY_LOAD_PAT)) | ENTRY_LOAD_DEBUG | ENTRY_LOAD_EFER);
        d.write(GUEST_EFER, l2Efer(s));
        d.write(GUEST_PAT, (entry12 & ENTRY_LOAD_PAT) != 0 ? s.read(GUEST_PAT) : cpu.state().msr(Msr.IA32_PAT));
        boolean debug = (entry12 & ENTRY_LOAD_DEBUG) != 0;
        d.write(GUEST_DR7, debug ? s.read(GUEST_DR7) : 0x400);
        d.write(GUEST_DEBUGCTL, debug ? s.read(GUEST_DEBUGCTL) : 0);
        d.write(ENTRY_INFO, s.read(ENTRY_INFO));
        d.write(ENTRY_ERROR, s.read(ENTRY_ERROR));
        d.write(ENTRY_LENGTH, s.read(ENTRY_LENGTH));
        d.write(LINK_POINTER, -1L);
    }

    /** L2's IA32_EFER at entry from VMCS12, before it becomes VMCS02's (and before MSR loading, 28.4). */
    private long l2Efer(Vmcs s) {
        long entry12 = s.read(ENTRY_CONTROLS);
        if ((entry12 & ENTRY_LOAD_EFER) != 0) {
            return s.read(GUEST_EFER);
        }
        // 28.3.2.1: without "load IA32_EFER", LMA = "IA-32e mode guest" and, with CR0.PG = 1, LME too
        boolean ia32e = (entry12 & ENTRY_IA32E) != 0;
        long efer = root.read(GUEST_EFER) & ~(Cpu.EFER_LMA | Cpu.EFER_LME);
        return efer | (ia32e ? Cpu.EFER_LMA | ((s.read(GUEST_CR0) & Cpu.CR0_PG) != 0 ? Cpu.EFER_LME : 0) : 0);
    }

    /**
     * CR0 / CR4 of VMCS02: the guest value is L2's (VMCS12's), the mask L1's OR L0's owned bits, the read shadow
     * L1's shadow for the bits L1 owns and L2's own value for the bits only L0 owns (SDM Vol. 3C 25.6.6).
     */
    private static void crMerge(Vmcs d, Vmcs s, VmcsField guest, VmcsField mask, VmcsField shadow, long owned) {
        long g = s.read(guest), m12 = s.read(mask);
        d.write(guest, g | owned);
        d.write(mask, m12 | owned);
        d.write(shadow, (s.read(shadow) & m12) | (g & ~m12));
    }

    /** L2's CR0 / CR4 as VMCS12 holds it: VMCS02's value with the bits only L0 owns taken from VMCS02's shadow. */
    private static long crUnmerge(Vmcs d, Vmcs s, VmcsField guest, VmcsField shadow, VmcsField mask, long owned) {
        long l0only = owned & ~s.read(mask);
        return (d.read(guest) & ~l0only) | (d.read(shadow) & l0only);
    }

    // ------------------------------------------------------------------ exits from L2

    /**
     * An exit from L2: reflected to L1 when L1's VMCS12 controls make it exit (SDM Vol. 3C 26.1-26.2, 26.1.3 per
     * instruction), else handled by L0 on L2 (returns null: the VMM's usual handling acts on VMCS02, the current VMCS)
     * and L2 resumes.
     */
    private Handled l2Exit(GuestExit x) {
        if (x.kind == ExitKind.ENTRY_FAILURE) {
            return null; // VMCS02 itself failed: an L0 bug, reported by the VMM
        }
        int reason = x.reason;
        if (reason == 48 && (vmcs12.read(PROC) & PROC_SECONDARY) != 0 && (vmcs12.read(PROC2) & P2_EPT) != 0) {
            return eptViolation(x);
        }
        if (reason == 49 && shadow != null) {
            v.failure = "nested VMX: EPT misconfiguration in the shadow EPT at " + Hex.of(x.gpa);
            return Handled.STOPPED;
        }
        if (l1Wants(x)) {
            return reflect();
        }
        handledByL0++;
        if (reason == 48) {
            reinjectVectoredEvent(); // L0's own EPT (L1 has none): the VMM backs the page, then the event goes on
        }
        if (reason == 28 && (x.cr == 0 || x.cr == 4) && x.crWrite) {
            return l0CrWrite(x);
        }
        if ((reason == 31 || reason == 32) && isVmxMsr(x.msr)) {
            return msr(x);
        }
        return null;
    }

    /**
     * Whether L1 asked for this exit of L2 (SDM Vol. 3C 26.1.2 unconditional exits; 26.1.3 exits by control: the
     * exception bitmap with #PF error-code mask/match, 26.2; the I/O and MSR bitmaps; CR masks, CR3/CR8 exiting).
     */
    private boolean l1Wants(GuestExit x) {
        Vmcs s = vmcs12;
        long pin = s.read(PIN), proc = s.read(PROC);
        long proc2 = (proc & PROC_SECONDARY) != 0 ? s.read(PROC2) : 0;
        switch (x.reason) {
            case 0: { // exception or NMI
                long info = x.interruptionInfo;
                int type = (int) (info >>> 8 & 7);
                int vector = (int) (info & 0xff);
                if (type == 2) {
                    return (pin & PIN_NMI) != 0;
                }
                if ((s.read(EXCEPTION_BITMAP) >>> vector & 1) == 0 && vector != Vectors.PF) {
                    return false;
                }
                if (vector == Vectors.PF) {
                    // 26.2: #PF exits iff (error code & mask) == match equals bit 14 of the bitmap
                    boolean match = (x.errorCode & s.read(PF_MASK)) == s.read(PF_MATCH);
                    return match == ((s.read(EXCEPTION_BITMAP) >>> 14 & 1) != 0);
                }
                return true;
            }
            case 1: return (pin & PIN_EXT_INT) != 0;
            case 7: return (proc & PROC_INT_WINDOW) != 0;
            case 12: return (proc & PROC_HLT) != 0;
            case 14: return (proc & PROC_INVLPG) != 0;
            case 15: return (proc & PROC_RDPMC) != 0;
            case 16: return (proc & PROC_RDTSC) != 0;
            case 29: return (proc & PROC_MOV_DR) != 0;
            case 30: return ioWanted(x, proc);
            case 31:
            case 32: return msrWanted(x, proc);
            case 28: return crWanted(x, proc);
            case 36: return (proc & PROC_MWAIT) != 0;
            case 39: return (proc & PROC_MONITOR) != 0;
            case 40: return (proc & PROC_PAUSE) != 0;
            case 46:
            case 47: return (proc2 & P2_DESC) != 0;
            case 54: return (proc2 & P2_WBINVD) != 0;
            case 57: return (proc2 & P2_RDRAND) != 0;
            case 61: return (proc2 & P2_RDSEED) != 0;
            case 48:
            case 49: return false; // L0's own EPT (L1 has none for L2)
            default:
                // unconditional exits (26.1.2: CPUID, GETSEC, INVD, XSETBV, VMCALL and the VMX instructions, triple
                // fault, task switch) and the ones only L1's controls can cause (RDTSCP, INVPCID)
                return true;
        }
    }

    /** 26.1.3 "I/O instructions": unconditional I/O exiting, or any I/O-bitmap bit of the ports accessed (wrap: exit). */
    private boolean ioWanted(GuestExit x, long proc) {
        if ((proc & PROC_IO_BITMAPS) == 0) {
            return (proc & PROC_IO) != 0;
        }
        for (int i = 0; i < x.size; i++) {
            int port = x.port + i;
            if (port > 0xffff) {
                return true;
            }
            long bitmap = vmcs12.read(port < 0x8000 ? IO_A : IO_B);
            int bit = port & 0x7fff;
            if ((cpu.bus().read(bitmap + bit / 8, 1) >>> (bit % 8) & 1) != 0) {
                return true;
            }
        }
        return false;
    }

    /** 26.1.3 "RDMSR"/"WRMSR": without MSR bitmaps every access exits; with them, ECX outside both ranges or its bit. */
    private boolean msrWanted(GuestExit x, long proc) {
        if ((proc & PROC_MSR_BITMAPS) == 0) {
            return true;
        }
        long msr = x.msr;
        long base = x.reason == 32 ? 0x800 : 0;
        if (msr >= 0xc0000000L && msr <= 0xc0001fffL) {
            base += 0x400;
            msr -= 0xc0000000L;
        } else if (msr > 0x1fff) {
            return true;
        }
        long bitmap = vmcs12.read(MSR_BITMAP);
        return (cpu.bus().read(bitmap + base + msr / 8, 1) >>> (msr % 8) & 1) != 0;
    }

    /** 26.1.3 control-register accesses under L1's controls (Table 29-3 access types: 0 MOV to, 1 MOV from, 2 CLTS, 3 LMSW). */
    private boolean crWanted(GuestExit x, long proc) {
        int type = (int) (x.qualification >>> 4 & 3);
        int cr = x.cr;
        if (cr == 3) {
            return (proc & (type == 0 ? PROC_CR3_LOAD : PROC_CR3_STORE)) != 0;
        }
        if (cr == 8) {
            return (proc & (type == 0 ? PROC_CR8_LOAD : PROC_CR8_STORE)) != 0;
        }
        VmcsField mask = cr == 4 ? CR4_MASK : CR0_MASK, shadow = cr == 4 ? CR4_SHADOW : CR0_SHADOW;
        long m = vmcs12.read(mask), sh = vmcs12.read(shadow);
        switch (type) {
            case 0: {
                long value = v.gpr((int) (x.qualification >>> 8 & 0xf));
                return ((value ^ sh) & m) != 0;
            }
            case 2: return (m & Cpu.CR0_TS) != 0 && (sh & Cpu.CR0_TS) != 0;
            case 3: {
                long src = x.qualification >>> 16 & 0xffff;
                return ((src ^ sh) & m & 0xe) != 0 || (m & 1) != 0 && (sh & 1) == 0 && (src & 1) != 0;
            }
            default:
                return true;
        }
    }

    /**
     * MOV to CR0/CR4 in L2 that exits only for L0's owned bits (CR0.NE, CR4.VMXE; L1 does not own them): L2's value
     * goes to VMCS02's read shadow for those bits and the instruction runs again without exiting (as for L1).
     */
    private Handled l0CrWrite(GuestExit x) {
        long value = v.gpr((int) (x.qualification >>> 8 & 0xf));
        VmcsField shadowField = x.cr == 4 ? CR4_SHADOW : CR0_SHADOW;
        long owned = x.cr == 4 ? VmxVcpu.CR4_OWNED : VmxVcpu.CR0_OWNED;
        long sh = root.read(shadowField);
        root.write(shadowField, (sh & ~owned) | (value & owned));
        return Handled.RESUMED;
    }

    /**
     * Reflects the current exit of L2 to L1 (SDM Vol. 3C ch. 29): the exit information (29.2: reason, qualification,
     * guest-linear and guest-physical address, interruption and IDT-vectoring information, instruction length and
     * information) and L2's guest state (29.3) go to VMCS12, the valid bit of its VM-entry interruption information is
     * cleared (29.2.?"VM exits clear bit 31"), and L1's host state is loaded from VMCS12 (29.5); L1 resumes at
     * HOST_RIP with L2's general-purpose registers, as after a real exit.
     */
    private Handled reflect() {
        reflected++;
        Vmcs s = vmcs12, d = vmcs02;
        s.write(EXIT_REASON, d.read(EXIT_REASON));
        for (VmcsField fld : EXIT_INFO) {
            s.write(fld, d.read(fld));
        }
        s.write(GPA, d.read(GPA));
        saveGuestState();
        String why = storeExitMsrs();
        if (why != null) {
            return abortL1(1, why);
        }
        loadHostState();
        why = loadExitMsrs();
        if (why != null) {
            return abortL1(4, why);
        }
        return Handled.REFLECTED;
    }

    // ------------------------------------------------------------------ MSR lists (28.4, 29.4, 29.6, 29.7)

    private static final long IA32_SMBASE = 0x9e, IA32_SMM_MONITOR_CTL = 0x9b, IA32_BIOS_UPDT_TRIG = 0x79,
            IA32_DEBUGCTL = 0x1d9;
    /** Byte offset of the VMX-abort indicator in a VMCS region (SDM Vol. 3C 25.2, Table 25-1). */
    private static final int ABORT_INDICATOR_OFFSET = 4;

    /**
     * The VMCS field that holds {@code index} for the VMCS {@code target} (VMCS02 for L2, VMCS01 for L1): the SYSENTER
     * MSRs always (28.3.2.1 loads them at every entry, 29.3 saves them at every exit), IA32_DEBUGCTL / IA32_PAT /
     * IA32_EFER when the target's entry controls load them ("load debug controls", "load IA32_PAT", "load
     * IA32_EFER"); null when the MSR lives only in the processor (CpuState's MSRs), where L1 and L2 share it.
     */
    private static VmcsField vmcsHeld(Vmcs target, long index) {
        long entry = target.read(ENTRY_CONTROLS);
        if (index == Msr.IA32_SYSENTER_CS) {
            return GUEST_SYSENTER_CS;
        } else if (index == Msr.IA32_SYSENTER_ESP) {
            return GUEST_SYSENTER_ESP;
        } else if (index == Msr.IA32_SYSENTER_EIP) {
            return GUEST_SYSENTER_EIP;
        } else if (index == IA32_DEBUGCTL && (entry & ENTRY_LOAD_DEBUG) != 0) {
            return GUEST_DEBUGCTL;
        } else if (index == Msr.IA32_PAT && (entry & ENTRY_LOAD_PAT) != 0) {
            return GUEST_PAT;
        } else if (index == Msr.IA32_EFER && (entry & ENTRY_LOAD_EFER) != 0) {
            return GUEST_EFER;
        }
        return null;
    }

    /**
     * Whether WRMSR at CPL 0 of {@code value} to {@code index} would #GP in a context whose CR0 is {@code cr0} and EFER
     * {@code efer} (SDM Vol. 3C 28.4, 29.6 "would cause a general-protection exception if executed via WRMSR with
     * CPL = 0"). Tried on a copy of the CPU state, restored either way, as vmx-model's own probe does; for IA32_EFER
     * the one context-dependent rule (changing LME with CR0.PG = 1, Vol. 3A 10.8.5) is decided against the target
     * context and the rest (reserved and unsupported bits) against the processor's. The VMX MSRs are L1's emulated
     * ones: the capability MSRs are read-only and IA32_FEATURE_CONTROL is locked in VMX operation (#GP either way).
     */
    private boolean wrmsrFaults(long index, long value, long cr0, long efer) {
        if (isVmxMsr(index)) {
            return true;
        }
        if (index == Msr.IA32_EFER) {
            if ((cr0 & Cpu.CR0_PG) != 0 && ((value ^ efer) & Cpu.EFER_LME) != 0) {
                return true;
            }
            value = (value & ~Cpu.EFER_LME) | (cpu.state().efer & Cpu.EFER_LME);
        }
        dev.hvsim.x86core.CpuState saved = cpu.state().copy();
        try {
            dev.hvsim.x86core.exec.MsrAccess.write(cpu, index, value);
            return false;
        } catch (dev.hvsim.x86core.fault.ArchFault e) {
            return true;
        } finally {
            cpu.state().copyFrom(saved);
        }
    }

    /**
     * The checks' WRMSR probe for VMCS12's VM-entry MSR-load area (28.4): in L2's context as VM entry would have
     * loaded it (guest CR0, and EFER as {@link #buildVmcs02} computes it), since MSRs load after guest state.
     */
    private boolean entryLoadFaults(long index, long value) {
        return wrmsrFaults(index, value, vmcs12.read(GUEST_CR0), l2Efer(vmcs12));
    }

    /**
     * 28.4 "Loading MSRs" for L2, after VMCS02 was built from VMCS12's guest state: each entry of L1's VM-entry
     * MSR-load area in order, into L2's context - the VMCS02 field for the MSRs VMCS02's entry loads
     * ({@link #vmcsHeld}: they are in force while L2 runs and VMCS02's exit saves them back), the processor's MSR
     * otherwise (L2's value, in force until L1 or its exit-load area writes it again, as on hardware). The checks
     * (vmx-model's MsrLoadRules with {@link #entryLoadFaults}) already refused every entry that cannot load.
     *
     * @return 0, or the 1-based number of an entry whose WRMSR faulted after all (nothing of it loaded)
     */
    private long loadEntryMsrs() {
        long n = vmcs12.read(ENTRY_MSR_LOAD_COUNT), base = vmcs12.read(ENTRY_MSR_LOAD_ADDR);
        for (long i = 0; i < n; i++) {
            long index = cpu.bus().read(base + 16L * i, 4), value = cpu.bus().read(base + 16L * i + 8, 8);
            if (!loadMsr(vmcs02, index, value)) {
                return (int) (i + 1);
            }
        }
        return 0;
    }

    /** One MSR into the context of {@code target} (see {@link #vmcsHeld}); false when WRMSR would #GP there. */
    private boolean loadMsr(Vmcs target, long index, long value) {
        long cr0 = target.read(GUEST_CR0), efer = target.read(GUEST_EFER);
        if (wrmsrFaults(index, value, cr0, efer)) {
            return false;
        }
        VmcsField fld = vmcsHeld(target, index);
        if (fld == null) {
            try {
                dev.hvsim.x86core.exec.MsrAccess.write(cpu, index, value);
            } catch (dev.hvsim.x86core.fault.ArchFault e) {
                return false; // the probe said it would not fault: not reached
            }
            return true;
        }
        if (index == Msr.IA32_SYSENTER_CS) {
            value &= 0xffffffffL; // as WRMSR stores it
        } else if (index == Msr.IA32_EFER) {
            value = (value & ~Cpu.EFER_LMA) | (efer & Cpu.EFER_LMA); // WRMSR leaves LMA as it is (Vol. 3A 2.2.1)
        }
        target.write(fld, value);
        return true;
    }

    /**
     * 29.4 "Saving MSRs": after L2's guest state went to VMCS12, L2's current value of each MSR in L1's VM-exit
     * MSR-store area goes to bits 127:64 of its entry: from VMCS02 for the MSRs it holds (SYSENTER, DEBUGCTL, PAT,
     * EFER: VMCS02's exit saves them; FS/GS base: L2's segment bases), from the processor otherwise. An entry with
     * bits 63:32 set, an x2APIC MSR (800H-8FFH), IA32_SMBASE, or an MSR RDMSR at CPL 0 would #GP on is a VMX abort
     * with indicator 1 (29.7), as vmx-model's own exit treats it.
     *
     * @return null, or why the VMX abort
     */
    private String storeExitMsrs() {
        Vmcs s = vmcs12, d = vmcs02;
        long n = s.read(EXIT_MSR_STORE_COUNT), base = s.read(EXIT_MSR_STORE_ADDR);
        for (long i = 0; i < n; i++) {
            long lo = cpu.bus().read(base + 16L * i, 8), index = lo & 0xffffffffL;
            if ((lo >>> 32) != 0 || (index >>> 8) == 0x8 || index == IA32_SMBASE) {
                return String.format("VM-exit MSR-store entry %d (MSR %xH)", i, index);
            }
            long value;
            VmcsField fld = index == Msr.IA32_SYSENTER_CS ? GUEST_SYSENTER_CS
                    : index == Msr.IA32_SYSENTER_ESP ? GUEST_SYSENTER_ESP
                    : index == Msr.IA32_SYSENTER_EIP ? GUEST_SYSENTER_EIP
                    : index == IA32_DEBUGCTL ? GUEST_DEBUGCTL
                    : index == Msr.IA32_PAT ? GUEST_PAT
                    : index == Msr.IA32_EFER ? GUEST_EFER
                    : index == Msr.IA32_FS_BASE ? SEG_BASE[Reg.FS]
                    : index == Msr.IA32_GS_BASE ? SEG_BASE[Reg.GS] : null;
            if (fld != null) {
                value = d.read(fld);
            } else if (isVmxMsr(index)) {
                java.util.OptionalLong o = index == VmxExtension.IA32_FEATURE_CONTROL
                        ? java.util.OptionalLong.of(featureControl) : caps.rdmsr(index);
                if (o.isEmpty()) {
                    return String.format("VM-exit MSR-store entry %d: RDMSR %xH faults", i, index);
                }
                value = o.getAsLong();
            } else {
                try {
                    value = dev.hvsim.x86core.exec.MsrAccess.read(cpu, index);
                } catch (dev.hvsim.x86core.fault.ArchFault e) {
                    return String.format("VM-exit MSR-store entry %d: RDMSR %xH faults", i, index);
                }
                if (index == Msr.IA32_TIME_STAMP_COUNTER && (proc02 & PROC_TSC_OFFSET) != 0) {
                    // read here in L0's root state: L2's TSC as RDMSR reads it in L2 (with the offset L1 gave it),
                    // as vmx-model's own exit stores it before leaving non-root operation
                    value += d.read(TSC_OFFSET);
                }
            }
            cpu.bus().write(base + 16L * i + 8, 8, value);
        }
        return null;
    }

    /**
     * 29.6 "Loading MSRs": after L1's host state was loaded into VMCS01, each entry of L1's VM-exit MSR-load area in
     * order into L1's context ({@link #loadMsr} with VMCS01: SYSENTER and EFER as VMCS01 fields, the others in the
     * processor). An entry with bits 63:32 set, IA32_FS_BASE/IA32_GS_BASE, an x2APIC MSR, IA32_SMM_MONITOR_CTL,
     * IA32_BIOS_UPDT_TRIG (refused as at VM entry, as vmx-model does) or a value WRMSR would #GP on is a VMX abort with
     * indicator 4 (29.7); the entries before it stay loaded.
     *
     * @return null, or why the VMX abort
     */
    private String loadExitMsrs() {
        Vmcs s = vmcs12;
        long n = s.read(EXIT_MSR_LOAD_COUNT), base = s.read(EXIT_MSR_LOAD_ADDR);
        for (long i = 0; i < n; i++) {
            long lo = cpu.bus().read(base + 16L * i, 8), index = lo & 0xffffffffL;
            long value = cpu.bus().read(base + 16L * i + 8, 8);
            if ((lo >>> 32) != 0 || index == Msr.IA32_FS_BASE || index == Msr.IA32_GS_BASE || (index >>> 8) == 0x8
                    || index == IA32_SMM_MONITOR_CTL || index == IA32_BIOS_UPDT_TRIG) {
                return String.format("VM-exit MSR-load entry %d (MSR %xH)", i, index);
            }
            if (!loadMsr(vmcs01, index, value)) {
                return String.format("VM-exit MSR-load entry %d: WRMSR %xH, %xH faults", i, index, value);
            }
        }
        return null;
    }

    /**
     * A VMX abort of L1 (SDM Vol. 3C 29.7): the indicator goes to bytes 4-7 of VMCS12's region (in L1's memory) and
     * L1's logical processor shuts down, as vmx-model's own abort does (the run ends with StopReason.SHUTDOWN; the
     * VMM stops the vCPU with the reason, which names the abort).
     */
    private Handled abortL1(int indicator, String why) {
        cpu.bus().write(current + ABORT_INDICATOR_OFFSET, 4, indicator);
        v.shutdown = "nested VMX: VMX abort of L1 (SDM Vol. 3C 29.7), indicator " + indicator + ": " + why;
        return Handled.STOPPED;
    }

    /** 29.3: L2's state from VMCS02 into VMCS12 (EFER, PAT, DR7/DEBUGCTL only as L1's exit controls say). */
    private void saveGuestState() {
        Vmcs s = vmcs12, d = vmcs02;
        for (VmcsField fld : GUEST_STATE) {
            s.write(fld, d.read(fld));
        }
        s.write(GUEST_CR0, crUnmerge(d, s, GUEST_CR0, CR0_SHADOW, CR0_MASK, VmxVcpu.CR0_OWNED));
        s.write(GUEST_CR4, crUnmerge(d, s, GUEST_CR4, CR4_SHADOW, CR4_MASK, VmxVcpu.CR4_OWNED));
        long exit12 = s.read(EXIT_CONTROLS);
        long efer = d.read(GUEST_EFER);
        if ((exit12 & EXIT_SAVE_EFER) != 0) {
            s.write(GUEST_EFER, efer);
        }
        if ((exit12 & EXIT_SAVE_PAT) != 0) {
            s.write(GUEST_PAT, d.read(GUEST_PAT));
        }
        if ((exit12 & EXIT_SAVE_DEBUG) != 0) {
            s.write(GUEST_DR7, d.read(GUEST_DR7));
            s.write(GUEST_DEBUGCTL, d.read(GUEST_DEBUGCTL));
        }
        // 29.3 (IA32_VMX_MISC[5]): the value of IA32_EFER.LMA goes to the "IA-32e mode guest" entry control
        long entry = s.read(ENTRY_CONTROLS);
        s.write(ENTRY_CONTROLS, (efer & Cpu.EFER_LMA) != 0 ? entry | ENTRY_IA32E : entry & ~ENTRY_IA32E);
        s.write(ENTRY_INFO, s.read(ENTRY_INFO) & ~(1L << 31));
    }

    /**
     * 29.5 "Loading Host State" from VMCS12 into L1's state (VMCS01's guest area): CR0, CR3, CR4 (through the read
     * shadows for L0's owned bits), DR7 = 400H, IA32_DEBUGCTL = 0, SYSENTER MSRs, FS/GS bases, EFER (load IA32_EFER,
     * else LMA = LME = host address-space size), PAT (load IA32_PAT); segments per 29.5.2 (CS a 64-bit or 32-bit code
     * segment by host address-space size, other selectors usable unless null, TR a busy 64-bit TSS with limit 67H, LDTR
     * unusable, GDTR/IDTR limits FFFFH); RIP, RSP; RFLAGS = 2; no blocking, active, no pending debug exceptions. Then
     * VMCS01 is current again and, when L1 did not enable VPID, L1's translations are flushed (29.5.5).
     */
    private void loadHostState() {
        Vmcs s = vmcs12;
        inL2 = false;
        root.use(vmcs01);
        long exit12 = s.read(EXIT_CONTROLS);
        boolean host64 = (exit12 & EXIT_HOST_64) != 0;
        long cr0 = s.read(HOST_CR0), cr4 = s.read(HOST_CR4);
        if (host64) {
            cr4 |= Cpu.CR4_PAE;
        }
        root.write(GUEST_CR0, cr0 | VmxVcpu.CR0_OWNED);
        root.write(CR0_SHADOW, cr0);
        root.write(GUEST_CR3, s.read(HOST_CR3));
        root.write(GUEST_CR4, cr4 | VmxVcpu.CR4_OWNED);
        root.write(CR4_SHADOW, cr4);
        root.write(GUEST_DR7, 0x400);
        root.write(GUEST_DEBUGCTL, 0);
        root.write(GUEST_SYSENTER_CS, s.read(HOST_SYSENTER_CS));
        root.write(GUEST_SYSENTER_ESP, s.read(HOST_SYSENTER_ESP));
        root.write(GUEST_SYSENTER_EIP, s.read(HOST_SYSENTER_EIP));
        long efer;
        if ((exit12 & EXIT_LOAD_EFER) != 0) {
            efer = s.read(HOST_EFER);
        } else {
            efer = root.read(GUEST_EFER) & ~(Cpu.EFER_LMA | Cpu.EFER_LME);
            efer |= host64 ? Cpu.EFER_LMA | Cpu.EFER_LME : 0;
        }
        v.setEfer(efer);
        if ((exit12 & EXIT_LOAD_PAT) != 0) {
            try {
                dev.hvsim.x86core.exec.MsrAccess.write(cpu, Msr.IA32_PAT, s.read(HOST_PAT));
            } catch (dev.hvsim.x86core.fault.ArchFault e) {
                // 28.2.2 (HOST-PAT rule) rejected an invalid host PAT at entry: not reached
            }
        }
        long codeAr = 0xb | 1 << 4 | 1 << 7 | (host64 ? 1 << 13 : 1 << 14) | 1 << 15;
        segment(Reg.CS, s.read(HOST_SELECTOR[Reg.CS]), 0, codeAr);
        for (int seg = Reg.ES; seg <= Reg.GS; seg++) {
            if (seg == Reg.CS) {
                continue;
            }
            long sel = s.read(HOST_SELECTOR[seg]);
            long base = seg == Reg.FS ? s.read(HOST_FS_BASE) : seg == Reg.GS ? s.read(HOST_GS_BASE) : 0;
            segment(seg, sel, base, sel == 0 ? 1 << 16 : 3 | 1 << 4 | 1 << 7 | 1 << 14 | 1 << 15);
        }
        root.write(SEG_SELECTOR[TR], s.read(HOST_TR_SELECTOR));
        root.write(SEG_BASE[TR], s.read(HOST_TR_BASE));
        root.write(SEG_LIMIT[TR], 0x67);
        root.write(SEG_AR[TR], 0x8b);
        root.write(SEG_SELECTOR[LDTR], 0);
        root.write(SEG_BASE[LDTR], 0);
        root.write(SEG_LIMIT[LDTR], 0);
        root.write(SEG_AR[LDTR], 1 << 16);
        root.write(GUEST_GDTR_BASE, s.read(HOST_GDTR_BASE));
        root.write(GUEST_GDTR_LIMIT, 0xffff);
        root.write(GUEST_IDTR_BASE, s.read(HOST_IDTR_BASE));
        root.write(GUEST_IDTR_LIMIT, 0xffff);
        root.write(GUEST_RIP, s.read(HOST_RIP));
        root.write(GUEST_RSP, s.read(HOST_RSP));
        root.write(GUEST_RFLAGS, 2);
        root.write(INTERRUPTIBILITY, 0);
        root.write(ACTIVITY, 0);
        root.write(PENDING_DBG, 0);
        root.write(ENTRY_INFO, 0);
        long proc2 = (s.read(PROC) & PROC_SECONDARY) != 0 ? s.read(PROC2) : 0;
        if ((proc2 & P2_VPID) == 0) {
            cpu.mmu().invalidateContexts(v.index + 1, -1, false); // 29.5.5: L1's own translations (its VPID 0000H)
        }
    }

    private void segment(int seg, long selector, long base, long ar) {
        root.write(SEG_SELECTOR[seg], selector);
        root.write(SEG_BASE[seg], base);
        root.write(SEG_LIMIT[seg], (ar & 1 << 16) != 0 ? 0 : 0xffffffffL);
        root.write(SEG_AR[seg], ar);
    }

    // ------------------------------------------------------------------ shadow EPT

    /** The EPTP of the shadow EPT02 for L1's EPTP {@code eptp12}: a new (empty) shadow when L1's EPTP changed. */
    private long shadowEptp(long eptp12) {
        if (shadow == null || shadowSource != eptp12) {
            dropShadow();
            if (shadow == null) {
                shadow = new EptMap(vmm.memory());
            }
            shadowSource = eptp12;
        }
        return shadow.eptp();
    }

    /** Unmaps every page of the shadow EPT (INVEPT, a new L1 EPTP, VMXOFF) and invalidates its TLB context. */
    private void dropShadow() {
        if (shadow == null) {
            return;
        }
        for (int i = 0; i < shadowPages.size(); i++) {
            shadow.unmap(shadowPages.get(i));
        }
        shadowPages.clear();
        cpu.mmu().invalidateContexts(-1, shadow.eptp(), false);
    }

    /**
     * An EPT violation of L2 while L1 enables EPT: the access is walked through L1's EPT (SDM Vol. 3C 29.3.2, in L1's
     * guest-physical space, with the ept module's walker). If L1's tables refuse it, the EPT violation (48, with L1's
     * qualification: access bits 2:0 and bits 7/8 as the model reported them, permissions 5:3 from L1's entries) or
     * misconfiguration (49) is reflected to L1 with the guest-physical address; if they allow it, the shadow EPT02 maps
     * the page with the permissions of L1's translation to the host page L0 backs (guest RAM only; L0's own EPT is
     * the identity on RAM) and L2 retries.
     */
    private Handled eptViolation(GuestExit x) {
        long gpa = x.gpa;
        Access access = x.access == GuestExit.WRITE ? Access.WRITE : x.access == GuestExit.FETCH ? Access.EXECUTE
                : Access.READ;
        EptFormat fmt = new EptFormat(new Eptp(shadowSource), new EptCapabilities(caps.eptVpidCap().raw()), false,
                cpu.profile().maxPhysAddr());
        AccessContext ctx = new AccessContext(false, 0, false, 0, false, false, true, false, MemoryType.WB, false);
        WalkResult r = walker.translateGuestPhysical(fmt, gpa, access, ctx, true);
        if (!r.translated()) {
            Fault fault = (Fault) r;
            Vmcs d = vmcs02;
            if (fault.detail() instanceof FaultDetail.EptViolation) {
                long q12 = ((FaultDetail.EptViolation) fault.detail()).qualification().raw();
                long q = (x.qualification & ~0x38L) | (q12 & 0x38L);
                d.write(QUALIFICATION, q);
            } else {
                d.write(EXIT_REASON, 49);
                d.write(QUALIFICATION, 0);
            }
            return reflect();
        }
        Translated t = (Translated) r;
        long hpa = t.hostPhys() & ~0xfffL;
        if (vmm.machine().memory().ramPage(hpa) == null || vmm.memory().contains(hpa)) {
            v.failure = "nested VMX: L2 access through L1's EPT to " + Hex.of(hpa)
                    + ", which is not guest RAM (device pages behind L1's EPT are not supported)";
            return Handled.STOPPED;
        }
        int perms = t.permissions() & 7;
        if ((perms & EptMap.READ) == 0) {
            perms |= EptMap.READ; // execute-only is not offered to L1 (EPT_VPID_CAP[0] = 0): a readable page
        }
        vmm.ept().map(hpa, hpa); // L0's own backing of the L1 page (identity on RAM)
        shadow.map(gpa & ~0xfffL, hpa, perms);
        shadowPages.add(gpa & ~0xfffL);
        handledByL0++;
        reinjectVectoredEvent();
        return Handled.MAPPED;
    }

    /**
     * An exit L0 handles during the delivery of an event to L2 (IDT-vectoring information valid, SDM Vol. 3C 29.2.4)
     * loses the event unless it is injected again at the next entry (VM-entry interruption information, 25.8.3:
     * vector, type, error-code bit and error code; the instruction length for software events).
     */
    private void reinjectVectoredEvent() {
        long info = root.read(IDT_VECTORING);
        if ((info & 1L << 31) == 0) {
            return;
        }
        root.write(ENTRY_INFO, info & (1L << 31 | 1L << 11 | 0x7ffL));
        if ((info & 1L << 11) != 0) {
            root.write(ENTRY_ERROR, root.read(IDT_VECTORING_ERROR));
        }
        int type = (int) (info >>> 8 & 7);
        if (type >= 4) {
            root.write(ENTRY_LENGTH, root.read(EXIT_LENGTH));
        }
    }

    // ------------------------------------------------------------------ snapshots (the debugger's reverse execution)

    /**
     * Every field of L1's virtual VMX state and of the current nested run (IA32_FEATURE_CONTROL, VMX operation, the
     * VMXON and current-VMCS pointers, VMCS12/01/02 and their MSR bitmaps, L2's controls, the launched VMCS12 and its
     * VPID, the shadow EPT with its source and the pages it mapped, the last entry outcome, the exit counters), for the
     * VMM's snapshots. The entry-check memo is not part of it: it compares every VMCS12 field with the last checked
     * values, so it gives the full checks' outcome whatever the timeline.
     */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long[] l = {featureControl, vmxonPointer, current, msrBitmap01, msrBitmap02, proc02, launched12, lastVpid12,
            shadowSource, reflected, handledByL0};
        boolean vmx = vmxOperation, l2 = inL2;
        Vmcs v12 = vmcs12, v01 = vmcs01, v02 = vmcs02;
        EptMap sh = shadow;
        dev.hvsim.x86core.Snapshottable.Snapshot shadowState = sh == null ? null : sh.snapshot();
        long[] pages = shadowPages.toArray();
        EntryOutcome outcome = lastOutcome;
        return () -> {
            featureControl = l[0]; vmxonPointer = l[1]; current = l[2]; msrBitmap01 = l[3]; msrBitmap02 = l[4];
            proc02 = l[5]; launched12 = l[6]; lastVpid12 = l[7]; shadowSource = l[8]; reflected = l[9];
            handledByL0 = l[10];
            vmxOperation = vmx;
            inL2 = l2;
            vmcs12 = v12;
            vmcs01 = v01;
            vmcs02 = v02;
            shadow = sh;
            if (shadowState != null) {
                shadowState.restore();
            }
            shadowPages.clear();
            shadowPages.addAll(pages);
            lastOutcome = outcome;
        };
    }

    // ------------------------------------------------------------------ single-stepped I/O of L2

    @Override
    public void ioIntercept(boolean on) {
        root.write(PROC, on ? proc02 : proc02 & ~(PROC_IO | PROC_IO_BITMAPS));
    }
}
