package dev.hvsim.vmm;

import dev.hvsim.ept.EntryStatus;
import dev.hvsim.ept.Perm;
import dev.hvsim.ept.X86PagingFormat;
import dev.hvsim.svm.SvmExtension;
import dev.hvsim.svm.SvmRoot;
import dev.hvsim.svm.VmcbSnapshot;
import dev.hvsim.svm.VmrunChecks;
import dev.hvsim.svm.VmrunContext;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.svm.VmrunViolation;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.bus.PhysicalBus;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;
import java.util.List;

/**
 * Nested SVM for one vCPU (vmm/DESIGN.md "Nested SVM"), the way KVM does it: the L1 hypervisor's VMRUN always exits
 * to the Java VMM (L0; the VMRUN intercept is required, AMD APM Vol. 2 15.5.1), which checks L1's VMCB ("VMCB12") with
 * svm-model's own VMRUN rules, builds VMCB02 (L2's state from VMCB12, intercepts = L0's | L1's, TSC offsets added,
 * ASID chosen by L0, EVENTINJ passed on) and runs L2 on the model. An L2 #VMEXIT that L1 intercepts is written into
 * VMCB12 (EXITCODE, EXITINFO1/2, EXITINTINFO, NRIP, the state #VMEXIT saves, 15.6) and L1 resumes after its VMRUN with
 * GIF = 0; any other is L0's to handle (as hardware would without L1's intercept), then L2 resumes.
 *
 * <p>Also emulated for L1: EFER.SVME (15.4), VM_CR and VM_HSAVE_PA (15.30.1, 15.30.4), INVLPGA (Vol. 3 "INVLPGA":
 * always intercepted, L1's ASIDs are not the model's), and, while L1's EFER.SVME = 0, the #UD of VMLOAD, VMSAVE, STGI
 * and CLGI (Vol. 3: #UD when EFER.SVME = 0; the model's own EFER.SVME stays 1 in guest mode). With EFER.SVME = 1
 * VMLOAD/VMSAVE/STGI/CLGI run on the model unintercepted: L1's guest-physical addresses are host-physical (identity
 * NPT) and the model keeps L1's GIF across L0's exits ({@link SvmRoot#guestGif}).
 *
 * <p>Nested paging for L2 (15.25): without NP in VMCB12, L2 runs on L0's nested tables (L2 guest-physical = L1
 * guest-physical); with it, on a {@link ShadowNpt} that composes L1's nested tables with L0's, filled at each nested
 * page fault; a fault in L1's tables is reflected to L1 as #VMEXIT(NPF) with the EXITINFO1/2 hardware would give.
 */
final class NestedSvm {
    // VMCB offsets (APM Vol. 2 Appendix B, Tables B-1, B-2)
    static final int INTERCEPT_CR = 0x000, INTERCEPT_DR = 0x004, INTERCEPT_EXC = 0x008, MISC1 = 0x00c,
            MISC2 = 0x010, MISC3 = 0x014, IOPM = 0x040, MSRPM = 0x048, TSC_OFFSET = 0x050, ASID = 0x058,
            TLB_CONTROL = 0x05c, VINTR = 0x060, INT_SHADOW = 0x068, EXITCODE = 0x070, EXITINFO1 = 0x078,
            EXITINFO2 = 0x080, EXITINTINFO = 0x088, NESTED_CTL = 0x090, EVENTINJ = 0x0a8, N_CR3 = 0x0b0,
            VMCB_CLEAN = 0x0c0, NRIP = 0x0c8, INSN_BYTES = 0x0d0;
    static final int S_ES = 0x400, S_GDTR = 0x460, S_IDTR = 0x480, S_CS = 0x410, S_CPL = 0x4cb, S_EFER = 0x4d0,
            S_CR4 = 0x548, S_DR7 = 0x560, S_DR6 = 0x568, S_RFLAGS = 0x570, S_RIP = 0x578, S_RSP = 0x5d8,
            S_RAX = 0x5f8, S_CR2 = 0x640, S_G_PAT = 0x668, S_CR0 = 0x558, S_CR3 = 0x550;
    static final int M1_INTR = 0, M1_INVLPGA = 26, M1_IOIO = 27, M1_MSR = 28;
    static final long M2_VMRUN = 1, M2_VMLOAD_VMSAVE_STGI_CLGI = 0x3cL;
    static final long EXIT_INVALID = -1, EXIT_IOIO = 0x7b, EXIT_MSR = 0x7c, EXIT_VMRUN = 0x80, EXIT_VMMCALL = 0x81,
            EXIT_INVLPGA = 0x7a, EXIT_NPF = 0x400;
    /** CPUID Fn8000_000A EDX bits the nested emulation implements: NP (0) and NRIPS (3). */
    static final long FEATURES = 1 | 1 << 3;
    /** Table pages the shadow may hold before it is emptied and refilled (16 MiB of the VMM's 64 MiB). */
    static final int SHADOW_TABLES = 4096;
    /** The VMCB size the model reads (one page). */
    private static final int PAGE = 4096;

    private final SvmVcpu v;
    private final Vmm vmm;
    private final SvmRoot root;
    private final Cpu cpu;
    private final PhysicalBus bus;
    /** L0's VMCB for L1 ("VMCB01") and the one it builds for L2 ("VMCB02"), host-physical; 0 before launch. */
    private long vmcb01, vmcb02;
    private long mergedIopm, mergedMsrpm;
    /** The ASID L0 runs L2 with (every L1 ASID shares it; a change of L1's ASID flushes it). */
    private final int l2Asid;
    private ShadowNpt shadow;
    /** The format of L1's nested tables, for its current EFER.NXE (derived state: not snapshotted). */
    private X86PagingFormat l1Format;

    // L1's virtual SVM state
    boolean svme;
    /** L1's VM_HSAVE_PA (L1's VM_CR is the model's register: SKINIT in L1 sets bits of it, APM 15.27.6). */
    long hsavePa;

    // the current nested run (valid while vcpu.level == 2)
    private long vmcb12Gpa, vmcb12;
    private long vmrunNextRip;
    private long l1Misc1, l1Misc2, l1Misc3, l1Cr, l1Dr, l1Exc, l1Iopm, l1Msrpm;
    private boolean l1Np;
    private long l1NCr3, l1Efer, l1Cr4;
    private long lastL1Asid = -1, shadowNCr3 = -1;
    /** The rules VMCB12 failed at L1's last VMRUN (for the exit trace), or null. */
    List<VmrunViolation> failedRules;

    NestedSvm(SvmVcpu v, int vcpus) {
        this.v = v;
        this.vmm = v.vmm;
        this.root = v.root();
        this.cpu = v.cpu;
        this.bus = cpu.bus();
        this.l2Asid = vcpus + v.index + 1;
    }

    /**
     * At the vCPU's (re)launch from its bare state: L1 runs, its EFER.SVME is the bare one's; VMCB01 gets the
     * intercepts nested SVM needs.
     */
    void launched(long vmcb, long efer) {
        if (vmcb02 == 0) {
            VmmMemory mem = vmm.memory();
            vmcb01 = vmcb;
            vmcb02 = mem.allocate(1);
            long msrpm = root.readOffset(MSRPM, 8);
            // VM_CR (C001_0114H) and VM_HSAVE_PA (C001_0117H), read and write: APM 15.11 MSRPM, bytes 1000H-17FFH
            long b = msrpm + 0x1000 + 0x45;
            mem.write(b - VmmMemory.BASE, 1, mem.read(b - VmmMemory.BASE, 1) | 0x03 | 0xc0);
            root.writeOffset(MISC1, 4, root.readOffset(MISC1, 4) | 1L << M1_INVLPGA);
        }
        v.level = 1;
        root.select(vmcb01);
        svme = (efer & Cpu.EFER_SVME) != 0;
        hsavePa = 0;
        svmeChanged();
    }

    /** While L1's EFER.SVME = 0, VMLOAD, VMSAVE, STGI and CLGI exit so that L0 can give the #UD they must raise. */
    void svmeChanged() {
        long m2 = root.readOffset(MISC2, 4);
        root.writeOffset(MISC2, 4, svme ? m2 & ~M2_VMLOAD_VMSAVE_STGI_CLGI : m2 | M2_VMLOAD_VMSAVE_STGI_CLGI);
    }

    // ------------------------------------------------------------------ L1's instructions and MSRs

    /** A VMRUN, VMLOAD, VMSAVE, STGI, CLGI or INVLPGA exit of L1 (exit codes 7AH, 80H, 82H-85H). */
    Handled l1Instruction(GuestExit x) {
        if (x.code == EXIT_VMRUN) {
            return vmrun(x);
        }
        if (x.code == EXIT_INVLPGA) {
            return invlpga(false);
        }
        if (x.code == 0x84 && !svme && cpu.has(dev.hvsim.x86core.decode.Feature.SKINIT)) {
            // APM Vol. 2 15.4: STGI (like SKINIT) is legal with EFER.SVME = 0 when SKINIT is supported
            if (cpl() != 0) {
                v.injectException(Vectors.GP, 0);
                return Handled.INJECTED;
            }
            root.setGuestGif(true);
            v.skipInstruction();
            return Handled.EMULATED;
        }
        if (x.code >= 0x82 && x.code <= 0x85 && !svme) {
            v.injectException(Vectors.UD, -1); // APM Vol. 3 VMLOAD/VMSAVE/STGI/CLGI: #UD if EFER.SVME = 0
            return Handled.INJECTED;
        }
        v.failure = "unexpected SVM instruction exit " + x;
        return Handled.STOPPED;
    }

    boolean ownsMsr(long index) {
        return index == SvmExtension.VM_CR || index == SvmExtension.VM_HSAVE_PA;
    }

    long readMsr(long index) {
        return index == SvmExtension.VM_CR ? root.extension().vmCr() : hsavePa;
    }

    /**
     * As svm-model's WRMSR (APM Vol. 2 15.30.1 VM_CR, 15.30.4 VM_HSAVE_PA), with L1's EFER.SVME; #GP as ArchFault.
     */
    void writeMsr(long index, long value) {
        if (index == SvmExtension.VM_HSAVE_PA) {
            if ((value & 0xfff) != 0 || (value >>> cpu.profile().maxPhysAddr()) != 0) {
                throw ArchFault.gp0();
            }
            hsavePa = value;
            return;
        }
        if ((value & ~0x1fL) != 0) {
            throw ArchFault.gp0();
        }
        long vmCr = root.extension().vmCr();
        long locked = SvmExtension.VM_CR_LOCK | SvmExtension.VM_CR_SVMDIS;
        long nv = (vmCr & SvmExtension.VM_CR_LOCK) != 0 ? (value & ~locked) | (vmCr & locked) : value;
        if ((nv & SvmExtension.VM_CR_SVMDIS) != 0 && (vmCr & SvmExtension.VM_CR_SVMDIS) == 0 && svme) {
            throw ArchFault.gp0();
        }
        root.extension().setVmCr(nv);
    }

    /** EFER.SVME is MBZ while VM_CR.SVMDIS = 1 (15.30.1). */
    boolean svmeAllowed() {
        return (root.extension().vmCr() & SvmExtension.VM_CR_SVMDIS) == 0;
    }

    /**
     * INVLPGA rAX, ECX (APM Vol. 3 "INVLPGA"; #UD if EFER.SVME = 0, #GP(0) at CPL > 0): ASID 0 is L1's own, whose
     * page is invalidated in L1's TLB context; any other is an L2 ASID: the page in L2's context, and the whole shadow
     * nested table (over-invalidating is always allowed).
     */
    private Handled invlpga(boolean fromL2) {
        if (!fromL2 && !svme) {
            v.injectException(Vectors.UD, -1);
            return Handled.INJECTED;
        }
        if (cpl() != 0) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        long linear = mode64() ? v.gpr(Reg.RAX) : v.gpr(Reg.RAX) & 0xffffffffL;
        long asid = v.gpr(Reg.RCX) & 0xffffffffL;
        if (asid == 0 && !fromL2) {
            cpu.mmu().invalidateContextPage(v.index + 1, linear);
        } else {
            cpu.mmu().invalidateContextPage(l2Asid, linear);
            resetShadow();
        }
        v.skipInstruction();
        return Handled.EMULATED;
    }

    private int cpl() {
        return (int) root.readOffset(S_CPL, 1) & 3;
    }

    /** 64-bit mode: EFER.LMA and CS.L (compressed attrib bit 9) of the current VMCB. */
    private boolean mode64() {
        return (root.readOffset(S_EFER, 8) & Cpu.EFER_LMA) != 0 && (root.readOffset(S_CS + 2, 2) & 0x200) != 0;
    }

    // ------------------------------------------------------------------ VMRUN

    /**
     * L1's VMRUN (APM Vol. 3 "VMRUN", Vol. 2 15.5): #UD if EFER.SVME = 0, #GP(0) at CPL > 0 or for an rAX that is not
     * a 4 KiB-aligned address below 2^MAXPHYADDR; L1's host state to its VM_HSAVE_PA (svm-model's layout); VMCB12 read
     * once and checked with svm-model's {@link VmrunChecks} (a failure: VMEXIT_INVALID in VMCB12, L1 continues after
     * its VMRUN, the rules in the exit trace); else VMCB02 is built and L2 entered by the caller's resume.
     */
    private Handled vmrun(GuestExit x) {
        failedRules = null;
        if (!svme) {
            v.injectException(Vectors.UD, -1);
            return Handled.INJECTED;
        }
        if (cpl() != 0) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        long rax = mode64() ? v.gpr(Reg.RAX) : v.gpr(Reg.RAX) & 0xffffffffL;
        if ((rax & 0xfff) != 0 || (rax >>> cpu.profile().maxPhysAddr()) != 0) {
            v.injectException(Vectors.GP, 0);
            return Handled.INJECTED;
        }
        vmrunNextRip = x.nextRip;
        saveL1Host();
        vmcb12Gpa = rax;
        vmcb12 = vmm.guestToHost(rax);
        VmcbSnapshot s = VmcbSnapshot.read(bus, vmcb12);
        long l1Cr0 = root.readOffset(S_CR0, 8);
        VmrunContext base = root.extension().vmrunContext();
        VmrunContext ctx = new VmrunContext(base.maxPhysAddr(), base.eferAllowed(), base.cr4Allowed(),
                (pa, size) -> bus.read(vmm.guestToHost(pa), (int) size), l1Cr0);
        VmrunOutcome o = VmrunChecks.check(s, ctx);
        if (o.kind() == VmrunOutcome.Kind.VMEXIT_INVALID) {
            // 15.5.1: #VMEXIT(VMEXIT_INVALID); L1's state is untouched but for GIF, which is 0 after every #VMEXIT
            // (15.6, 15.17; as svm-model's VMRUN, Bochs, and KVM commit f85a6ce "Clear GIF on nested #VMEXIT(INVALID)")
            failedRules = o.violations();
            root.setGuestGif(false);
            bus.write(vmcb12 + EXITCODE, 8, EXIT_INVALID);
            bus.write(vmcb12 + EXITINFO1, 8, 0);
            bus.write(vmcb12 + EXITINFO2, 8, 0);
            bus.write(vmcb12 + EXITINTINFO, 8, 0);
            root.setGuestRip(vmrunNextRip);
            return Handled.EMULATED;
        }
        buildVmcb02(s);
        // the "host" RFLAGS.IF the model's VMRUN sees is L1's (V_INTR_MASKING, 15.21.1)
        long l1Rflags = root.readOffset(S_RFLAGS, 8);
        cpu.state().setRflags((cpu.state().rflags() & ~0x200L) | (l1Rflags & 0x200L));
        root.select(vmcb02);
        root.setGuestGif(true); // VMRUN sets GIF (15.17)
        v.level = 2;
        return Handled.EMULATED;
    }

    /**
     * L1's host state into its VM_HSAVE_PA (wherever it points, 0 included, as svm-model's VMRUN writes it) in
     * svm-model's layout (the VMCB save area's offsets; svm-model DEVIATIONS.md), RIP the instruction after VMRUN, so
     * that L1's host save area reads as it would bare. L0 itself restores L1 from VMCB01, as KVM does (the area's
     * format is implementation-specific, APM 15.30.4).
     */
    private void saveL1Host() {
        long h = vmm.guestToHost(hsavePa);
        copy(vmcb01, h, S_ES, 0x40);
        copy(vmcb01, h, S_GDTR, 0x10);
        copy(vmcb01, h, S_IDTR, 0x10);
        bus.write(h + S_CPL, 1, root.readOffset(S_CPL, 1));
        copy(vmcb01, h, S_EFER, 8);
        copy(vmcb01, h, S_CR4, 0x18); // CR4, CR3, CR0
        copy(vmcb01, h, S_RFLAGS, 8);
        bus.write(h + S_RIP, 8, vmrunNextRip);
        copy(vmcb01, h, S_RSP, 8);
        copy(vmcb01, h, S_RAX, 8);
    }

    private void copy(long from, long to, int offset, int n) {
        for (int i = 0; i < n; i += 8) {
            bus.write(to + offset + i, 8, bus.read(from + offset + i, 8));
        }
    }

    private void buildVmcb02(VmcbSnapshot s) {
        long d = vmcb02;
        for (int off = 0; off < PAGE; off += 8) {
            bus.write(d + off, 8, s.q(off));
        }
        l1Cr = s.get(INTERCEPT_CR, 4);
        l1Dr = s.get(INTERCEPT_DR, 4);
        l1Exc = s.get(INTERCEPT_EXC, 4);
        l1Misc1 = s.get(MISC1, 4);
        l1Misc2 = s.get(MISC2, 4);
        l1Misc3 = s.get(MISC3, 4);
        l1Iopm = s.q(IOPM) & ~0xfffL;
        l1Msrpm = s.q(MSRPM) & ~0xfffL;
        // intercepts: L0's | L1's (L0's are VMCB01's, without L1's SVME-dependent ones)
        bus.write(d + INTERCEPT_CR, 4, l1Cr | bus.read(vmcb01 + INTERCEPT_CR, 4));
        bus.write(d + INTERCEPT_DR, 4, l1Dr | bus.read(vmcb01 + INTERCEPT_DR, 4));
        bus.write(d + INTERCEPT_EXC, 4, l1Exc | bus.read(vmcb01 + INTERCEPT_EXC, 4));
        long l0Misc1 = bus.read(vmcb01 + MISC1, 4);
        bus.write(d + MISC1, 4, l1Misc1 | l0Misc1);
        bus.write(d + MISC2, 4, l1Misc2 | M2_VMRUN);
        bus.write(d + MISC3, 4, l1Misc3 | bus.read(vmcb01 + MISC3, 4));
        bus.write(d + IOPM, 8, iopmFor02(l0Misc1));
        bus.write(d + MSRPM, 8, msrpmFor02());
        bus.write(d + TSC_OFFSET, 8, s.q(TSC_OFFSET) + bus.read(vmcb01 + TSC_OFFSET, 8));
        bus.write(d + ASID, 4, l2Asid);
        // 0B8H (LBR virtualization, virtual VMLOAD/VMSAVE), 0C0H clean bits, AVIC and SEV fields: not advertised
        for (int off = 0x0b8; off < 0x0c8; off += 8) {
            bus.write(d + off, 8, 0);
        }
        for (int off = 0x0e0; off < 0x400; off += 8) {
            bus.write(d + off, 8, 0);
        }
        long l1Asid = s.get(ASID, 4);
        int tlb = (int) s.get(TLB_CONTROL, 1);
        l1Np = (s.q(NESTED_CTL) & 1) != 0;
        boolean flush = tlb != 0 || l1Asid != lastL1Asid;
        lastL1Asid = l1Asid;
        if (l1Np) {
            l1NCr3 = s.q(N_CR3);
            l1Efer = root.readOffset(S_EFER, 8);
            l1Cr4 = root.readOffset(S_CR4, 8);
            if (shadow == null) {
                shadow = new ShadowNpt(vmm.memory());
            }
            if (flush || l1NCr3 != shadowNCr3) {
                resetShadow();
                shadowNCr3 = l1NCr3;
            }
            bus.write(d + N_CR3, 8, shadow.root());
        } else {
            bus.write(d + N_CR3, 8, vmm.ept().root());
            bus.write(d + S_G_PAT, 8, bus.read(vmcb01 + S_G_PAT, 8)); // L2 uses L1's PAT register
        }
        bus.write(d + NESTED_CTL, 8, 1);
        bus.write(d + TLB_CONTROL, 4, flush ? (tlb == 1 ? 1 : 3) : 0); // 15.16.1; L2's ASID is L0's to flush
    }

    private long iopmFor02(long l0Misc1) {
        long l0 = bus.read(vmcb01 + IOPM, 8);
        if (vmm.policy().io() || (l1Misc1 >>> M1_IOIO & 1) == 0) {
            return l0; // L0 traps every port already (or L1 traps none)
        }
        if (mergedIopm == 0) {
            mergedIopm = vmm.memory().allocate(3);
        }
        orMaps(mergedIopm, l0, l1Iopm, 3 * PAGE);
        return mergedIopm;
    }

    private long msrpmFor02() {
        long l0 = bus.read(vmcb01 + MSRPM, 8);
        if (vmm.policy().msr() || (l1Misc1 >>> M1_MSR & 1) == 0) {
            return l0;
        }
        if (mergedMsrpm == 0) {
            mergedMsrpm = vmm.memory().allocate(2);
        }
        orMaps(mergedMsrpm, l0, vmm.guestToHost(l1Msrpm), 2 * PAGE);
        return mergedMsrpm;
    }

    private void orMaps(long to, long a, long b, int n) {
        for (int i = 0; i < n; i += 8) {
            bus.write(to + i, 8, bus.read(a + i, 8) | bus.read(vmm.guestToHost(b + i), 8));
        }
    }

    /** Empties the shadow nested tables and L2's TLB context on them. */
    void resetShadow() {
        if (shadow != null && !shadow.empty()) {
            shadow.reset();
            cpu.mmu().invalidateContexts(-1, shadow.root(), false);
        }
    }

    // ------------------------------------------------------------------ L2's exits

    /** An exit of L2: reflected to L1 when L1 intercepts it, else handled by L0 (then L2 resumes). */
    Handled l2Exit(GuestExit x, PlatformHandler platform) {
        long code = x.code;
        if (code == EXIT_NPF && l1Np) {
            return shadowFault(x);
        }
        if (l1Intercepts(x)) {
            reflect(code, x.qualification, x.info2, x.vectoring, x.nextRip);
            return Handled.REFLECTED;
        }
        if (code == EXIT_VMMCALL) {
            v.injectException(Vectors.UD, -1); // APM Vol. 3 VMMCALL: #UD when not intercepted
            return Handled.INJECTED;
        }
        if (code == EXIT_INVLPGA) {
            return invlpga(true);
        }
        if (code >= 0x82 && code <= 0x85) {
            v.failure = "unexpected SVM instruction exit of L2 " + x;
            return Handled.STOPPED;
        }
        return platform.handle(v, x);
    }

    /** Whether VMCB12 intercepts this exit (APM Vol. 2 Table B-1 intercept vectors; 15.10.1 IOPM, 15.11 MSRPM). */
    boolean l1Intercepts(GuestExit x) {
        long c = x.code;
        if (c < 0 || c >= 0x400) {
            return false; // NPF without L1's nested paging, and the rest (AVIC, VMGEXIT): L0's
        }
        if (c < 0x20) {
            return (l1Cr >>> c & 1) != 0;
        }
        if (c < 0x40) {
            return (l1Dr >>> (c - 0x20) & 1) != 0;
        }
        if (c < 0x60) {
            return (l1Exc >>> (c - 0x40) & 1) != 0;
        }
        if (c < 0x80) {
            if ((l1Misc1 >>> (c - 0x60) & 1) == 0) {
                return false;
            }
            if (c == EXIT_IOIO) {
                return ioIntercepted(x.qualification);
            }
            return c != EXIT_MSR || msrIntercepted(x.msr, (x.qualification & 1) != 0);
        }
        if (c < 0xa0) {
            return (l1Misc2 >>> (c - 0x80) & 1) != 0;
        }
        if (c < 0xc0) {
            return (l1Misc3 >>> (c - 0xa0) & 1) != 0;
        }
        return false;
    }

    /** 15.10.2: every byte of the access checked in L1's IOPM (EXITINFO1: port 31:16, SZ8/16/32 bits 4-6). */
    private boolean ioIntercepted(long info1) {
        int port = (int) (info1 >>> 16 & 0xffff);
        int size = (info1 & 0x10) != 0 ? 1 : (info1 & 0x20) != 0 ? 2 : 4;
        for (int p = port; p < port + size; p++) {
            long b = bus.read(vmm.guestToHost(l1Iopm + (p >>> 3)), 1);
            if ((b >>> (p & 7) & 1) != 0) {
                return true;
            }
        }
        return false;
    }

    /** 15.11: two bits per MSR in three 2 KiB ranges; MSRs outside them always exit. */
    private boolean msrIntercepted(long msr, boolean write) {
        long base;
        if (msr <= 0x1fff) {
            base = 0;
        } else if (msr >= 0xc000_0000L && msr <= 0xc000_1fffL) {
            base = 0x800;
        } else if (msr >= 0xc001_0000L && msr <= 0xc001_1fffL) {
            base = 0x1000;
        } else {
            return true;
        }
        long bit = (msr & 0x1fff) * 2 + (write ? 1 : 0);
        return (bus.read(vmm.guestToHost(l1Msrpm + base + (bit >>> 3)), 1) >>> (bit & 7) & 1) != 0;
    }

    /**
     * #VMEXIT to L1 (APM Vol. 2 15.6): the exit information and the state #VMEXIT saves go into VMCB12; L1 resumes at
     * the instruction after its VMRUN with its host state (VMCB01, as loaded from VM_HSAVE_PA), DR7 = 400H, GIF = 0.
     * What #VMEXIT does not reload stays L2's: the registers besides RAX/RSP, FS/GS/TR/LDTR, CR2, DR6, and, without
     * L1's nested paging, the PAT.
     */
    void reflect(long code, long info1, long info2, long intInfo, long nrip) {
        long d = vmcb02, t = vmcb12;
        copy(d, t, S_ES, 0x40);
        copy(d, t, S_GDTR, 0x10);
        copy(d, t, S_IDTR, 0x10);
        bus.write(t + S_CPL, 1, bus.read(d + S_CPL, 1));
        copy(d, t, S_EFER, 8);
        copy(d, t, S_CR4, 0x38); // CR4, CR3, CR0, DR7, DR6, RFLAGS, RIP
        copy(d, t, S_RSP, 8);
        copy(d, t, S_RAX, 8);
        copy(d, t, S_CR2, 8);
        if (l1Np) {
            copy(d, t, S_G_PAT, 8);
        }
        bus.write(t + EXITCODE, 8, code);
        bus.write(t + EXITINFO1, 8, info1);
        bus.write(t + EXITINFO2, 8, info2);
        bus.write(t + EXITINTINFO, 8, intInfo);
        bus.write(t + NRIP, 8, nrip);
        copy(d, t, INT_SHADOW, 8);
        copy(d, t, INSN_BYTES, 16);
        long vintr12 = bus.read(t + VINTR, 8), vintr02 = bus.read(d + VINTR, 8);
        bus.write(t + VINTR, 8, (vintr12 & ~0x1ffL) | (vintr02 & 0xffL) | (vintr02 & vintr12 & 0x100L)); // V_TPR, V_IRQ
        bus.write(t + EVENTINJ, 8, bus.read(d + EVENTINJ, 8));
        long l2Cr2 = bus.read(d + S_CR2, 8), l2Dr6 = bus.read(d + S_DR6, 8), l2Pat = bus.read(d + S_G_PAT, 8);
        root.select(vmcb01);
        v.level = 1;
        root.setGuestRip(vmrunNextRip);
        root.writeOffset(S_DR7, 8, 0x400);
        root.writeOffset(S_CR2, 8, l2Cr2);
        root.writeOffset(S_DR6, 8, l2Dr6);
        root.writeOffset(INT_SHADOW, 8, 0);
        if (!l1Np) {
            root.writeOffset(S_G_PAT, 8, l2Pat);
        }
        root.setGuestGif(false); // #VMEXIT clears GIF (15.6, 15.17)
    }

    /**
     * A nested page fault of L2 on the shadow tables: L1's nested tables are walked for the L2 guest-physical address
     * (15.25.5: 4-level long-mode format, in the format L1's own paging has, with L1's EFER.NXE; nested accesses are
     * user accesses; R/W, U/S and, with L1's EFER.NXE, NX combined over the levels, APM 5.6; 2 MiB and 1 GiB pages),
     * entry by entry as the model's walker ({@link X86PagingFormat#classify}, APM 5.3.3, 5.4: reserved bits at or
     * above MAXPHYADDR, bit 63 without NXE, PS in a PML4E or without 1 GiB pages, the bits between PAT and the frame of
     * a large page). Not present, reserved bit or not allowed there: #VMEXIT(NPF) to L1 with EXITINFO1 in the
     * page-fault error-code format (P, RW, US = 1, RSV, ID; bits 32/33 as the model gave them: final address / guest
     * page-table access) and EXITINFO2 = the address (15.25.6). Allowed: the L1 guest-physical page is backed in L0's
     * tables (lazily, as for L1) and the shadow maps the L2 page to it, writable and executable only as L1's walk
     * allows, so that a later access the walk forbids (a fetch from an NX page first mapped by a read, a write to a
     * read-only page) faults again and comes back here; L2 retries.
     */
    private Handled shadowFault(GuestExit x) {
        long gpa = x.info2;
        boolean write = (x.qualification & 2) != 0, fetch = (x.qualification & 0x10) != 0;
        if ((l1Efer & Cpu.EFER_LMA) == 0 || (l1Cr4 & Cpu.CR4_LA57) != 0) {
            v.failure = "nested paging of an L1 outside 4-level long mode is not supported (EFER "
                    + Long.toHexString(l1Efer) + ", CR4 " + Long.toHexString(l1Cr4) + ")";
            return Handled.STOPPED;
        }
        X86PagingFormat f = l1Format((l1Efer & Cpu.EFER_NXE) != 0);
        long table = f.rootTable(l1NCr3);
        boolean w = true, u = true, exec = true;
        long pa;
        for (int level = f.topLevel(); ; level--) {
            long e = bus.read(vmm.guestToHost(f.entryAddress(table, gpa, level)), 8);
            EntryStatus st = f.classify(e, level);
            if (st == EntryStatus.NOT_PRESENT) {
                return npfToL1(x, false, false, write, fetch, gpa);
            }
            if (!st.usable()) {
                return npfToL1(x, true, true, write, fetch, gpa); // APM 5.3.3 / 15.25.6: RSV, with P = 1
            }
            int perm = f.permissions(e, level);
            w &= (perm & Perm.W) != 0;
            u &= (perm & Perm.U) != 0;
            exec &= (perm & Perm.XU) != 0;
            if (st == EntryStatus.LEAF) {
                pa = f.frame(e, level) | (gpa & f.pageSize(level).mask() & ~0xfffL);
                break;
            }
            table = f.frame(e, level);
        }
        if (!u || write && !w || fetch && !exec) {
            return npfToL1(x, true, false, write, fetch, gpa);
        }
        long hpa;
        if (bus.ramPage(pa) != null) {
            if (vmm.ept().lookup(pa) < 0) {
                vmm.ept().map(pa, pa); // L0's lazy backing of L1's page
            }
            hpa = pa;
        } else {
            hpa = vmm.memory().contains(pa) ? Vmm.UNBACKED : pa; // a device page: mapped through (DEVIATIONS.md)
        }
        if (shadow.tables() >= SHADOW_TABLES) {
            resetShadow(); // bounded: an L2 touching a huge sparse space cannot exhaust the VMM's memory
        }
        shadow.map(gpa, hpa, w, exec);
        v.reinjectInterrupted(x);
        return Handled.MAPPED;
    }

    /**
     * The format of L1's nested tables (15.25.3: the format of the paging L1, their host, has): 4-level long mode,
     * L1's EFER.NXE, 1 GiB pages as the profile has them, its MAXPHYADDR. Kept while L1's NXE stays the same.
     */
    private X86PagingFormat l1Format(boolean nxe) {
        X86PagingFormat f = l1Format;
        if (f == null || f.nxe() != nxe) {
            f = new X86PagingFormat(X86PagingFormat.Mode.LONG4, nxe, true,
                    cpu.has(dev.hvsim.x86core.decode.Feature.PAGE1GB), cpu.profile().maxPhysAddr());
            l1Format = f;
        }
        return f;
    }

    private Handled npfToL1(GuestExit x, boolean present, boolean rsv, boolean write, boolean fetch, long gpa) {
        long info1 = (present ? 1 : 0) | (write ? 2 : 0) | 4 | (rsv ? 8 : 0) | (fetch ? 0x10 : 0)
                | (x.qualification & (3L << 32));
        reflect(EXIT_NPF, info1, gpa, x.vectoring, 0);
        return Handled.REFLECTED;
    }

    long vmcb12Gpa() { return vmcb12Gpa; }

    /**
     * Every field of L1's virtual SVM state and of the current nested run (VMCB01/02, the merged permission maps,
     * the saved L1 intercepts, L1's nested-paging state, the shadow NPT and its pool), for the VMM's snapshots.
     */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long[] l = {vmcb01, vmcb02, mergedIopm, mergedMsrpm, hsavePa, vmcb12Gpa, vmcb12, vmrunNextRip, l1Misc1,
            l1Misc2, l1Misc3, l1Cr, l1Dr, l1Exc, l1Iopm, l1Msrpm, l1NCr3, l1Efer, l1Cr4, lastL1Asid, shadowNCr3};
        boolean s = svme, np = l1Np;
        ShadowNpt sh = shadow;
        dev.hvsim.x86core.Snapshottable.Snapshot shadowState = sh == null ? null : sh.snapshot();
        List<VmrunViolation> rules = failedRules;
        return () -> {
            vmcb01 = l[0]; vmcb02 = l[1]; mergedIopm = l[2]; mergedMsrpm = l[3]; hsavePa = l[4]; vmcb12Gpa = l[5];
            vmcb12 = l[6]; vmrunNextRip = l[7]; l1Misc1 = l[8]; l1Misc2 = l[9]; l1Misc3 = l[10]; l1Cr = l[11];
            l1Dr = l[12]; l1Exc = l[13]; l1Iopm = l[14]; l1Msrpm = l[15]; l1NCr3 = l[16]; l1Efer = l[17];
            l1Cr4 = l[18]; lastL1Asid = l[19]; shadowNCr3 = l[20];
            svme = s;
            l1Np = np;
            shadow = sh;
            if (shadowState != null) {
                shadowState.restore();
            }
            failedRules = rules;
        };
    }
}
