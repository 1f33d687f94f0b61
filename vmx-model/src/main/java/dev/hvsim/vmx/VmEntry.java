package dev.hvsim.vmx;

import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.VmTransition;
import dev.hvsim.x86core.exec.MsrAccess;
import dev.hvsim.x86core.fault.ArchFault;
import java.util.ArrayList;
import java.util.List;

/**
 * VM entry as snapshot, check, commit (ARCHITECTURE.md; SDM Vol. 3C chapter "VM Entries"): the VMCS is read once
 * into a {@link VmcsSnapshot}, {@link EntryChecks} decides the {@link EntryOutcome} without touching the CPU, and
 * only an {@code Entered} outcome changes state: guest state is loaded (28.3.2), the VM-entry MSR-load area
 * processed (28.4), an injected event delivered (28.6), and the CPU continues in VMX non-root operation.
 */
final class VmEntry {
    private final VmxExtension x;
    private EntryOutcome last;
    /** The rules' results of the last VM entry of this CPU, reused where their inputs did not change. */
    private final EntryCheckMemo memo;
    /** The snapshot every VM entry of this CPU refills (read, checked and committed within {@link #enter}). */
    private final VmcsSnapshot snapshot = VmcsSnapshot.reusable();

    VmEntry(VmxExtension x) {
        this.x = x;
        this.memo = new EntryCheckMemo((pa, size) -> x.cpu().bus().read(pa, size),
                (index, value) -> wouldFault(x.cpu(), index, value));
    }

    /** The view of the processor-side copy ({@link VmcsSnapshot#over}), made once. */
    private VmcsSnapshot copySnapshot;

    private VmcsSnapshot copySnapshot(long[] copy) {
        VmcsSnapshot s = copySnapshot;
        if (s == null || s.values() != copy) {
            s = VmcsSnapshot.over(copy);
            copySnapshot = s;
        }
        return s;
    }

    /** The outcome of the last VMLAUNCH/VMRESUME that reached the checks. */
    EntryOutcome lastOutcome() {
        return last;
    }

    /** The checks' view of this CPU at VM entry. */
    EntryContext context() {
        Cpu c = x.cpu();
        return memo.context(x.capabilities(), c.longMode(), c.profile().maxPhysAddr(), c.linearAddressBits(),
                x.currentVmcsPointer());
    }

    /** WRMSR at CPL 0 on a copy of the CPU state: does it #GP? The state is restored either way. */
    static boolean wouldFault(Cpu c, long index, long value) {
        CpuState saved = c.state().copy();
        try {
            MsrAccess.write(c, index, value);
            return false;
        } catch (ArchFault f) {
            return true;
        } finally {
            c.state().copyFrom(saved);
        }
    }

    void enter(Vmcs v, boolean launch) {
        long[] copy = v.copy();
        boolean copied = copy != null && x.vmcsCacheFor(v.address()) == copy; // the processor-side copy's values
        // refill would copy the copy (Vmcs.readFullFields): check and commit it in place instead
        VmcsSnapshot snap = copied ? copySnapshot(copy) : snapshot.refill(v);
        memo.onlyChanged(copied ? x.vmcsChanged : null);
        EntryOutcome o;
        try {
            o = EntryChecks.check(snap, context(), memo);
        } finally {
            // after a check of the copy the memo has seen every change up to it; after a check of any other region
            // the memo's last snapshot is not the copy's, so the next check compares every field
            java.util.Arrays.fill(x.vmcsChanged, copied ? 0L : -1L);
        }
        last = o;
        switch (o.kind()) {
            case VMFAIL_VALID:
                int error = ((EntryOutcome.VmFailValid) o).error();
                x.insns.fail(error);
                notify(o, error, 0, false);
                return;
            case ENTRY_FAILURE:
                EntryOutcome.EntryFailureExit f = (EntryOutcome.EntryFailureExit) o;
                notify(o, f.reason() | ExitReason.ENTRY_FAILURE_BIT, f.qualification(), true);
                x.exits().entryFailure(v, f.reason(), f.qualification());
                return;
            default:
                commit(snap, v, launch);
                ExecutionListener l = x.cpu().listener();
                if (l != null) {
                    l.onVmEntry(x.cpu(), new VmTransition(VmTransition.Kind.ENTRY, "VMCS", 0, 0, x.cpu().state().rip,
                            false, List.of()));
                }
        }
    }

    /**
     * Tells the listener of a failed entry (before an entry-failure exit loads host state, so RIP is VMLAUNCH's or
     * VMRESUME's). Nothing is built when no listener is attached.
     */
    private void notify(EntryOutcome o, long code, long qualification, boolean toHost) {
        ExecutionListener l = x.cpu().listener();
        if (l == null) {
            return;
        }
        List<String> rules = new ArrayList<>();
        for (Violation v : o.violations()) {
            rules.add(v.toString());
        }
        l.onVmEntryFailed(x.cpu(), new VmTransition(VmTransition.Kind.ENTRY_FAILED, "VMCS", code, qualification,
                x.cpu().state().rip, toHost, rules));
    }

    /** 28.3.2 loading guest state, 28.4 MSR loading, 28.6 event injection. */
    private void commit(VmcsSnapshot g, Vmcs v, boolean launch) {
        Cpu c = x.cpu();
        CpuState s = c.state();
        long entryCtl = g.at(F.I.VM_ENTRY_CONTROLS);
        boolean ia32e = (entryCtl & (1 << 9)) != 0;
        x.enterGuestTranslation(g);
        guestTsc(c, g);
        long keep = Cpu.CR0_ET | Cpu.CR0_CD | Cpu.CR0_NW;
        s.cr0 = (g.at(F.I.GUEST_CR0) & ~keep) | (s.cr0 & keep);
        s.cr3 = g.at(F.I.GUEST_CR3);
        s.cr4 = g.at(F.I.GUEST_CR4);
        if ((entryCtl & (1 << 2)) != 0) { // load debug controls
            s.dr[7] = g.at(F.I.GUEST_DR7);
            s.msr.put(VmExits.IA32_DEBUGCTL, g.at(F.I.GUEST_IA32_DEBUGCTL));
        }
        s.msr.put(Msr.IA32_SYSENTER_CS, g.at(F.I.GUEST_SYSENTER_CS));
        s.msr.put(Msr.IA32_SYSENTER_ESP, g.at(F.I.GUEST_SYSENTER_ESP));
        s.msr.put(Msr.IA32_SYSENTER_EIP, g.at(F.I.GUEST_SYSENTER_EIP));
        if ((entryCtl & (1 << 15)) != 0) {
            s.efer = g.at(F.I.GUEST_IA32_EFER);
        } else {
            s.efer = ia32e ? s.efer | Cpu.EFER_LMA : s.efer & ~Cpu.EFER_LMA;
            if ((s.cr0 & Cpu.CR0_PG) != 0) {
                s.efer = ia32e ? s.efer | Cpu.EFER_LME : s.efer & ~Cpu.EFER_LME;
            }
        }
        if ((entryCtl & (1 << 14)) != 0) {
            s.msr.put(Msr.IA32_PAT, g.at(F.I.GUEST_IA32_PAT));
        }
        for (int seg = Reg.ES; seg <= Reg.GS; seg++) {
            s.seg[seg].set((int) g.at(F.I.GUEST_SEL[seg]), g.at(F.I.GUEST_BASE[seg]), g.at(F.I.GUEST_LIMIT[seg]),
                    (int) g.at(F.I.GUEST_AR[seg]));
        }
        s.ldtr.set((int) g.at(F.I.GUEST_LDTR_SELECTOR), g.at(F.I.GUEST_LDTR_BASE), g.at(F.I.GUEST_LDTR_LIMIT),
                (int) g.at(F.I.GUEST_LDTR_AR_BYTES));
        s.tr.set((int) g.at(F.I.GUEST_TR_SELECTOR), g.at(F.I.GUEST_TR_BASE), g.at(F.I.GUEST_TR_LIMIT),
                (int) g.at(F.I.GUEST_TR_AR_BYTES));
        s.gdtrBase = g.at(F.I.GUEST_GDTR_BASE);
        s.gdtrLimit = (int) g.at(F.I.GUEST_GDTR_LIMIT);
        s.idtrBase = g.at(F.I.GUEST_IDTR_BASE);
        s.idtrLimit = (int) g.at(F.I.GUEST_IDTR_LIMIT);
        s.gpr[Reg.RSP] = g.at(F.I.GUEST_RSP);
        s.rip = g.at(F.I.GUEST_RIP);
        s.setRflags(g.at(F.I.GUEST_RFLAGS));
        s.halted = false;
        long intr = g.at(F.I.GUEST_INTERRUPTIBILITY_INFO);
        s.stiShadow = false;
        s.movSsShadow = false;
        s.nmiBlocked = (intr & GuestNonRegisterRules.BLOCK_NMI) != 0;
        c.setCpl(GuestSegmentRules.dpl(g.at(F.I.GUEST_AR[dev.hvsim.x86core.Reg.SS])));
        c.modeChanged();
        x.guestStateLoaded();
        if (c.pagingEnabled() && c.cr4(Cpu.CR4_PAE) && !c.longMode()) {
            if (x.eptActive()) { // 28.3.2.4: with "enable EPT" the PDPTEs come from the guest-state area
                c.mmu().pdpte[0] = g.get(F.GUEST_PDPTE0);
                c.mmu().pdpte[1] = g.get(F.GUEST_PDPTE1);
                c.mmu().pdpte[2] = g.get(F.GUEST_PDPTE2);
                c.mmu().pdpte[3] = g.get(F.GUEST_PDPTE3);
            } else {
                c.mmu().loadPdptes(s.cr3);
            }
        }
        if ((intr & GuestNonRegisterRules.BLOCK_STI) != 0) {
            c.beginStiShadow();
        } else if ((intr & GuestNonRegisterRules.BLOCK_MOV_SS) != 0) {
            c.beginMovSsShadow();
        }
        loadMsrs(c, g);
        if (launch) {
            v.setLaunchState(LaunchState.LAUNCHED);
        }
        x.nonRoot = true;
        x.guest().entered();
        c.setGuestMode(x.guest());
        c.nextRip = s.rip;
        x.events().entered(g);
        inject(c, g);
    }

    /**
     * "Use TSC offsetting" (primary bit 3) and "use TSC scaling" (secondary bit 25), SDM Vol. 3C 26.3 / ch. 26
     * "Timestamp-Counter Offsetting and Multiplying": in the guest RDTSC, RDTSCP and RDMSR IA32_TIME_STAMP_COUNTER
     * return TSC + offset, or with scaling too ((TSC * multiplier) &gt;&gt; 48) + offset; scaling applies only
     * together with offsetting. The VM exit restores the plain TSC ({@code VmExits.leave}).
     */
    private static void guestTsc(Cpu c, VmcsSnapshot g) {
        long proc = g.at(F.I.CPU_BASED_VM_EXEC_CONTROL);
        if ((proc & 1 << 3) == 0) {
            c.clearGuestTsc();
            return;
        }
        boolean scaling = (proc >>> 31 & 1) != 0 && (g.at(F.I.SECONDARY_VM_EXEC_CONTROL) >>> 25 & 1) != 0;
        c.setGuestTsc(scaling ? g.at(F.I.TSC_MULTIPLIER) : 1L << 48, g.at(F.I.TSC_OFFSET));
    }

    /** 28.4: the checks already proved every entry loadable; load them in order. */
    private static void loadMsrs(Cpu c, VmcsSnapshot g) {
        long base = g.at(F.I.VM_ENTRY_MSR_LOAD_ADDR), n = g.at(F.I.VM_ENTRY_MSR_LOAD_COUNT);
        for (long i = 0; i < n; i++) { // the count is 32 bits: a long index cannot wrap
            MsrAccess.write(c, c.bus().read(base + 16L * i, 4), c.bus().read(base + 16L * i + 8, 8));
        }
    }

    /**
     * 28.6 event injection: the event of the VM-entry interruption-information field is delivered through the
     * guest IDT as if it had occurred right after VM entry; a software event's return address is RIP plus the
     * VM-entry instruction length.
     */
    private void inject(Cpu c, VmcsSnapshot g) {
        long info = g.at(F.I.VM_ENTRY_INTR_INFO_FIELD);
        if ((info >>> 31 & 1) == 0 || (info >>> 8 & 7) == 7) {
            return; // type 7 (other event, vector 0): a pending MTF VM exit, no delivery (28.6.2; VmxEvents.entered)
        }
        int vector = (int) info & 0xff, type = (int) (info >>> 8) & 7;
        int err = (info >>> 11 & 1) != 0 ? (int) g.at(F.I.VM_ENTRY_EXCEPTION_ERROR_CODE) : ArchFault.NO_ERROR_CODE;
        long rip = c.state().rip;
        Interrupts.Kind kind;
        switch (type) {
            case 0: kind = Interrupts.Kind.EXTERNAL; break;
            case 2: kind = Interrupts.Kind.NMI; break;
            case 4: kind = Interrupts.Kind.SOFTWARE_INT; rip += g.at(F.I.VM_ENTRY_INSTRUCTION_LEN); break;
            case 5: kind = Interrupts.Kind.PRIV_SOFTWARE_EXCEPTION; rip += g.at(F.I.VM_ENTRY_INSTRUCTION_LEN); break;
            case 6: kind = Interrupts.Kind.SOFTWARE_EXCEPTION; rip += g.at(F.I.VM_ENTRY_INSTRUCTION_LEN); break;
            default: kind = Interrupts.Kind.EXCEPTION; break; // 3: hardware exception
        }
        // 28.7.2: a vectoring VM entry leaves the processor active (the event wakes HLT or, for an NMI, shutdown);
        // 28.6.1.1: delivering an injected NMI blocks NMIs ("virtual NMIs" = 0) or sets virtual-NMI blocking (= 1).
        x.events().wake(c);
        if (kind == Interrupts.Kind.NMI) {
            c.state().nmiBlocked = true;
        }
        c.interrupts().inject(vector, err, kind, rip);
        c.nextRip = c.state().rip;
    }

    /** The last outcome; the check memo is emptied (it caches results a full check recomputes identically). */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        EntryOutcome o = last;
        return () -> {
            last = o;
            memo.invalidate();
        };
    }
}
