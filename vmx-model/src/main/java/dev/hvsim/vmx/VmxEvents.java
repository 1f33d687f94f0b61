package dev.hvsim.vmx;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.InterruptSource;
import dev.hvsim.x86core.Interrupts;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.decode.InterceptPoint;

/**
 * VM exits that happen at an instruction boundary rather than on an instruction, the guest's activity state and its
 * NMI blocking (SDM Vol. 3C 26.2 "Other Causes of VM Exits", 26.3 "Changes to Instruction Behavior", 26.5.2 "Monitor
 * Trap Flag", 28.7 "Special Features of VM Entry"; Vol. 3A Table 7-2 "Priority Among Concurrent Events"). At each
 * boundary, in this priority (higher first):
 * <ol>
 * <li>INIT signal (3): "external hardware interventions" outrank every VMX boundary exit; in any activity state.</li>
 * <li>SIPI (4, the vector as qualification): only in the wait-for-SIPI activity state.</li>
 * <li>MTF (37): pending after each guest instruction (also one that faults: after the fault's delivery), after the
 * delivery of an event at a boundary, after VM entry that injects an event or a pending MTF (type 7); SMIs and INIT
 * take priority, MTF exits take priority over debug traps and lower events (26.5.2). None in shutdown or
 * wait-for-SIPI.</li>
 * <li>Pending debug exceptions loaded by VM entry (28.7.3): a #DB trap (exit 0 with the pending bits as qualification
 * when bit 1 of the exception bitmap is 1) before the guest's first instruction, held while MOV-SS blocking lasts;
 * below MTF (debug traps rank below MTF exits, 26.5.2), above the timer (26.5.1).</li>
 * <li>VMX-preemption timer (52, 26.5.1): below debug traps, above NMI-window exits; wakes HLT and shutdown, not
 * wait-for-SIPI.</li>
 * <li>NMI window (8, 26.2): no virtual-NMI blocking and no blocking by MOV SS or (this model's choice, which the
 * SDM allows) by STI; above NMIs; wakes HLT and shutdown, not wait-for-SIPI.</li>
 * <li>NMI with "NMI exiting" (0, NMI in the interruption information): blocked by MOV SS and, without virtual NMIs,
 * by NMI blocking; with "virtual NMIs" NMIs are not blocked in non-root operation (28.7.1).</li>
 * <li>Interrupt window (7): RFLAGS.IF = 1 and no STI/MOV-SS blocking; wakes HLT only.</li>
 * <li>External interrupt with "external-interrupt exiting" (1, RFLAGS.IF does not block it, 26.3), with or without
 * "acknowledge interrupt on exit" (29.2.2); wakes HLT only.</li>
 * </ol>
 * The platform's interrupts come through x86-core's {@link InterruptSource} (machine's LocalApic); INIT and SIPI
 * through {@link VmxExtension#init} / {@link VmxExtension#startup}.
 */
final class VmxEvents {
    /** VM-exit interruption information: valid bit, type NMI (2) / external (0) (29.2.2, Table 25-19). */
    static final int VALID = 1 << 31, TYPE_NMI = 2 << 8;
    /** Bit 12 of the VM-exit interruption information / EPT-violation qualification: NMI unblocking due to IRET. */
    static final int NMI_UNBLOCKED_BY_IRET = 1 << 12;
    private final VmxExtension x;
    private boolean extIntExiting, nmiExiting, virtualNmis, intWindow, nmiWindow, mtf, ackOnExit, timerActive,
            saveTimer;
    private long timerDeadlineTicks;
    /** SHUTDOWN or WAIT_FOR_SIPI while the guest is in one of them; else ACTIVE (HLT is the core's halted flag). */
    private int inactive = GuestNonRegisterRules.ACTIVE;
    /** An MTF exit is pending whatever the instruction count says (after injection or an event's delivery). */
    private boolean mtfPending;
    /** The instruction count at the last boundary (-1 before the first): an MTF exit is due once it has moved. */
    private long mtfMark;
    private boolean initPending;
    /** Pending debug exceptions (B3-B0, enabled breakpoint, BS) VM entry loaded and not yet delivered; 0 if none. */
    private long pendingDebug;
    private int sipiVector = -1;
    /** IRET bookkeeping for bit 12 (29.2.2, 29.2.1 Table 29-7): where the last IRET was and whether it unblocked. */
    private long iretRip = -1;
    private boolean iretUnblocked;

    VmxEvents(VmxExtension x) {
        this.x = x;
    }

    /**
     * At VM entry, after guest state is loaded and before event injection: the controls read once, the preemption
     * timer armed from VMX_PREEMPTION_TIMER_VALUE (28.7.4), the activity state entered (28.7.2), MTF made pending
     * when the entry injects an event or a pending MTF VM exit (26.5.2, 28.6.2).
     */
    void entered(VmcsSnapshot g) {
        long pin = g.at(F.I.PIN_BASED_VM_EXEC_CONTROL), proc = g.at(F.I.CPU_BASED_VM_EXEC_CONTROL);
        long exit = g.at(F.I.VM_EXIT_CONTROLS);
        extIntExiting = (pin & 1) != 0;
        nmiExiting = (pin & 1 << 3) != 0;
        virtualNmis = (pin & 1 << 5) != 0;
        timerActive = (pin & 1 << 6) != 0;
        intWindow = (proc & 1 << 2) != 0;
        nmiWindow = (proc & 1 << 22) != 0;
        mtf = (proc & 1 << 27) != 0;
        ackOnExit = (exit & 1 << 15) != 0;
        saveTimer = (exit & 1 << 22) != 0;
        if (timerActive) {
            timerDeadlineTicks = ticks() + (g.at(F.I.VMX_PREEMPTION_TIMER_VALUE) & 0xffffffffL);
        }
        long info = g.at(F.I.VM_ENTRY_INTR_INFO_FIELD);
        boolean injecting = (info >>> 31 & 1) != 0;
        int type = (int) (info >>> 8) & 7;
        mtfPending = injecting && (type == 7 || mtf); // 26.5.2: a vectored entry with MTF, or a pending MTF (28.6.2)
        mtfMark = -1; // taken at the guest's first boundary (the VMLAUNCH/VMRESUME itself still retires)
        // an INIT taken in non-root operation but overtaken by an instruction's own exit stays pending and exits right
        // after this entry (INIT is held in root operation); SIPIs are not latched: one not yet taken is dropped
        sipiVector = -1;
        iretRip = -1;
        int activity = (int) g.at(F.I.GUEST_ACTIVITY_STATE);
        pendingDebug = pendingDebugAfterEntry(g, injecting, type, activity);
        // 28.7.2: HLT is the core's halted state; shutdown and wait-for-SIPI also stop execution, and hold interrupts
        // (VmxExtension.holdsInterrupts). An injected event wakes the processor: VmEntry.inject makes it active.
        inactive = activity == GuestNonRegisterRules.SHUTDOWN || activity == GuestNonRegisterRules.WAIT_FOR_SIPI
                ? activity : GuestNonRegisterRules.ACTIVE;
        x.cpu().state().halted = activity != GuestNonRegisterRules.ACTIVE;
        x.cpu().signalEvent(); // look at the first boundary of the guest
        if (x.initHeld) {
            // the platform holds an INIT this CPU blocked in root operation: end the run after the VMLAUNCH/VMRESUME
            // so that the platform offers it again before the guest's first instruction (where it exits, 26.2)
            x.cpu().stopAfterInstruction(dev.hvsim.x86core.StopReason.CYCLE_LIMIT);
        }
    }

    /** Bits 3:0 (B3-B0), 12 (enabled breakpoint) and 14 (BS) of the pending-debug-exceptions field. */
    static final long PENDING_DBG_BITS = 0xf | 1L << 12 | 1L << 14, BS = 1L << 14, ENABLED_BP = 1L << 12;

    /**
     * 28.7.3 "Delivery of Pending Debug Exceptions after VM Entry": none after a vectoring entry with an external
     * interrupt, NMI, hardware exception or privileged software exception, or with a software interrupt/exception
     * without MOV-SS blocking; none after a non-vectoring entry into shutdown or wait-for-SIPI. Otherwise they are valid
     * when BS or "enabled breakpoint" is 1. A software interrupt/exception injected under MOV-SS blocking would have the
     * #DB follow the injected event's delivery; this model drops them in that case (DEVIATIONS.md).
     */
    private static long pendingDebugAfterEntry(VmcsSnapshot g, boolean injecting, int type, int activity) {
        long p = g.at(F.I.GUEST_PENDING_DBG_EXCEPTIONS) & PENDING_DBG_BITS;
        if ((p & (BS | ENABLED_BP)) == 0 || injecting && type != 7
                || !injecting && (activity == GuestNonRegisterRules.SHUTDOWN
                        || activity == GuestNonRegisterRules.WAIT_FOR_SIPI)) {
            return 0;
        }
        return p;
    }

    /**
     * The pending debug exceptions a VM exit saves (29.3.4): those VM entry loaded and that were not yet delivered
     * (an exit of higher priority came first, e.g. INIT); then cleared: the VMCS holds them now. Traps the core
     * itself holds are never pending at an exit (DEVIATIONS.md): 0 otherwise.
     */
    long takePendingDebug() {
        long p = pendingDebug;
        pendingDebug = 0;
        return p;
    }

    /**
     * Delivers the pending debug exceptions as a #DB trap "as if it had occurred immediately after VM entry" (28.7.3):
     * the exception bitmap decides (26.2): exit 0 with the DR6-format bits as qualification (29.2.1) and DR6 unchanged
     * (29.1: a #DB that causes a VM exit does not update DR6), or DR6 bits 3:0 take B3-B0, BS is set when pending, and
     * delivery through the guest IDT (RIP of the next instruction, which
     * has not executed). A halted guest wakes.
     */
    private void deliverPendingDebug(Cpu c, long p) {
        CpuState s = c.state();
        wake(c);
        if ((x.currentVmcs().read(F.EXCEPTION_BITMAP) & 1 << 1) != 0) {
            exit(ExitReason.EXCEPTION_OR_NMI, p & (0xf | BS), VALID | 3 << 8 | 1); // DR6 unchanged (29.1)
        }
        s.dr[6] = (s.dr[6] & ~0xfL) | (p & 0xf) | (p & BS);
        c.interrupts().inject(1, ArchFault.NO_ERROR_CODE, Interrupts.Kind.EXCEPTION, s.rip);
        c.nextRip = s.rip;
    }

    /** The timer decrements each time bit X (IA32_VMX_MISC[4:0]) of the TSC changes (26.5.1). */
    private long ticks() {
        return x.cpu().tsc() >>> x.capabilities().misc().preemptionTimerRate();
    }

    /** The value VM exit saves with "save VMX-preemption timer value" (29.3), 0 once expired. */
    boolean savesTimer() {
        return timerActive && saveTimer;
    }

    long timerValue() {
        return Math.max(0, timerDeadlineTicks - ticks());
    }

    /**
     * GuestMode.wakeDeadline: the cycle at which the preemption timer expires, so that a halted guest (HLT or
     * shutdown; not wait-for-SIPI, which the timer does not wake, 26.5.1) exits with reason 52 at the right TSC
     * when the machine skips time.
     */
    long wakeDeadline(Cpu c) {
        if (!timerActive || inactive == GuestNonRegisterRules.WAIT_FOR_SIPI) {
            return Long.MAX_VALUE;
        }
        int rate = x.capabilities().misc().preemptionTimerRate();
        if (timerDeadlineTicks >= Long.MAX_VALUE >>> rate) {
            return Long.MAX_VALUE;
        }
        long tsc = timerDeadlineTicks << rate, perCycle = c.profile().tscPerCycle();
        long cycles = Math.floorDiv(tsc - c.state().tscAdjust + perCycle - 1, perCycle);
        return Math.max(cycles, c.cycles());
    }

    /** The activity state a VM exit saves (29.3.4): shutdown / wait-for-SIPI, HLT while halted, else active. */
    int activityState(Cpu c) {
        if (inactive != GuestNonRegisterRules.ACTIVE) {
            return inactive;
        }
        return c.state().halted ? GuestNonRegisterRules.HLT : GuestNonRegisterRules.ACTIVE;
    }

    /** Shutdown and wait-for-SIPI block external interrupts and NMIs (an NMI wakes shutdown: atBoundary). */
    boolean holdsInterrupts() {
        return inactive != GuestNonRegisterRules.ACTIVE;
    }

    /** The processor leaves HLT / shutdown for delivery of an injected event (28.7.2). */
    void wake(Cpu c) {
        inactive = GuestNonRegisterRules.ACTIVE;
        c.state().halted = false;
    }

    void initArrived(Cpu c) {
        initPending = true;
        c.signalEvent();
    }

    void sipiArrived(Cpu c, int vector) {
        if (inactive == GuestNonRegisterRules.WAIT_FOR_SIPI) {
            sipiVector = vector & 0xff;
            c.signalEvent();
        }
    }

    // ------------------------------------------------------------------ NMI blocking (26.3, 28.7.1, 29.2.2)

    /**
     * IRET in non-root operation (26.3): with "NMI exiting" = 0 it unblocks NMIs as usual; with "NMI exiting" = 1 it
     * does not affect NMI blocking, unless "virtual NMIs" = 1, when it removes virtual-NMI blocking (which the core's
     * NMI-blocked flag holds in non-root operation with virtual NMIs).
     */
    boolean iretUnblocksNmis(Cpu c) {
        iretRip = c.state().rip;
        iretUnblocked = c.state().nmiBlocked && (!nmiExiting || virtualNmis);
        return !nmiExiting || virtualNmis;
    }

    /**
     * Bit 12 "NMI unblocking due to IRET" (29.2.2 for exits on a fault in the exception bitmap, Table 29-7 for EPT
     * violations): the exit happens on the IRET (RIP still at it) that removed (virtual-)NMI blocking, and the exit
     * does not report IDT-vectoring information (bit 12 is undefined then; the model writes 0).
     */
    boolean nmiUnblockedByIret(Cpu c) {
        return iretUnblocked && iretRip == c.state().rip && c.current() != null
                && c.current().intercept == InterceptPoint.IRET && c.interrupts().deliveringVector() < 0;
    }

    /**
     * NMI blocking in root operation after a VM exit (29.1: an NMI that causes a VM exit blocks subsequent NMIs only
     * after the exit completes): blocked after an NMI exit; with "virtual NMIs" NMIs were not blocked in non-root
     * operation, so they are unblocked after any other exit; otherwise the guest's NMI blocking carries over.
     */
    boolean rootNmiBlockedAfter(boolean nmiExit, boolean guestBlocked) {
        return nmiExit || !virtualNmis && guestBlocked;
    }

    /**
     * An NMI or interrupt was delivered to the guest at a boundary: with MTF, the MTF exit pending after the delivery
     * (26.5.2) is taken at the boundary before the handler's first instruction; nothing of higher priority can have
     * become pending since the boundary's own look (atBoundary).
     */
    void eventDelivered(Cpu c) {
        if (mtf) {
            exit(ExitReason.MONITOR_TRAP_FLAG, 0, 0);
        }
    }

    // ------------------------------------------------------------------ the boundary

    /** GuestMode.atEventBoundary: the exits above, in priority order; re-arms itself while one may still come. */
    void atBoundary(Cpu c) {
        CpuState s = c.state();
        boolean waitSipi = inactive == GuestNonRegisterRules.WAIT_FOR_SIPI;
        boolean shutdown = inactive == GuestNonRegisterRules.SHUTDOWN;
        if (initPending) { // 26.2: INIT signals cause VM exits (3)
            initPending = false;
            exit(ExitReason.INIT_SIGNAL, 0, 0);
        }
        if (sipiVector >= 0 && waitSipi) { // 26.2: SIPI in wait-for-SIPI: VM exit (4), the vector as qualification
            int v = sipiVector;
            sipiVector = -1;
            exit(ExitReason.SIPI, v, 0);
        }
        if (waitSipi) {
            return; // 28.7.2: nothing else is recognised in wait-for-SIPI
        }
        if (mtf || mtfPending) {
            if (!shutdown && (mtfPending || mtfMark >= 0 && c.instructions() != mtfMark)) {
                exit(ExitReason.MONITOR_TRAP_FLAG, 0, 0); // 26.5.2
            }
            mtfMark = c.instructions();
            c.signalEvent();
        }
        if (pendingDebug != 0) {
            if (c.inShadow() && s.movSsShadow) {
                c.signalEvent(); // 28.7.3: held while MOV-SS blocking lasts
            } else {
                long p = pendingDebug;
                pendingDebug = 0;
                deliverPendingDebug(c, p);
            }
        }
        if (timerActive) {
            if (ticks() >= timerDeadlineTicks) {
                exit(ExitReason.PREEMPTION_TIMER, 0, 0); // 26.5.1
            }
            c.signalEvent();
        }
        boolean shadow = c.inShadow();
        boolean movSs = shadow && s.movSsShadow;
        if (nmiWindow) {
            if (!s.nmiBlocked && !shadow) {
                exit(ExitReason.NMI_WINDOW, 0, 0); // 26.2 NMI-window exiting
            }
            c.signalEvent();
        }
        InterruptSource src = c.interruptSource();
        if (src.pendingNmi() && !movSs && (virtualNmis || !s.nmiBlocked)) {
            if (nmiExiting) {
                src.acknowledgeNmi();
                exit(ExitReason.EXCEPTION_OR_NMI, 0, VALID | TYPE_NMI | 2);
            }
            if (shutdown && !s.nmiBlocked) {
                inactive = GuestNonRegisterRules.ACTIVE; // an NMI wakes the shutdown state; the core delivers it
            }
        }
        if (shutdown) {
            return; // interrupt-window and external-interrupt exits do not occur in shutdown
        }
        if (intWindow) {
            if ((s.flagsRest & Flags.IF) != 0 && !shadow) {
                exit(ExitReason.INTERRUPT_WINDOW, 0, 0);
            }
            c.signalEvent();
        }
        if (extIntExiting && !shadow) {
            int v = src.pendingInterrupt();
            if (v >= 0) {
                int info = 0;
                if (ackOnExit) {
                    src.acknowledge(v);
                    info = VALID | v;
                }
                exit(ExitReason.EXTERNAL_INTERRUPT, 0, info);
            }
        }
    }

    /** A boundary exit: no instruction length or information (undefined for these exits, 29.2.5; written 0). */
    private void exit(int reason, long qualification, int intrInfo) {
        x.exits().exit(reason, qualification, 0, 0, intrInfo, 0);
    }

    /** Every field: the controls read at entry, the windows, MTF, the preemption timer, pending debug, SIPI, IRET. */
    dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        boolean[] b = {extIntExiting, nmiExiting, virtualNmis, intWindow, nmiWindow, mtf, ackOnExit, timerActive,
            saveTimer, mtfPending, initPending, iretUnblocked};
        long[] l = {timerDeadlineTicks, mtfMark, pendingDebug, iretRip, inactive, sipiVector};
        return () -> {
            extIntExiting = b[0]; nmiExiting = b[1]; virtualNmis = b[2]; intWindow = b[3]; nmiWindow = b[4];
            mtf = b[5]; ackOnExit = b[6]; timerActive = b[7]; saveTimer = b[8]; mtfPending = b[9];
            initPending = b[10]; iretUnblocked = b[11];
            timerDeadlineTicks = l[0]; mtfMark = l[1]; pendingDebug = l[2]; iretRip = l[3];
            inactive = (int) l[4];
            sipiVector = (int) l[5];
        };
    }
}
