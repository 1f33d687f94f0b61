package dev.hvsim.vmx;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.VmTransition;
import dev.hvsim.x86core.exec.MsrAccess;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.TripleFault;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * VM exits (SDM Vol. 3C chapter "VM Exits": 29.2 recording VM-exit information, 29.3 saving guest state, 29.4 saving
 * MSRs, 29.5 loading host state; 27.x in the 2016 edition) and the VM-entry failure exit (28.8), which loads host
 * state without saving guest state. Every exit ends with a {@link VmExitSignal} carrying the {@link VmExit}: the
 * run stops with {@code StopReason.VM_EXIT}; a Java VMM reads the record, root-mode x86 code simply continues
 * at HOST_RIP on the next run.
 */
final class VmExits {
    /** IA32_DEBUGCTL (SDM Vol. 4): the core has no such MSR; VM entry/exit keep its value in the MSR file. */
    static final long IA32_DEBUGCTL = 0x1d9;
    /** IA32_SMBASE: readable only in SMM (29.4), so a VM-exit MSR-store entry for it fails. */
    static final long IA32_SMBASE = 0x9e;
    private static final long CR0_KEEP = Cpu.CR0_ET | Cpu.CR0_CD | Cpu.CR0_NW;
    /**
     * VMX-abort indicators (SDM Vol. 3C 29.7 "VMX Aborts"; 27.7 in the 2016 edition): 1 = a VM-exit MSR-store entry
     * failed (29.4), 2 = a host PDPTE (PAE host paging) has reserved bits set (29.5.4), 4 = a VM-exit MSR-load entry
     * failed (29.6). 3 (VMCS corruption) and 5 (machine check during VM exit) cannot arise here (DEVIATIONS.md).
     */
    static final int ABORT_SAVING_GUEST_MSRS = 1, ABORT_HOST_PDPTE = 2, ABORT_LOADING_HOST_MSRS = 4;
    /** The VMX-abort indicator: bytes 4-7 of the VMCS region (25.2 "Format of the VMCS Region"). */
    static final int ABORT_INDICATOR_OFFSET = 4;
    private final VmxExtension x;

    VmExits(VmxExtension x) {
        this.x = x;
    }

    /**
     * The processor-side copy of {@code v} when it has one and the layout has a slot for every field (hvsim's does),
     * else null: the exit then reads and writes it directly ({@link #put}: only the fields whose value changes),
     * instead of a lookup per field (most guest state is the same at every exit).
     */
    private static long[] copyOf(Vmcs v) {
        long[] k = v.copy();
        return k != null && (v.layout() == checkedLayout || fullLayout(v)) ? k : null;
    }

    private static volatile dev.hvsim.vmcs.VmcsLayout checkedLayout;

    private static boolean fullLayout(Vmcs v) {
        if (v.layoutHasEveryField()) {
            checkedLayout = v.layout();
            return true;
        }
        return false;
    }

    /** Field {@code i} of {@code v} ({@code k}: its copy from {@link #copyOf}, or null). */
    private static long get(Vmcs v, long[] k, int i) {
        return k != null ? k[i] : v.get(i);
    }

    /**
     * Writes field {@code i} of {@code v}; with its copy {@code k} ({@link #copyOf}: the layout has every field) in
     * place, as {@link Vmcs#put} would (the copy only; written back to the region later, {@link Vmcs#writeBack}), and
     * nothing when the copy holds the value already. A few instructions at each of the ~60 call sites, so that C2
     * inlines all of them into the exit's save (the call chain of Vmcs.put at each site outgrew its inlining budget).
     */
    private void put(Vmcs v, long[] k, int i, long value) {
        if (k == null) {
            v.put(i, value);
            return;
        }
        if (k[i] == value) { // the common case (the value fits the field and is unchanged): no mask needed
            return;
        }
        long m = value & Vmcs.MASK[i];
        if (k[i] != m) {
            k[i] = m;
            long bit = 1L << i;
            x.vmcsChanged[i >>> 6] |= bit;
            x.vmcsDirty[i >>> 6] |= bit;
        }
    }

    /** A VM exit from non-root operation: record, save guest state, load host state, then signal. */
    void exit(int reason, long qualification, int insnLength, int insnInfo, int intrInfo, int intrError) {
        throw new VmExitSignal(complete(reason, qualification, insnLength, insnInfo, intrInfo, intrError));
    }

    /**
     * {@link #exit} without the signal, for callers that return at once to the core's step (an instruction intercept
     * or instruction handler, a non-string I/O intercept): the core ends the step with the exit as if it had been
     * thrown (x86-core {@code Cpu.exitWithoutUnwinding}), without the JVM unwinding the frames in between.
     */
    void exitWithoutUnwinding(int reason, long qualification, int insnLength, int insnInfo) {
        x.cpu().exitWithoutUnwinding(complete(reason, qualification, insnLength, insnInfo, 0, 0));
    }

    /** Everything a VM exit does (29.2-29.6) before the run stops; returns the exit's record. */
    private VmExit complete(int reason, long qualification, int insnLength, int insnInfo, int intrInfo,
            int intrError) {
        Cpu c = x.cpu();
        Vmcs v = x.currentVmcs();
        long[] k = copyOf(v);
        long guestRip = c.state().rip;
        boolean guestNmiBlocked = c.state().nmiBlocked;
        boolean nmiExit = reason == ExitReason.EXCEPTION_OR_NMI && (intrInfo & 0x80000700) == 0x80000200;
        put(v, k, F.I.VM_EXIT_REASON, reason);
        put(v, k, F.I.EXIT_QUALIFICATION, qualification);
        put(v, k, F.I.VM_EXIT_INSTRUCTION_LEN, insnLength);
        put(v, k, F.I.VMX_INSTRUCTION_INFO, insnInfo);
        put(v, k, F.I.VM_EXIT_INTR_INFO, intrInfo);
        put(v, k, F.I.VM_EXIT_INTR_ERROR_CODE, intrError);
        idtVectoring(c, v, k, reason == ExitReason.EXCEPTION_OR_NMI && (intrInfo & 0xff) == 8);
        put(v, k, F.I.VM_ENTRY_INTR_INFO_FIELD, get(v, k, F.I.VM_ENTRY_INTR_INFO_FIELD) & ~(1L << 31)); // 29.2.1
        saveGuest(c, v, k);
        storeMsrs(c, v, k);
        leave(c);
        loadHost(c, v);
        c.state().nmiBlocked = x.events().rootNmiBlockedAfter(nmiExit, guestNmiBlocked);
        if (c.listener() != null) {
            c.listener().onVmExit(c, new VmTransition(VmTransition.Kind.EXIT, "VMCS", reason, qualification, guestRip,
                    true, java.util.List.of()));
        }
        return new VmExit(reason, false, qualification, insnLength, insnInfo, intrInfo, intrError, guestRip);
    }

    /**
     * An EPT violation (48) or misconfiguration (49) (SDM Vol. 3C 29.3.3; exit information 29.2.1 and Table 29-7):
     * the guest-physical address field always, the guest-linear address field when the qualification says it is
     * valid (bit 7); the instruction length is undefined for these exits and written as 0.
     */
    void eptExit(int reason, long qualification, long guestPhys, boolean linearValid, long guestLinear) {
        Vmcs v = x.currentVmcs();
        v.write(F.GUEST_PHYSICAL_ADDRESS, guestPhys);
        v.write(F.GUEST_LINEAR_ADDRESS, linearValid ? guestLinear : 0);
        if (reason == ExitReason.EPT_VIOLATION && x.events().nmiUnblockedByIret(x.cpu())) {
            qualification |= VmxEvents.NMI_UNBLOCKED_BY_IRET; // Table 29-7 bit 12: during the IRET that unblocked
        }
        exit(reason, qualification, 0, 0, 0, 0);
    }

    /**
     * 29.2.4 "Information for VM Exits During Event Delivery": when the exit happened while an event was being
     * delivered through the IDT (x86-core's {@code Interrupts.deliveringVector}), the IDT-vectoring information
     * (vector, type, error-code valid, valid) and error code describe that event; else the field is invalid. A #DF
     * exit caused by a fault during delivery reports none (the #DF replaces the original event).
     */
    private void idtVectoring(Cpu c, Vmcs v, long[] k, boolean doubleFault) {
        int vector = c.interrupts().deliveringVector();
        if (vector < 0 || doubleFault) {
            put(v, k, F.I.IDT_VECTORING_INFO_FIELD, 0);
            return;
        }
        int err = c.interrupts().deliveringErrorCode();
        int type;
        switch (c.interrupts().deliveringKind()) {
            case EXTERNAL: type = 0; break;
            case NMI: type = 2; break;
            case SOFTWARE_INT: type = 4; break;
            case PRIV_SOFTWARE_EXCEPTION: type = 5; break;
            case SOFTWARE_EXCEPTION: type = 6; break;
            default: type = 3; break; // hardware exception (faults, traps)
        }
        put(v, k, F.I.IDT_VECTORING_INFO_FIELD, 1L << 31 | vector | type << 8 | (err >= 0 ? 1 << 11 : 0));
        put(v, k, F.I.IDT_VECTORING_ERROR_CODE, err >= 0 ? err : 0);
    }

    /** A VM-entry failure (28.8): exit reason with bit 31, qualification, host state; no guest state saved. */
    void entryFailure(Vmcs v, int reason, long qualification) {
        Cpu c = x.cpu();
        v.write(F.VM_EXIT_REASON, reason | ExitReason.ENTRY_FAILURE_BIT);
        v.write(F.EXIT_QUALIFICATION, qualification);
        leave(c);
        loadHost(c, v);
        throw new VmExitSignal(new VmExit(reason, true, qualification, 0, 0, 0, 0, c.state().rip));
    }

    private void leave(Cpu c) {
        x.nonRoot = false;
        c.setGuestMode(null);
        c.clearGuestTsc();
        x.leaveGuestTranslation();
    }

    /** 29.3: the guest state the model holds, back into the guest-state area. */
    private void saveGuest(Cpu c, Vmcs v, long[] k) {
        CpuState s = c.state();
        put(v, k, F.I.GUEST_CR0, s.cr0);
        put(v, k, F.I.GUEST_CR3, s.cr3);
        put(v, k, F.I.GUEST_CR4, s.cr4);
        long exitCtl = get(v, k, F.I.VM_EXIT_CONTROLS);
        if ((exitCtl & (1 << 2)) != 0) { // save debug controls
            put(v, k, F.I.GUEST_DR7, s.dr[7]);
            put(v, k, F.I.GUEST_IA32_DEBUGCTL, s.msr(IA32_DEBUGCTL));
        }
        put(v, k, F.I.GUEST_RSP, s.gpr[Reg.RSP]);
        put(v, k, F.I.GUEST_RIP, s.rip);
        put(v, k, F.I.GUEST_RFLAGS, s.rflags());
        for (int seg = Reg.ES; seg <= Reg.GS; seg++) {
            saveSegment(v, k, seg, s.seg[seg]);
        }
        Segment l = s.ldtr, t = s.tr;
        put(v, k, F.I.GUEST_LDTR_SELECTOR, l.selector);
        put(v, k, F.I.GUEST_LDTR_BASE, l.base);
        put(v, k, F.I.GUEST_LDTR_LIMIT, l.limit);
        put(v, k, F.I.GUEST_LDTR_AR_BYTES, arOf(l));
        put(v, k, F.I.GUEST_TR_SELECTOR, t.selector);
        put(v, k, F.I.GUEST_TR_BASE, t.base);
        put(v, k, F.I.GUEST_TR_LIMIT, t.limit);
        put(v, k, F.I.GUEST_TR_AR_BYTES, arOf(t));
        put(v, k, F.I.GUEST_GDTR_BASE, s.gdtrBase);
        put(v, k, F.I.GUEST_GDTR_LIMIT, s.gdtrLimit);
        put(v, k, F.I.GUEST_IDTR_BASE, s.idtrBase);
        put(v, k, F.I.GUEST_IDTR_LIMIT, s.idtrLimit);
        put(v, k, F.I.GUEST_SYSENTER_CS, s.msr(Msr.IA32_SYSENTER_CS));
        put(v, k, F.I.GUEST_SYSENTER_ESP, s.msr(Msr.IA32_SYSENTER_ESP));
        put(v, k, F.I.GUEST_SYSENTER_EIP, s.msr(Msr.IA32_SYSENTER_EIP));
        if ((exitCtl & (1 << 18)) != 0) {
            put(v, k, F.I.GUEST_IA32_PAT, s.msr(Msr.IA32_PAT));
        }
        if ((exitCtl & (1 << 20)) != 0) {
            put(v, k, F.I.GUEST_IA32_EFER, s.efer);
        }
        // IA32_VMX_MISC[5]: "IA-32e mode guest" receives EFER.LMA
        long entry = get(v, k, F.I.VM_ENTRY_CONTROLS);
        put(v, k, F.I.VM_ENTRY_CONTROLS, c.longMode() ? entry | 1 << 9 : entry & ~(1L << 9));
        boolean shadow = c.inShadow();
        long intr = (shadow && s.stiShadow ? GuestNonRegisterRules.BLOCK_STI : 0)
                | (shadow && s.movSsShadow ? GuestNonRegisterRules.BLOCK_MOV_SS : 0)
                | (s.nmiBlocked ? GuestNonRegisterRules.BLOCK_NMI : 0);
        put(v, k, F.I.GUEST_INTERRUPTIBILITY_INFO, intr);
        put(v, k, F.I.GUEST_ACTIVITY_STATE, x.events().activityState(c)); // 29.3.4: HLT, shutdown, wait-for-SIPI, active
        put(v, k, F.I.GUEST_PENDING_DBG_EXCEPTIONS, x.events().takePendingDebug()); // 29.3.4 (DEVIATIONS.md)
        if (x.events().savesTimer()) { // 29.3: "save VMX-preemption timer value"
            v.write(F.VMX_PREEMPTION_TIMER_VALUE, x.events().timerValue());
        }
        if (x.eptActive() && c.pagingEnabled() && c.cr4(Cpu.CR4_PAE) && !c.longMode()) {
            // 29.3.4: with "enable EPT" and PAE paging the PDPTEs are saved into the guest-state area
            v.write(F.GUEST_PDPTE0, c.mmu().pdpte[0]);
            v.write(F.GUEST_PDPTE1, c.mmu().pdpte[1]);
            v.write(F.GUEST_PDPTE2, c.mmu().pdpte[2]);
            v.write(F.GUEST_PDPTE3, c.mmu().pdpte[3]);
        }
    }

    static long arOf(Segment sg) {
        return sg.attr & 0x1f0ffL;
    }

    private void saveSegment(Vmcs v, long[] k, int seg, Segment sg) {
        put(v, k, F.I.GUEST_SEL[seg], sg.selector);
        put(v, k, F.I.GUEST_BASE[seg], sg.base);
        put(v, k, F.I.GUEST_LIMIT[seg], sg.limit);
        put(v, k, F.I.GUEST_AR[seg], arOf(sg));
    }

    /**
     * 29.4: the VM-exit MSR-store area (index in bits 31:0 of each entry, the value as RDMSR reads it written to bits
     * 127:64). An entry fails when bits 63:32 are not 0, when it names an x2APIC MSR (bits 31:8 = 000008H), an
     * SMM-only MSR (IA32_SMBASE, 9EH: no SMM here) or when RDMSR at CPL 0 would #GP; a failure is a VMX abort (29.7)
     * with indicator 1.
     */
    private void storeMsrs(Cpu c, Vmcs v, long[] k) {
        long base = get(v, k, F.I.VM_EXIT_MSR_STORE_ADDR), n = get(v, k, F.I.VM_EXIT_MSR_STORE_COUNT);
        for (long i = 0; i < n; i++) { // the count is 32 bits: a long index cannot wrap
            long lo = c.bus().read(base + 16L * i, 8), index = lo & 0xffffffffL;
            if ((lo >>> 32) != 0 || (index >>> 8) == 0x8 || index == IA32_SMBASE) {
                abort(c, ABORT_SAVING_GUEST_MSRS, String.format("VM-exit MSR-store entry %d (MSR %xH)", i, index));
            }
            long value;
            try {
                value = MsrAccess.read(c, index);
            } catch (ArchFault f) {
                abort(c, ABORT_SAVING_GUEST_MSRS, String.format("VM-exit MSR-store entry %d: RDMSR %xH faults", i,
                        index));
                return;
            }
            c.bus().write(base + 16L * i + 8, 8, value);
        }
    }

    /**
     * A VMX abort (29.7): the indicator is written to the VMCS region (bytes 4-7), the logical processor leaves
     * non-root operation and enters the VMX-abort shutdown state; the run ends with {@code StopReason.SHUTDOWN} (the
     * core's shutdown, with the indicator in {@code Cpu.shutdownReason()}), and every later run returns SHUTDOWN
     * (only RESET, i.e. a new CPU or the machine's reset, leaves it). No VM exit is reported: no VmExitSignal.
     */
    private void abort(Cpu c, int indicator, String why) {
        c.bus().write(x.currentVmcsPointer() + ABORT_INDICATOR_OFFSET, 4, indicator);
        if (x.nonRoot) {
            leave(c);
        }
        c.state().halted = true; // held in shutdown: Cpu.events() returns SHUTDOWN while shutdownReason is set
        throw new TripleFault("VMX abort, indicator " + indicator + ": " + why);
    }

    private static final int[] HOST_DATA_SEGMENTS = {Reg.ES, Reg.SS, Reg.DS, Reg.FS, Reg.GS};

    /** 29.5: host state (and 29.6 the VM-exit MSR-load area). */
    void loadHost(Cpu c, Vmcs v) {
        long[] k = copyOf(v);
        CpuState s = c.state();
        long exitCtl = get(v, k, F.I.VM_EXIT_CONTROLS);
        boolean host64 = (exitCtl & (1 << 9)) != 0;
        s.cr0 = (get(v, k, F.I.HOST_CR0) & ~CR0_KEEP) | (s.cr0 & CR0_KEEP);
        s.cr3 = get(v, k, F.I.HOST_CR3);
        long cr4 = get(v, k, F.I.HOST_CR4);
        s.cr4 = host64 ? cr4 | Cpu.CR4_PAE : cr4 & ~Cpu.CR4_PCIDE;
        s.dr[7] = 0x400;
        s.msr.put(IA32_DEBUGCTL, 0);
        s.msr.put(Msr.IA32_SYSENTER_CS, get(v, k, F.I.HOST_IA32_SYSENTER_CS));
        s.msr.put(Msr.IA32_SYSENTER_ESP, get(v, k, F.I.HOST_IA32_SYSENTER_ESP));
        s.msr.put(Msr.IA32_SYSENTER_EIP, get(v, k, F.I.HOST_IA32_SYSENTER_EIP));
        if ((exitCtl & (1 << 21)) != 0) {
            s.efer = get(v, k, F.I.HOST_IA32_EFER);
        } else {
            long lm = Cpu.EFER_LMA | Cpu.EFER_LME;
            s.efer = host64 ? s.efer | lm : s.efer & ~lm;
        }
        if ((exitCtl & (1 << 19)) != 0) {
            s.msr.put(Msr.IA32_PAT, get(v, k, F.I.HOST_IA32_PAT));
        }
        int g = Segment.ATTR_G;
        s.seg[Reg.CS].set((int) get(v, k, F.I.HOST_CS_SELECTOR), 0, 0xffffffffL,
                0x9b | g | (host64 ? Segment.ATTR_L : Segment.ATTR_DB));
        for (int seg : HOST_DATA_SEGMENTS) {
            int sel = (int) get(v, k, F.I.HOST_SEL[seg]);
            long base = seg == Reg.FS ? get(v, k, F.I.HOST_FS_BASE) : seg == Reg.GS ? get(v, k, F.I.HOST_GS_BASE) : 0;
            s.seg[seg].set(sel, base, 0xffffffffL, sel == 0 ? Segment.ATTR_UNUSABLE : 0x93 | g | Segment.ATTR_DB);
        }
        s.tr.set((int) get(v, k, F.I.HOST_TR_SELECTOR), get(v, k, F.I.HOST_TR_BASE), 0x67, 0x8b);
        s.ldtr.set(0, 0, 0, Segment.ATTR_UNUSABLE);
        s.gdtrBase = get(v, k, F.I.HOST_GDTR_BASE);
        s.gdtrLimit = 0xffff;
        s.idtrBase = get(v, k, F.I.HOST_IDTR_BASE);
        s.idtrLimit = 0xffff;
        s.gpr[Reg.RSP] = get(v, k, F.I.HOST_RSP);
        s.rip = get(v, k, F.I.HOST_RIP);
        c.nextRip = s.rip;
        s.setRflags(Flags.FIXED1);
        s.stiShadow = false;
        s.movSsShadow = false;
        s.halted = false;
        c.setCpl(0);
        c.modeChanged();
        x.hostStateLoaded();
        if (c.pagingEnabled() && c.cr4(Cpu.CR4_PAE) && !c.longMode()) {
            try {
                c.mmu().loadPdptes(s.cr3); // 29.5.4: a present PDPTE with reserved bits set is a VMX abort (2)
            } catch (ArchFault f) {
                abort(c, ABORT_HOST_PDPTE, "host PDPTE with reserved bits set (CR3 " + Long.toHexString(s.cr3) + ")");
            }
        }
        loadMsrs(c, get(v, k, F.I.VM_EXIT_MSR_LOAD_ADDR), get(v, k, F.I.VM_EXIT_MSR_LOAD_COUNT));
    }

    /**
     * 29.6: the VM-exit MSR-load area, in order, as WRMSR would write each value. An entry fails when bits 63:32 are
     * not 0, when it names IA32_FS_BASE / IA32_GS_BASE, an x2APIC MSR, an SMM-only MSR (IA32_SMM_MONITOR_CTL), an MSR
     * the model refuses on VM exit (IA32_BIOS_UPDT_TRIG, as at VM entry), or when WRMSR at CPL 0 would #GP; a failure
     * is a VMX abort (29.7) with indicator 4. Entries before the failing one stay loaded (the processor is in
     * shutdown anyway).
     */
    private void loadMsrs(Cpu c, long base, long n) {
        for (long i = 0; i < n; i++) { // the count is 32 bits: a long index cannot wrap
            long lo = c.bus().read(base + 16L * i, 8), index = lo & 0xffffffffL;
            long value = c.bus().read(base + 16L * i + 8, 8);
            if ((lo >>> 32) != 0 || index == MsrLoadRules.IA32_FS_BASE || index == MsrLoadRules.IA32_GS_BASE
                    || (index >>> 8) == 0x8 || index == MsrLoadRules.IA32_SMM_MONITOR_CTL
                    || index == MsrLoadRules.IA32_BIOS_UPDT_TRIG) {
                abort(c, ABORT_LOADING_HOST_MSRS, String.format("VM-exit MSR-load entry %d (MSR %xH)", i, index));
            }
            try {
                MsrAccess.write(c, index, value);
            } catch (ArchFault f) {
                abort(c, ABORT_LOADING_HOST_MSRS, String.format("VM-exit MSR-load entry %d: WRMSR %xH, %xH faults",
                        i, index, value));
            }
        }
    }
}
