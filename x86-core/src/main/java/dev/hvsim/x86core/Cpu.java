package dev.hvsim.x86core;

import dev.hvsim.x86core.bus.DmaProtectionHook;
import dev.hvsim.x86core.bus.IoBus;
import dev.hvsim.x86core.bus.PageAccess;
import dev.hvsim.x86core.bus.PhysicalBus;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Decoder;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.OpcodeRow;
import dev.hvsim.x86core.exec.CpuidTable;
import dev.hvsim.x86core.exec.Exec;
import dev.hvsim.x86core.exec.FastPath;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.CpuSignal;
import dev.hvsim.x86core.fault.TripleFault;
import dev.hvsim.x86core.fault.VmExitSignal;
import dev.hvsim.x86core.jit.TranslatedBlock;
import dev.hvsim.x86core.jit.Translations;

/**
 * One logical x86-64 processor: fetch, decode (through the per-CPU decode cache), central checks,
 * intercepts, execute, retire, pending events. {@link #run} is the one entry point that everything
 * driving the CPU uses (VMM, debugger, tests, CLI).
 *
 * <p>"A step" is one instruction retired or one event delivered: when an instruction faults, the step
 * ends with the exception delivered (RIP at the handler), and counts as an instruction.
 */
public final class Cpu implements Snapshottable {
    public static final long CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 16, CR0_NE = 32,
            CR0_WP = 1L << 16, CR0_AM = 1L << 18, CR0_NW = 1L << 29, CR0_CD = 1L << 30, CR0_PG = 1L << 31;
    public static final long CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 16, CR4_PAE = 32,
            CR4_MCE = 64, CR4_PGE = 128, CR4_PCE = 256, CR4_OSFXSR = 512, CR4_OSXMMEXCPT = 1024, CR4_UMIP = 2048,
            CR4_LA57 = 4096, CR4_VMXE = 1L << 13, CR4_SMXE = 1L << 14, CR4_FSGSBASE = 1L << 16,
            CR4_PCIDE = 1L << 17, CR4_OSXSAVE = 1L << 18, CR4_SMEP = 1L << 20, CR4_SMAP = 1L << 21,
            CR4_PKE = 1L << 22;
    public static final long EFER_SCE = 1, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11,
            EFER_SVME = 1L << 12;


    /** CPUID features that only an installed extension provides (CpuExtension#implementsFeature). */
    private static final Feature[] EXTENSION_FEATURES = {Feature.VMX, Feature.SVM, Feature.SKINIT};

    final CpuState s;
    private final CpuProfile profile;
    private final PhysicalBus bus;
    private final IoBus io;
    private Decoder decoder;
    private CpuExtension extension;
    final Mmu mmu;
    private final boolean[] features;
    private final CpuidTable cpuidTable;
    private final boolean has1G;
    private final DecodeCache cache;
    private final Interrupts interrupts;
    private final Segmentation segmentation;
    private final Rng rng;
    private GuestMode guestMode = NativeMode.INSTANCE;
    /** Cached {@code guestMode.active()}: guest modes are swapped at VM entry and exit only. */
    private boolean guestActive;
    private ExecutionListener listener;
    /** A listener is attached and wants the per-instruction callbacks. */
    private boolean perInstructionListener;
    private InterruptSource interruptSource = InterruptSource.NONE;
    private DmaProtectionHook dmaProtection = DmaProtectionHook.NONE;
    private final int apicId;
    /** Set by an instruction that takes no single-step trap (SKINIT); consumed by {@link #step}. */
    private boolean noSingleStepTrap;

    long cycles;
    long instructions;
    /** Current privilege level. */
    int cpl;
    /** 16, 32 or 64. */
    int codeSize = 16;
    /** RIP of the next instruction; handlers that transfer control assign it. */
    public long nextRip;
    /** Set by devices and by state changes that may unmask an event; checked after each instruction. */
    boolean eventPending;
    private volatile boolean stopRequested;
    private StopReason stopReason;
    /** Set by a listener's beforeInstruction: the step ends before the instruction executes. */
    private StopReason stopBefore;
    /** Data watchpoints; null (the normal case) when none. */
    MemoryWatch memoryWatch;
    private Object lastVmExit;
    /** A VM exit a guest mode took without throwing ({@link #exitWithoutUnwinding}); the step ends with it. */
    private Object deferredVmExit;
    private String shutdownReason;
    private DecodedInsn current;

    /**
     * Block translation of hot 64-bit code (null when off): system property {@code hvsim.jit} (default
     * true) at construction, {@link #setJit} afterwards.
     */
    private Translations jit;
    /**
     * Most passes of a looping block per entry, so the fast loop looks at events now and then, and so
     * that HotSpot, which counts invocations before it compiles a method, compiles a new block early.
     */
    private static final long MAX_PASSES = 64;

    /** A fetch window: the linear page the last instruction came from and its decode-cache page. */
    private long fetchLpn = -1;
    private DecodedInsn[] fetchPage;
    private long fetchPpn;

    public Cpu(CpuProfile profile, PhysicalBus bus, IoBus io) {
        this(profile, bus, io, 0);
    }

    public Cpu(CpuProfile profile, PhysicalBus bus, IoBus io, int apicId) {
        this.profile = profile;
        this.bus = bus;
        this.io = io;
        this.apicId = apicId;
        this.s = new CpuState();
        this.features = profile.featureVector();
        this.cpuidTable = CpuidTable.of(profile);
        // VMX, SVM and SKINIT exist only while a vendor model implementing them is installed (see install)
        for (Feature f : EXTENSION_FEATURES) {
            features[f.ordinal()] = false;
        }
        this.has1G = profile.has(Feature.PAGE1GB);
        this.decoder = new Decoder(Exec.table(), features, profile.vendor(), profile::cycles);
        this.mmu = new Mmu(this, bus, profile.maxPhysAddr());
        this.cache = new DecodeCache(this);
        this.interrupts = new Interrupts(this);
        this.segmentation = new Segmentation(this);
        this.rng = new Rng(0x6876_7369_6dL + apicId);
        bus.addWriteObserver((pa, len) -> physicalWritten(pa, len));
        setJit(!"false".equalsIgnoreCase(System.getProperty("hvsim.jit", "true")));
        reset();
        for (CpuExtension.Provider p : ExtensionProviders.ALL) {
            CpuExtension x = p.create(this);
            if (x != null) {
                if (x != extension) {
                    install(x);
                }
                break;
            }
        }
    }

    // ===================================================================== reset and modes

    /** Power-on state (SDM Vol. 3A 10.1.1, Table 10-1), except that RIP/CS are set by the loader. */
    public void reset() {
        java.util.Arrays.fill(s.gpr, 0);
        s.setRflags(Flags.FIXED1);
        s.rip = 0xfff0;
        s.seg[Reg.CS].set(0xf000, 0xffff0000L, 0xffff, 0x9b);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0, 0, 0xffff, 0x93);
        }
        s.ldtr.set(0, 0, 0xffff, 0x82);
        s.tr.set(0, 0, 0xffff, 0x8b);
        s.gdtrBase = 0; s.gdtrLimit = 0xffff; s.idtrBase = 0; s.idtrLimit = 0xffff;
        s.cr0 = CR0_ET | CR0_CD | CR0_NW;
        s.cr2 = 0; s.cr3 = 0; s.cr4 = 0; s.cr8 = 0; s.efer = 0; s.xcr0 = 1; s.pkru = 0;
        java.util.Arrays.fill(s.dr, 0);
        s.dr[6] = 0xffff0ff0L;
        s.dr[7] = 0x400;
        // x87/SSE power-on state (SDM Vol. 3A 10.1.1, Table 10-1)
        s.fcw = 0x40; s.fsw = 0; s.ftwAbridged = 0xff; s.fop = 0; s.fip = 0; s.fdp = 0; s.fcs = 0; s.fds = 0;
        s.mxcsr = CpuState.MXCSR_INIT;
        java.util.Arrays.fill(s.fpr, (byte) 0);
        java.util.Arrays.fill(s.xmm, 0);
        s.msr.clear();
        s.msr.put(Msr.IA32_PAT, 0x0007040600070406L);
        s.msr.put(Msr.IA32_APIC_BASE, 0xfee00000L | 0x800 | (apicId == 0 ? 0x100 : 0));
        s.gpr[Reg.RDX] = profile.cpuidExact(1, 0) == null ? 0 : profile.cpuidExact(1, 0)[0];
        s.halted = false;
        s.nmiBlocked = false;
        s.stiShadow = false;
        s.movSsShadow = false;
        cycles = 0;
        instructions = 0;
        modeChanged();
        mmu.flushAll();
    }

    /**
     * Recomputes code size and cached mode bits after CR0, EFER, RFLAGS.VM or CS changed. CPL is 0 in
     * real mode and 3 in virtual-8086 mode; in protected mode it only changes through {@link #setCpl}
     * (control transfers), so that MOV CR0 setting PE leaves CPL 0 as on hardware.
     */
    public void modeChanged() {
        boolean pe = (s.cr0 & CR0_PE) != 0;
        boolean vm86 = pe && (s.flagsRest & Flags.VM) != 0 && !longMode();
        Segment cs = s.seg[Reg.CS];
        if (!pe) {
            cpl = 0;
            codeSize = cs.big() ? 32 : 16;
        } else if (vm86) {
            cpl = 3;
            codeSize = 16;
        } else {
            if (longMode() && cs.longMode()) {
                codeSize = 64;
            } else {
                codeSize = cs.big() ? 32 : 16;
            }
        }
        fetchInvalidate();
        eventPending = true;
    }

    /** Sets the CPL explicitly (control transfers that change privilege call this before modeChanged). */
    public void setCpl(int cpl) {
        this.cpl = cpl;
    }

    public int cpl() { return cpl; }
    public int codeSize() { return codeSize; }
    public boolean protectedMode() { return (s.cr0 & CR0_PE) != 0; }
    public boolean realMode() { return (s.cr0 & CR0_PE) == 0; }
    public boolean v86() { return (s.cr0 & CR0_PE) != 0 && (s.flagsRest & Flags.VM) != 0; }
    public boolean longMode() { return (s.efer & EFER_LMA) != 0; }
    public boolean mode64() { return codeSize == 64; }
    public boolean pagingEnabled() { return (s.cr0 & CR0_PG) != 0 && (s.cr0 & CR0_PE) != 0; }
    public boolean nxEnabled() { return (s.efer & EFER_NXE) != 0; }
    public boolean cr0(long bit) { return (s.cr0 & bit) != 0; }
    public boolean cr4(long bit) { return (s.cr4 & bit) != 0; }
    boolean profileHas1GPages() { return has1G; }
    /** SMAP override: RFLAGS.AC = 1 and CPL < 3 (implicit accesses never pass here). */
    boolean acAllowsSmap() { return (s.flagsRest & Flags.AC) != 0 && cpl < 3; }

    /** The stack address size: 64 in 64-bit mode, else SS.B. */
    public int stackAddrSize() {
        return codeSize == 64 ? 8 : s.seg[Reg.SS].big() ? 4 : 2;
    }

    // ===================================================================== accessors

    public CpuState state() { return s; }
    public CpuProfile profile() { return profile; }
    public Vendor vendor() { return profile.vendor(); }
    public PhysicalBus bus() { return bus; }
    public IoBus io() { return io; }
    public Mmu mmu() { return mmu; }
    public Decoder decoder() { return decoder; }

    /**
     * Installs a vendor extension on this CPU: its opcode rows join the core's in a decoder of this CPU's
     * own, its MSRs and CR4 bits are routed to it. Flushes decoded instructions. One extension per CPU;
     * installing again replaces it, null removes it.
     */
    public void install(CpuExtension ext) {
        this.extension = ext;
        for (Feature f : EXTENSION_FEATURES) {
            features[f.ordinal()] = ext != null && ext.implementsFeature(f) && profile.has(f);
        }
        cr4ProfileBits = -1; // recomputed from the features now in force
        this.decoder = new Decoder(ext == null ? Exec.table() : ext.opcodeTable(), features, profile.vendor(),
                profile::cycles);
        flushDecodeCache();
    }

    /** The installed extension, or null. */
    public CpuExtension extension() { return extension; }
    public Segmentation segmentation() { return segmentation; }
    public Interrupts interrupts() { return interrupts; }
    public Rng rng() { return rng; }
    public int apicId() { return apicId; }
    public long cycles() { return cycles; }
    public long instructions() { return instructions; }
    public boolean has(Feature f) { return features[f.ordinal()]; }
    /** The profile's CPUID leaves, parsed once for this CPU. */
    public CpuidTable cpuidTable() { return cpuidTable; }

    /** The CR4 bits the profile's CPUID makes writable, computed once (see MsrAccess.cr4Allowed). */
    public long cr4ProfileBits() {
        long b = cr4ProfileBits;
        if (b < 0) {
            b = cr4ProfileBits = dev.hvsim.x86core.exec.MsrAccess.cr4ProfileBits(this);
        }
        return b;
    }

    private long cr4ProfileBits = -1;
    /** Linear-address width: 57 with LA57, else 48 (the profile's {@link CpuProfile#linearAddressBits()}, without its parsing). */
    public int linearAddressBits() { return features[Feature.LA57.ordinal()] ? 57 : 48; }
    public GuestMode guestMode() { return guestMode; }
    public void setGuestMode(GuestMode m) {
        guestMode = m == null ? NativeMode.INSTANCE : m;
        guestActive = guestMode.active();
    }
    /**
     * Installs the second stage (EPT, nested paging) that guest-physical addresses go through; {@code null}
     * or {@link SecondStage#IDENTITY} for none. Changing it flushes the TLB (its entries hold host-physical
     * addresses of the previous stage).
     */
    public void setSecondStage(SecondStage s) { mmu.setSecondStage(s); }
    /** The installed second stage ({@link SecondStage#IDENTITY} when none). */
    public SecondStage secondStage() { return mmu.secondStage(); }
    public void setListener(ExecutionListener l) {
        listener = l;
        perInstructionListener = l != null && l.observesInstructions();
    }
    public ExecutionListener listener() { return listener; }

    /**
     * Installs data watchpoints ({@code null}: none) and takes the host page out of every TLB entry of a
     * watched page, so that accesses to it leave the fast path. Translations stay cached (no walk, no cycle
     * and no accessed flag more than without a watch). Call again after the watched set changes.
     */
    public void setMemoryWatch(MemoryWatch w) {
        memoryWatch = w;
        mmu.refreshHostPages();
    }

    public MemoryWatch memoryWatch() { return memoryWatch; }

    /**
     * Turns block translation of hot 64-bit code on or off (x86-core {@code jit}; the interpreter is the
     * reference and the results are identical either way). Turning it off drops every translation.
     */
    public void setJit(boolean on) {
        setJit(on, Integer.getInteger("hvsim.jit.threshold", Translations.DEFAULT_THRESHOLD));
    }

    /**
     * As {@link #setJit(boolean)}, translating from an instruction once the fast loop reached it
     * {@code threshold} times (tests use small thresholds to translate short loops). Drops every translation.
     */
    public void setJit(boolean on, int threshold) {
        jit = on ? new Translations(profile.vendor() == Vendor.AMD, threshold) : null;
        flushDecodeCache();
    }

    public boolean jitEnabled() { return jit != null; }

    /** Blocks translated so far (0 when translation is off). */
    public long blocksTranslated() { return jit == null ? 0 : jit.translated(); }

    /** Translations the JVM refused to load (a translator bug; those blocks stay interpreted). */
    public long translationFailures() { return jit == null ? 0 : jit.failures(); }
    public void setInterruptSource(InterruptSource src) { interruptSource = src == null ? InterruptSource.NONE : src; }
    public InterruptSource interruptSource() { return interruptSource; }
    /** Registers the platform's device-DMA protection hook ({@code null}: {@link DmaProtectionHook#NONE}). */
    public void setDmaProtectionHook(DmaProtectionHook h) { dmaProtection = h == null ? DmaProtectionHook.NONE : h; }
    /** The platform's device-DMA protection hook ({@link DmaProtectionHook#NONE} when the platform has none). */
    public DmaProtectionHook dmaProtectionHook() { return dmaProtection; }

    /**
     * The instruction being executed takes no single-step trap even with RFLAGS.TF = 1 before it (AMD APM Vol. 2
     * 15.27.6: SKINIT reinitialises the processor and does not respond to the trace trap). Handlers only.
     */
    public void suppressSingleStepTrap() { noSingleStepTrap = true; }
    public Object lastVmExit() { return lastVmExit; }

    /**
     * The alternative to throwing {@link VmExitSignal} for a guest mode (or an extension's instruction handler) that
     * has completed a VM exit in {@link GuestMode#interceptInstruction}, in {@link GuestMode#interceptIo} for a
     * non-string IN/OUT, or in an instruction handler, and then returns at once: the step ends with
     * {@link StopReason#VM_EXIT} and {@code exit} as {@link #lastVmExit()}, exactly as if the signal had been thrown
     * there (the instruction does not retire). It spares the JVM's exception unwinding through the frames between the
     * intercept and the step loop, the largest single cost of an exit round trip. Anywhere else, throw the signal.
     */
    public void exitWithoutUnwinding(Object exit) {
        deferredVmExit = exit;
    }

    /** A VM exit is pending through {@link #exitWithoutUnwinding}: the handler that asked must not go on. */
    public boolean vmExitTaken() {
        return deferredVmExit != null;
    }

    private StopReason takeDeferredVmExit() {
        lastVmExit = deferredVmExit;
        deferredVmExit = null;
        return StopReason.VM_EXIT;
    }
    public String shutdownReason() { return shutdownReason; }
    /** The instruction being executed (for handlers and guest modes). */
    public DecodedInsn current() { return current; }

    public void addCycles(long n) {
        cycles += n;
    }

    /** Sets the TSC (WRMSR IA32_TIME_STAMP_COUNTER): the cycle counter itself is never changed. */
    public void setTsc(long v) {
        s.tscAdjust = v - cycles * profile.tscPerCycle();
    }

    /** TSC as derived from the cycle counter plus IA32_TSC writes' offset (deterministic). */
    public long tsc() {
        return cycles * profile.tscPerCycle() + s.tscAdjust;
    }

    /** The guest's view of the TSC: (TSC * multiplier) >> 48 + offset; multiplier 1 << 48 and offset 0 natively. */
    private long guestTscMultiplier = 1L << 48, guestTscOffset;

    /**
     * Sets how RDTSC, RDTSCP and RDMSR IA32_TIME_STAMP_COUNTER see the TSC while a guest runs (a vendor's TSC
     * offsetting and scaling, e.g. SDM Vol. 3C "Timestamp-Counter Offsetting and Multiplying"): the 128-bit unsigned
     * product of TSC and {@code multiplier} shifted right by 48, plus {@code offset} (mod 2^64). A guest mode sets it
     * at entry and {@link #clearGuestTsc} at exit.
     */
    public void setGuestTsc(long multiplier, long offset) {
        guestTscMultiplier = multiplier;
        guestTscOffset = offset;
    }

    /** Back to the plain TSC (multiplier 1.0, offset 0). */
    public void clearGuestTsc() {
        setGuestTsc(1L << 48, 0);
    }

    /** The TSC as the executing software reads it (RDTSC, RDTSCP, RDMSR IA32_TSC): see {@link #setGuestTsc}. */
    public long readTsc() {
        long t = tsc();
        long m = guestTscMultiplier;
        if (m != 1L << 48) {
            long hi = Math.multiplyHigh(t, m) + ((t >> 63) & m) + ((m >> 63) & t); // unsigned 128-bit product
            t = hi << 16 | (t * m) >>> 48;
        }
        return t + guestTscOffset;
    }

    /** Something may have become deliverable (interrupt line, IF set, shadow ended): check after this instruction. */
    public void signalEvent() {
        eventPending = true;
    }

    /** Asks a running CPU to stop at the next instruction boundary; safe from any thread. */
    public void requestStop() {
        stopRequested = true;
        eventPending = true;
    }

    // ===================================================================== the step loop

    /**
     * Runs until a stop condition: halted, shutdown, VM exit, stop requested, or one of the limits.
     *
     * @param maxInstructions instructions to execute at most (Long.MAX_VALUE for no limit)
     * @param maxCycles       cycles to spend at most (Long.MAX_VALUE for no limit)
     */
    public StopReason run(long maxInstructions, long maxCycles) {
        long insnEnd = saturatingAdd(instructions, maxInstructions);
        long cycleEnd = saturatingAdd(cycles, maxCycles);
        stopReason = null;
        eventPending = true;
        while (true) {
            if (eventPending) {
                StopReason r = events();
                if (r != null) {
                    return r;
                }
            }
            if (instructions >= insnEnd) {
                return StopReason.INSTRUCTION_LIMIT;
            }
            if (cycles >= cycleEnd) {
                return StopReason.CYCLE_LIMIT;
            }
            // eventPending still set after events(): an interrupt waits for a shadow to end; step once
            StopReason r = !perInstructionListener && !eventPending ? runFast(insnEnd, cycleEnd) : step();
            if (r != null) {
                return r;
            }
        }
    }

    /**
     * The common case of {@link #step} in a loop: no per-instruction listener, no event pending, and the next
     * instruction already decoded in the current 64-bit code page with no central checks, TF clear and, while a guest
     * mode is active, no intercept point (the only per-instruction work {@link #step} does for a guest mode; a guest
     * mode that must look at every boundary, e.g. for a monitor trap flag or a preemption timer, keeps an event
     * pending, which sends every instruction through {@link #step}). Translated blocks never hold an instruction with
     * an intercept point. Anything else (and every fault) goes through {@link #step}, which this never duplicates: it
     * returns to the caller's loop as soon as a condition it does not handle comes up.
     */
    private StopReason runFast(long insnEnd, long cycleEnd) {
        boolean sideExited = false;
        while (!eventPending && instructions < insnEnd && cycles < cycleEnd) {
            long rip = s.rip;
            DecodedInsn d;
            if (codeSize != 64 || (rip >>> 12) != fetchLpn || (d = fetchPage[(int) rip & 0xfff]) == null
                    || d.checks != 0 || (s.flagsRest & Flags.TF) != 0 || guestActive && d.intercept != null) {
                return step();
            }
            if (jit != null && !sideExited) {
                TranslatedBlock b = d.block;
                if (b != null) {
                    if (b.startRip() == rip) {
                        int r = runBlock(b, insnEnd, cycleEnd);
                        if (r != BLOCK_NO_ROOM) {
                            sideExited = r == BLOCK_SIDE_EXIT; // the interpreter executes that instruction
                            continue;
                        }
                    }
                } else if (++d.heat == jit.threshold && jit.translate(fetchPage, (int) rip & 0xfff, rip)) {
                    continue;
                }
            }
            sideExited = false;
            current = d;
            nextRip = rip + d.length;
            try {
                FastPath.execute(this, d);
            } catch (CpuSignal signal) {
                return signalled(signal, rip);
            }
            if (deferredVmExit != null) { // a guest mode's exit ended the instruction (exitWithoutUnwinding)
                return takeDeferredVmExit();
            }
            s.rip = nextRip;
            cycles += d.cycles;
            instructions++;
            if (stopReason != null) {
                return takeStopReason();
            }
        }
        return null;
    }

    private static final int BLOCK_DONE = 0, BLOCK_SIDE_EXIT = 1, BLOCK_NO_ROOM = 2;

    /**
     * Runs a translated block if one whole pass fits in both budgets (so that the budgets stop at exactly
     * the instruction the interpreter stops at: the interpreter goes on one instruction at a time when it
     * does not fit), a looping block as many passes as fit. Adds the instructions and cycles it retired.
     */
    private int runBlock(TranslatedBlock b, long insnEnd, long cycleEnd) {
        int n = b.length();
        long c = b.passCycles();
        long insnRoom = insnEnd - instructions;
        long cycleRoom = cycleEnd - cycles;
        if (insnRoom < n || cycleRoom < c) {
            return BLOCK_NO_ROOM;
        }
        long max = 1;
        if (b.loops()) {
            if (insnRoom >= n * MAX_PASSES && cycleRoom >= c * MAX_PASSES) {
                max = MAX_PASSES; // the common case, without two divisions
            } else {
                max = Math.min(insnRoom / n, MAX_PASSES);
                if (c > 0) {
                    max = Math.min(max, cycleRoom / c);
                }
            }
        }
        long r = b.run(this, s, max);
        long passes = TranslatedBlock.passes(r);
        int k = TranslatedBlock.exitIndex(r);
        instructions += passes * n + k;
        cycles += passes * c + b.cyclesBefore(k);
        return TranslatedBlock.sideExit(r) ? BLOCK_SIDE_EXIT : BLOCK_DONE;
    }

    /**
     * For translated code: the host page of a data read of {@code size} bytes at linear {@code lin} in
     * 64-bit mode when it is a TLB hit that {@link #read}'s fast path would serve, else null (the block
     * then leaves and the interpreter performs the access).
     */
    public byte[] tlbReadPage(long lin, int size) {
        return tlbPage(lin, size, cpl == 3 ? Mmu.P_UR : Mmu.P_SR);
    }

    /** As {@link #tlbReadPage} for a write ({@link #write}'s fast path; never a page holding decoded code). */
    public byte[] tlbWritePage(long lin, int size) {
        return tlbPage(lin, size, cpl == 3 ? Mmu.P_UW : Mmu.P_SW);
    }

    /** The TLB-hit page for an access of {@code size} bytes at {@code lin} that needs {@code perm}, else null. */
    private byte[] tlbPage(long lin, int size, int perm) {
        int po = (int) lin & 0xfff;
        long lpn = lin >>> 12;
        int i = Mmu.index(lpn);
        byte[] page = mmu.tlbPage[i];
        if (po + size <= 4096 && mmu.tlbTag[i] == lpn && page != null && (mmu.tlbPerm[i] & perm) != 0) {
            mmu.tlbHits++;
            return page;
        }
        return null;
    }

    /**
     * What a signal thrown by an instruction at {@code rip} ends the step with: a fault is delivered
     * (the faulting instruction counts as executed), a triple fault shuts down, a VM exit stops the run.
     */
    private StopReason signalled(CpuSignal signal, long rip) {
        if (signal instanceof ArchFault) {
            s.rip = rip;
            instructions++;
            return deliverFault((ArchFault) signal);
        }
        if (signal instanceof TripleFault) {
            return shutdown(signal.getMessage());
        }
        lastVmExit = ((VmExitSignal) signal).exit();
        return StopReason.VM_EXIT;
    }

    private StopReason takeStopReason() {
        StopReason r = stopReason;
        stopReason = null;
        return r;
    }

    /** Executes exactly one instruction (or delivers one event); returns a stop reason or null. */
    public StopReason step() {
        long startRip = s.rip;
        boolean tf = (s.flagsRest & Flags.TF) != 0;
        try {
            DecodedInsn d = fetchDecode();
            current = d;
            if (perInstructionListener) {
                listener.beforeInstruction(this, d);
                if (stopBefore != null) {
                    StopReason r = stopBefore;
                    stopBefore = null;
                    return r;
                }
            }
            if ((d.checks | (guestActive ? 1 : 0)) != 0) {
                centralChecks(d);
                if (deferredVmExit != null) {
                    return takeDeferredVmExit();
                }
            }
            nextRip = s.rip + d.length;
            if (codeSize != 64) {
                nextRip &= codeSize == 32 ? 0xffffffffL : 0xffffL;
            }
            FastPath.execute(this, d);
            if (deferredVmExit != null) {
                return takeDeferredVmExit();
            }
            s.rip = nextRip;
            cycles += d.cycles;
            instructions++;
            if (perInstructionListener) {
                listener.afterInstruction(this, d);
            }
            if (noSingleStepTrap) {
                noSingleStepTrap = false;
            } else if (tf) {
                interrupts.singleStepTrap();
            }
        } catch (CpuSignal signal) {
            return signalled(signal, startRip);
        }
        if (stopReason != null) {
            return takeStopReason();
        }
        return null;
    }

    /** Instruction count at which the STI / MOV SS shadow ends. */
    private long shadowUntil;

    /** STI sets the interrupt shadow when it changes IF from 0 to 1 (SDM Vol. 2B STI, Vol. 3A 6.8.3). */
    public void beginStiShadow() {
        s.stiShadow = true;
        shadowUntil = instructions + 2;
    }

    /** MOV SS / POP SS block interrupts and debug traps for one instruction (SDM Vol. 3A 6.8.3). */
    public void beginMovSsShadow() {
        s.movSsShadow = true;
        shadowUntil = instructions + 2;
    }

    /** True while an STI or MOV SS shadow blocks interrupts. */
    public boolean inShadow() {
        if ((s.stiShadow || s.movSsShadow) && instructions >= shadowUntil) {
            s.stiShadow = false;
            s.movSsShadow = false;
        }
        return s.stiShadow || s.movSsShadow;
    }

    private StopReason deliverFault(ArchFault f) {
        try {
            interrupts.deliverException(f);
            return null;
        } catch (TripleFault t) {
            return shutdown(t.getMessage());
        } catch (VmExitSignal v) {
            lastVmExit = v.exit();
            return StopReason.VM_EXIT;
        }
    }

    StopReason shutdown(String why) {
        try {
            guestMode.interceptTripleFault(this);
        } catch (VmExitSignal v) {
            lastVmExit = v.exit();
            return StopReason.VM_EXIT;
        } catch (TripleFault t) {
            why = t.getMessage(); // the guest mode's exit itself failed (e.g. a VMX abort): shut down with its reason
        }
        shutdownReason = why;
        if (listener != null) {
            listener.onShutdown(this, why);
        }
        return StopReason.SHUTDOWN;
    }

    /** Pending events at an instruction boundary, in priority order (SDM Vol. 3A 6.9). */
    private StopReason events() {
        eventPending = false;
        if (stopRequested) {
            stopRequested = false;
            return StopReason.STOP_REQUESTED;
        }
        if (shutdownReason != null && s.halted) {
            return StopReason.SHUTDOWN;
        }
        try {
            if (guestActive) {
                guestMode.atEventBoundary(this);
            }
            boolean delivered = interrupts.acceptPending();
            if (delivered && guestActive) {
                guestMode.eventDelivered(this);
            }
            if (!delivered && interruptSource != InterruptSource.NONE && inShadow()) {
                eventPending = true; // an interrupt held back by the shadow is taken at the next boundary
            }
            if (s.halted && !delivered) {
                eventPending = true;
                boolean wakes = interrupts.canEverWake()
                        || guestActive && guestMode.wakeDeadline(this) != Long.MAX_VALUE; // e.g. a guest's timer
                return wakes ? StopReason.WAITING_FOR_INTERRUPT : StopReason.HALTED;
            }
        } catch (TripleFault t) {
            return shutdown(t.getMessage());
        } catch (VmExitSignal v) {
            lastVmExit = v.exit();
            return StopReason.VM_EXIT;
        }
        return null;
    }

    /**
     * Called by a listener from {@link ExecutionListener#beforeInstruction}: the instruction is not executed
     * (nothing retires, RIP still points at it) and the step returns {@code r} (a debugger's breakpoint).
     */
    public void stopBeforeInstruction(StopReason r) {
        stopBefore = r;
    }

    /** A device or handler ends the current run after this instruction with the given reason. */
    public void stopAfterInstruction(StopReason r) {
        stopReason = r;
    }

    /** The opcode row's central checks, in SDM priority order (mode validity before privilege). */
    private void centralChecks(DecodedInsn d) {
        int attrs = d.checks;
        if (attrs != 0) {
            if ((attrs & OpcodeRow.A_UD) != 0) {
                throw ArchFault.ud();
            }
            if ((attrs & OpcodeRow.A_NO_REAL) != 0 && (realMode() || v86())) {
                throw ArchFault.ud();
            }
            if ((attrs & OpcodeRow.A_CPL0) != 0 && cpl != 0) {
                throw ArchFault.gp0();
            }
            if ((attrs & OpcodeRow.A_TSD) != 0 && cpl != 0 && (s.cr4 & CR4_TSD) != 0) {
                throw ArchFault.gp0(); // SDM Vol. 2B RDTSC/RDTSCP; priority over VM exits: Vol. 3C 26.1.1
            }
        }
        if (d.intercept != null && guestActive) {
            guestMode.interceptInstruction(d.intercept, d, this);
        }
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    // ===================================================================== fetch and decode cache

    void fetchInvalidate() {
        fetchLpn = -1;
        fetchPage = null;
    }

    private final Decoder.Fetcher fetcher = this::fetchByte;
    private long fetchBase;

    private DecodedInsn fetchDecode() {
        long rip = s.rip;
        if ((rip >>> 12) == fetchLpn && (codeSize == 64 || codeSize == 32 && flatCs())) {
            // Same page as the last fetch: it was translated and is canonical; the mode has not changed. 32-bit code
            // in a flat CS (base 0, limit 4 GiB - 1) has linear = RIP, and a cached instruction (never crossing its
            // page) ends within the limit, so neither the base nor the limit needs applying (SDM Vol. 3A 5.3).
            DecodedInsn d = fetchPage[(int) rip & 0xfff];
            if (d != null) {
                return d;
            }
        }
        return fetchDecodeSlow();
    }

    private boolean flatCs() {
        Segment cs = s.seg[Reg.CS];
        return cs.base == 0 && cs.limit == 0xffffffffL;
    }

    private DecodedInsn fetchDecodeSlow() {
        long lin = codeLinear(s.rip);
        long lpn = lin >>> 12;
        int off = (int) (lin & 0xfff);
        if (lpn == fetchLpn) {
            DecodedInsn d = fetchPage[off];
            if (d != null) {
                checkCsLimit(d.length);
                return d;
            }
        } else {
            long pa = mmu.translate(lin, Mmu.EXEC, cpl == 3);
            fetchLpn = lpn;
            fetchPpn = pa >>> 12;
            fetchPage = cache.page(fetchPpn, codeSize);
            DecodedInsn d = fetchPage[off];
            if (d != null) {
                checkCsLimit(d.length);
                return d;
            }
        }
        fetchBase = lin;
        DecodedInsn d = decoder.decode(fetcher, codeSize);
        FastPath.classify(d);
        checkCsLimit(d.length);
        if (off + d.length <= 4096) {
            d.cacheable = true;
            if (fetchPage != null) {
                fetchPage[off] = d;
                cache.markCode(fetchPpn);
            }
        }
        return d;
    }

    private int fetchByte(int i) {
        long lin = fetchBase + i;
        if (codeSize != 64) {
            lin &= 0xffffffffL;
        }
        return (int) readLinear(lin, 1, Mmu.EXEC) & 0xff;
    }

    /** CS limit on the whole instruction outside 64-bit mode (SDM Vol. 3A 5.3). */
    private void checkCsLimit(int len) {
        if (codeSize == 64) {
            return;
        }
        long end = (s.rip + len - 1) & 0xffffffffL;
        if (Long.compareUnsigned(end, s.seg[Reg.CS].limit) > 0) {
            throw ArchFault.gp0();
        }
    }

    private long codeLinear(long rip) {
        if (codeSize == 64) {
            if (!canonical(rip)) {
                throw ArchFault.gp0();
            }
            return rip;
        }
        if (Long.compareUnsigned(rip, s.seg[Reg.CS].limit) > 0) {
            throw ArchFault.gp0();
        }
        return (s.seg[Reg.CS].base + rip) & 0xffffffffL;
    }

    /**
     * The CPUs that share physical memory with this one (itself included): a page holding instructions decoded by any
     * of them is write-protected in the TLBs of all, and a write to it by any of them, or by anything else, drops the
     * decoded instructions of all (cross-modifying code, SDM Vol. 3A 9.1.3: the other processors see the new code at
     * their next fetch from the page, which the architecture allows and a serializing instruction guarantees).
     */
    private Cpu[] codeDomain = {this};

    /**
     * Makes {@code cpus} (which share one physical address space, e.g. a machine's) one code domain (see above).
     * Call before they run.
     */
    public static void shareCode(java.util.List<Cpu> cpus) {
        Cpu[] d = cpus.toArray(new Cpu[0]);
        for (Cpu c : d) {
            c.codeDomain = d;
        }
    }

    /** Whether a CPU of this one's code domain holds decoded instructions of physical page {@code ppn}. */
    boolean isCodePage(long ppn) {
        for (Cpu c : codeDomain) {
            if (c.cache.isCode(ppn)) {
                return true;
            }
        }
        return false;
    }

    /** Page {@code ppn} now holds instructions this CPU decoded: no TLB of the code domain may write it directly. */
    void codePageMarked(long ppn) {
        for (Cpu c : codeDomain) {
            c.mmu.protectCodePage(ppn);
        }
    }

    /** A write reached physical memory: drop the decoded instructions of that page (every CPU of the code domain). */
    public void physicalWritten(long pa, int len) {
        if (extension != null) {
            extension.physicalWritten(this, pa, len);
        }
        long first = pa >>> 12, last = (pa + len - 1) >>> 12;
        for (long p = first; p <= last; p++) {
            for (Cpu c : codeDomain) {
                if (c.cache.isCode(p)) {
                    c.cache.invalidate(p);
                    if (p == c.fetchPpn) {
                        c.fetchInvalidate();
                    }
                }
            }
        }
    }

    // ===================================================================== snapshots

    /** Whether {@link #snapshot()} can copy this CPU: no extension, or one that is {@link Snapshottable} itself. */
    public boolean snapshottable() {
        return extension == null || extension instanceof Snapshottable;
    }

    /**
     * A copy of this CPU between two runs: {@link CpuState}, the private counters and mode caches (cycles,
     * instructions, CPL, code size, the interrupt-shadow end, pending-event flag, the guest TSC view, the guest mode),
     * the RDRAND generator, the event being delivered, the TLB of every context ({@link Mmu}), the set of pages
     * holding decoded code (write-protected in the TLB, so it decides which writes walk) and the installed
     * extension's state. Dropped on restore and rebuilt on demand: the decoded instructions and the translated
     * blocks hanging off them, because neither changes the timeline (decoding costs no modelled cycles, and
     * translated execution retires the same instructions and cycles as interpretation: SystemGuestsTest runs every
     * guest with translation on and off and compares). Listeners, watchpoints and the stop request are the
     * debugger's, not the CPU's, and are left as they are.
     *
     * @throws UnsupportedOperationException when the installed extension cannot be snapshotted
     */
    @Override
    public Snapshottable.Snapshot snapshot() {
        if (!snapshottable()) {
            throw new UnsupportedOperationException("the CPU extension " + extension.getClass().getSimpleName()
                    + " cannot be snapshotted");
        }
        CpuState st = s.copy();
        long cy = cycles, in = instructions, nr = nextRip, shadow = shadowUntil, tscMul = guestTscMultiplier,
                tscOff = guestTscOffset, rngState = rng.state();
        int cp = cpl, cs = codeSize;
        boolean ev = eventPending, noTrap = noSingleStepTrap, active = guestActive;
        Object lastExit = lastVmExit, deferred = deferredVmExit;
        String shutdown = shutdownReason;
        GuestMode gm = guestMode;
        Object[] delivering = interrupts.deliveringState();
        long[] code = cache.codePages();
        Snapshottable.Snapshot tlb = mmu.snapshot();
        Snapshottable.Snapshot ext = extension == null ? null : ((Snapshottable) extension).snapshot();
        return new Snapshottable.Snapshot() {
            @Override
            public void restore() {
                s.copyFrom(st);
                cycles = cy;
                instructions = in;
                nextRip = nr;
                shadowUntil = shadow;
                guestTscMultiplier = tscMul;
                guestTscOffset = tscOff;
                rng.seed(rngState);
                cpl = cp;
                codeSize = cs;
                eventPending = ev;
                noSingleStepTrap = noTrap;
                lastVmExit = lastExit;
                deferredVmExit = deferred;
                shutdownReason = shutdown;
                guestMode = gm;
                guestActive = active;
                stopReason = null;
                stopBefore = null;
                interrupts.restoreDelivering(delivering);
                tlb.restore();
                if (ext != null) {
                    ext.restore();
                }
                cache.resetTo(code);
                fetchInvalidate();
                mmu.refreshHostPages(); // the debugger's current watchpoints decide which host pages the TLB holds
            }

            @Override
            public long bytes() {
                return 2048 + 8L * code.length + tlb.bytes() + (ext == null ? 0 : ext.bytes());
            }
        };
    }

    /** Drops the whole decode cache (e.g. after a loader wrote guest memory behind the CPU's back). */
    public void flushDecodeCache() {
        cache.clear();
        fetchInvalidate();
    }

    // ===================================================================== registers

    /** Reads a general-purpose register operand of the given size; byte registers 4..7 are AH..BH without REX. */
    public long readReg(DecodedInsn d, int r, int size) {
        switch (size) {
            case 1:
                if (!d.rex && r >= 4 && r < 8) {
                    return (s.gpr[r - 4] >>> 8) & 0xff;
                }
                return s.gpr[r] & 0xff;
            case 2: return s.gpr[r] & 0xffff;
            case 4: return s.gpr[r] & 0xffffffffL;
            default: return s.gpr[r];
        }
    }

    /** Writes a GPR operand: 8/16-bit writes merge, 32-bit writes zero-extend (SDM Vol. 1 3.4.1.1). */
    public void writeReg(DecodedInsn d, int r, int size, long v) {
        switch (size) {
            case 1:
                if (!d.rex && r >= 4 && r < 8) {
                    s.gpr[r - 4] = (s.gpr[r - 4] & ~0xff00L) | ((v & 0xff) << 8);
                } else {
                    s.gpr[r] = (s.gpr[r] & ~0xffL) | (v & 0xff);
                }
                break;
            case 2: s.gpr[r] = (s.gpr[r] & ~0xffffL) | (v & 0xffff); break;
            case 4: s.gpr[r] = v & 0xffffffffL; break;
            default: s.gpr[r] = v;
        }
    }

    /** Plain GPR of a size (no high-byte registers): for implicit operands such as rAX, rCX, rSI. */
    public long gpr(int r, int size) {
        return s.gpr[r] & Flags.mask(size);
    }

    public void setGpr(int r, int size, long v) {
        switch (size) {
            case 1: s.gpr[r] = (s.gpr[r] & ~0xffL) | (v & 0xff); break;
            case 2: s.gpr[r] = (s.gpr[r] & ~0xffffL) | (v & 0xffff); break;
            case 4: s.gpr[r] = v & 0xffffffffL; break;
            default: s.gpr[r] = v;
        }
    }

    public long readG(DecodedInsn d) {
        return readReg(d, d.reg, d.opSize);
    }

    public void writeG(DecodedInsn d, long v) {
        writeReg(d, d.reg, d.opSize, v);
    }

    /** Reads the E operand (register or memory) at the instruction's operand size. */
    public long readE(DecodedInsn d) {
        return readE(d, d.opSize);
    }

    public long readE(DecodedInsn d, int size) {
        return d.memOp ? read(d.seg, ea(d), size) : readReg(d, d.rm, size);
    }

    public void writeE(DecodedInsn d, long v) {
        writeE(d, d.opSize, v);
    }

    public void writeE(DecodedInsn d, int size, long v) {
        if (d.memOp) {
            write(d.seg, ea(d), size, v);
        } else {
            writeReg(d, d.rm, size, v);
        }
    }

    // ===================================================================== memory operands

    /** Effective address (offset within the segment) of the ModRM memory operand (SDM Vol. 2A 2.1.5). */
    public long ea(DecodedInsn d) {
        long a = d.disp;
        if (d.base >= 0) {
            a += d.base == DecodedInsn.BASE_RIP ? s.rip + d.length : s.gpr[d.base];
        }
        if (d.index >= 0) {
            a += s.gpr[d.index] << d.scale;
        }
        switch (d.addrSize) {
            case 2: return a & 0xffff;
            case 4: return a & 0xffffffffL;
            default: return a;
        }
    }

    public boolean canonical(long lin) {
        int sh = cr4(CR4_LA57) ? 7 : 16;
        return ((lin << sh) >> sh) == lin;
    }

    /**
     * Segment translation with limit and type checks (SDM Vol. 3A 5.3, 5.4; 3.3.7.1 canonical check in
     * 64-bit mode): #GP(0), or #SS(0) for SS-relative accesses.
     */
    public long linear(int seg, long off, int size, int access) {
        Segment sg = s.seg[seg];
        if (codeSize == 64) {
            long lin = seg >= Reg.FS ? sg.base + off : off;
            if (!canonical(lin) || !canonical(lin + size - 1)) {
                throw seg == Reg.SS ? ArchFault.ss(0) : ArchFault.gp0();
            }
            return lin;
        }
        if (protectedMode() && !v86()) {
            segmentChecks(sg, seg, off, size, access);
        } else if (Long.compareUnsigned(off + size - 1, sg.limit) > 0) {
            throw seg == Reg.SS ? ArchFault.ss(0) : ArchFault.gp0();
        }
        return (sg.base + off) & 0xffffffffL;
    }

    private void segmentChecks(Segment sg, int seg, long off, int size, int access) {
        if (sg.unusable() || (sg.attr & Segment.ATTR_P) == 0) {
            throw seg == Reg.SS ? ArchFault.ss(0) : ArchFault.gp0();
        }
        int type = sg.type();
        boolean code = (type & 8) != 0;
        if (access == Mmu.WRITE && (code || (type & 2) == 0)) {
            throw seg == Reg.SS ? ArchFault.ss(0) : ArchFault.gp0();
        }
        if (access == Mmu.READ && code && (type & 2) == 0) {
            throw ArchFault.gp0();
        }
        long end = off + size - 1;
        if (!code && (type & 4) != 0) {
            long upper = sg.big() ? 0xffffffffL : 0xffffL;
            if (Long.compareUnsigned(off, sg.limit) <= 0 || Long.compareUnsigned(end, upper) > 0) {
                throw seg == Reg.SS ? ArchFault.ss(0) : ArchFault.gp0();
            }
        } else if (Long.compareUnsigned(end, sg.limit) > 0) {
            throw seg == Reg.SS ? ArchFault.ss(0) : ArchFault.gp0();
        }
    }

    /**
     * Reads a data operand at seg:off. In 64-bit mode a TLB hit needs no canonical check: the TLB only
     * holds translations of canonical pages, and an access that stays within one page cannot leave it.
     */
    public long read(int seg, long off, int size) {
        if (codeSize == 64) {
            long lin = seg >= Reg.FS ? s.seg[seg].base + off : off;
            int po = (int) lin & 0xfff;
            long lpn = lin >>> 12;
            int i = Mmu.index(lpn);
            byte[] page = mmu.tlbPage[i];
            if (po + size <= 4096 && mmu.tlbTag[i] == lpn && page != null
                    && (mmu.tlbPerm[i] & (cpl == 3 ? Mmu.P_UR : Mmu.P_SR)) != 0) {
                mmu.tlbHits++;
                return PageAccess.read(page, po, size);
            }
        }
        return readLinear(linear(seg, off, size, Mmu.READ), size, Mmu.READ);
    }

    /** Writes a data operand at seg:off; the 64-bit TLB-hit fast path as in {@link #read}. */
    public void write(int seg, long off, int size, long v) {
        if (codeSize == 64) {
            long lin = seg >= Reg.FS ? s.seg[seg].base + off : off;
            int po = (int) lin & 0xfff;
            long lpn = lin >>> 12;
            int i = Mmu.index(lpn);
            byte[] page = mmu.tlbPage[i];
            if (po + size <= 4096 && mmu.tlbTag[i] == lpn && page != null
                    && (mmu.tlbPerm[i] & (cpl == 3 ? Mmu.P_UW : Mmu.P_SW)) != 0) {
                mmu.tlbHits++;
                PageAccess.write(page, po, size, v);
                return;
            }
        }
        writeLinear(linear(seg, off, size, Mmu.WRITE), size, v);
    }

    /** Reads at a linear address with the current privilege (user when CPL = 3). */
    public long readLinear(long lin, int size, int access) {
        int off = (int) lin & 0xfff;
        if (off + size <= 4096) {
            int i = Mmu.index(lin >>> 12);
            int need = cpl == 3 ? Mmu.P_UR : Mmu.P_SR;
            if (access == Mmu.EXEC) {
                need <<= 2;
            }
            byte[] page = mmu.tlbPage[i];
            if (mmu.tlbTag[i] == (lin >>> 12) && (mmu.tlbPerm[i] & need) != 0 && page != null) {
                mmu.tlbHits++;
                return PageAccess.read(page, off, size);
            }
            long pa = mmu.translate(lin, access, cpl == 3);
            if (memoryWatch != null && access != Mmu.EXEC) {
                memoryWatch.accessed(this, lin, size, false);
            }
            return readPhys(pa, size);
        }
        return readSplit(lin, size, access, cpl == 3);
    }

    /** Implicit supervisor-mode read (descriptor tables, TSS, IDT: SDM Vol. 3A 4.6). */
    public long readSystem(long lin, int size) {
        if (memoryWatch != null) {
            memoryWatch.accessed(this, lin, size, false);
        }
        if ((lin & 0xfff) + size <= 4096) {
            return readPhys(mmu.translate(lin, Mmu.READ, false), size);
        }
        return readSplit(lin, size, Mmu.READ, false);
    }

    public void writeSystem(long lin, int size, long v) {
        if (memoryWatch != null) {
            memoryWatch.accessed(this, lin, size, true);
        }
        if ((lin & 0xfff) + size <= 4096) {
            writePhys(mmu.translate(lin, Mmu.WRITE, false), size, v);
            return;
        }
        writeSplit(lin, size, v, false);
    }

    public void writeLinear(long lin, int size, long v) {
        int off = (int) lin & 0xfff;
        if (off + size <= 4096) {
            int i = Mmu.index(lin >>> 12);
            int need = cpl == 3 ? Mmu.P_UW : Mmu.P_SW;
            byte[] page = mmu.tlbPage[i];
            if (mmu.tlbTag[i] == (lin >>> 12) && (mmu.tlbPerm[i] & need) != 0 && page != null) {
                mmu.tlbHits++;
                PageAccess.write(page, off, size, v);
                return;
            }
            long pa = mmu.translate(lin, Mmu.WRITE, cpl == 3);
            if (memoryWatch != null) {
                memoryWatch.accessed(this, lin, size, true);
            }
            writePhys(pa, size, v);
            return;
        }
        writeSplit(lin, size, v, cpl == 3);
    }

    /** Writes at a linear address with an explicit privilege (event delivery onto a new stack). */
    public void writeLinearAs(long lin, int size, long v, boolean user) {
        if (memoryWatch != null) {
            memoryWatch.accessed(this, lin, size, true);
        }
        if ((lin & 0xfff) + size <= 4096) {
            writePhys(mmu.translate(lin, Mmu.WRITE, user), size, v);
            return;
        }
        writeSplit(lin, size, v, user);
    }

    /** Checks that a write would succeed (segment already checked) without writing: for RMW and multi-part stores. */
    public void probeWrite(long lin, int size) {
        mmu.translate(lin, Mmu.WRITE, cpl == 3);
        if (((lin & 0xfff) + size) > 4096) {
            mmu.translate(lin + size - 1, Mmu.WRITE, cpl == 3);
        }
    }

    private long readSplit(long lin, int size, int access, boolean user) {
        int first = 4096 - (int) (lin & 0xfff);
        long pa1 = mmu.translate(lin, access, user);
        long lin2 = codeSize == 64 ? lin + first : (lin + first) & 0xffffffffL;
        long pa2 = mmu.translate(lin2, access, user);
        if (memoryWatch != null && access != Mmu.EXEC) {
            memoryWatch.accessed(this, lin, size, false);
        }
        long v = 0;
        for (int k = size - 1; k >= 0; k--) {
            long pa = k < first ? pa1 + k : pa2 + (k - first);
            v = (v << 8) | (bus.read(pa, 1) & 0xff);
        }
        return v;
    }

    private void writeSplit(long lin, int size, long v, boolean user) {
        int first = 4096 - (int) (lin & 0xfff);
        long pa1 = mmu.translate(lin, Mmu.WRITE, user);
        long lin2 = codeSize == 64 ? lin + first : (lin + first) & 0xffffffffL;
        long pa2 = mmu.translate(lin2, Mmu.WRITE, user);
        if (memoryWatch != null) {
            memoryWatch.accessed(this, lin, size, true);
        }
        for (int k = 0; k < size; k++) {
            long pa = k < first ? pa1 + k : pa2 + (k - first);
            writePhys(pa, 1, v >>> (8 * k));
        }
    }

    public long readPhys(long pa, int size) {
        byte[] page = bus.ramPage(pa);
        if (page != null && (pa & 0xfff) + size <= 4096) {
            return PageAccess.read(page, (int) pa & 0xfff, size);
        }
        return bus.read(pa, size);
    }

    public void writePhys(long pa, int size, long v) {
        bus.write(pa, size, v);
        physicalWritten(pa, size);
    }


    // ===================================================================== stack

    /** Pushes {@code size} bytes on SS:rSP (SDM Vol. 1 6.2, 6.3). The store is checked before RSP changes. */
    public void push(long v, int size) {
        int sas = stackAddrSize();
        long sp = (s.gpr[Reg.RSP] - size) & Flags.mask(sas);
        write(Reg.SS, sp, size, v);
        setGpr(Reg.RSP, sas, sp);
    }

    /** Pops {@code size} bytes from SS:rSP. */
    public long pop(int size) {
        int sas = stackAddrSize();
        long sp = s.gpr[Reg.RSP] & Flags.mask(sas);
        long v = read(Reg.SS, sp, size);
        setGpr(Reg.RSP, sas, sp + size);
        return v;
    }

    /** Reads the stack {@code offset} bytes above rSP without popping. */
    public long peek(long offset, int size) {
        int sas = stackAddrSize();
        return read(Reg.SS, (s.gpr[Reg.RSP] + offset) & Flags.mask(sas), size);
    }

    // ===================================================================== control transfer helpers

    /** Near branch target masking by operand size (SDM Vol. 2A JMP: 16-bit truncation) and checks. */
    public void jumpNear(long target, int opSize) {
        if (opSize == 2) {
            target &= 0xffff;
        } else if (opSize == 4) {
            target &= 0xffffffffL;
        }
        if (codeSize == 64) {
            if (!canonical(target)) {
                throw ArchFault.gp0();
            }
        } else if (Long.compareUnsigned(target, s.seg[Reg.CS].limit) > 0) {
            throw ArchFault.gp0();
        }
        nextRip = target;
    }

    // ===================================================================== I/O

    /**
     * IN/OUT permission (SDM Vol. 1 19.5, 19.5.2): at CPL > IOPL or in virtual-8086 mode consult the TSS
     * I/O permission bitmap; then the guest-mode intercept.
     */
    public void checkIo(int port, int size, boolean in, DecodedInsn d) {
        if (protectedMode() && (cpl > s.iopl() || v86())) {
            segmentation.checkIoBitmap(port, size);
        }
        if (guestMode.active()) {
            guestMode.interceptIo(port, size, in, d, this);
        }
    }

    public long ioIn(int port, int size) {
        return io.in(port & 0xffff, size);
    }

    public void ioOut(int port, int size, long v) {
        io.out(port & 0xffff, size, v & Flags.mask(size));
    }

    @Override
    public String toString() {
        return "Cpu[" + profile.name() + " rip=" + Long.toHexString(s.rip) + " cpl=" + cpl + " code" + codeSize + "]";
    }
}
