package dev.hvsim.vmx;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.InterruptSource;

/**
 * VM exits that happen at an instruction boundary rather than on an instruction (SDM Vol. 3C 26.2 "Other Causes of
 * VM Exits", 26.7 "Features Specific to VMX Non-Root Operation", 26.3 "Changes to Instruction Behavior"), in the
 * priority of Table 7-2 as far as modelled: VMX-preemption timer expired (52, 26.7.4), NMI with "NMI exiting"
 * (exit 0 with the NMI in the VM-exit interruption information), interrupt window (7, 26.7.5), external
 * interrupt with "external-interrupt exiting" (1, 26.2; RFLAGS.IF does not block it, 26.3), with or without
 * "acknowledge interrupt on exit" (29.2.2: acknowledged, the vector in the interruption information; otherwise the
 * interrupt stays pending in the platform's controller and the interruption information is invalid).
 * The platform's interrupts come through x86-core's {@link InterruptSource} (machine's LocalApic).
 */
final class VmxEvents {
    /** VM-exit interruption information: valid bit, type NMI (2) / external (0) (29.2.2, Table 25-19). */
    static final int VALID = 1 << 31, TYPE_NMI = 2 << 8;
    private final VmxExtension x;
    private boolean extIntExiting, nmiExiting, intWindow, ackOnExit, timerActive, saveTimer;
    private long timerDeadlineTicks;

    VmxEvents(VmxExtension x) {
        this.x = x;
    }

    /** At VM entry: the controls read once, the preemption timer armed from VMX_PREEMPTION_TIMER_VALUE. */
    void entered(VmcsSnapshot g) {
        long pin = g.get(F.PIN_BASED_VM_EXEC_CONTROL), proc = g.get(F.CPU_BASED_VM_EXEC_CONTROL);
        long exit = g.get(F.VM_EXIT_CONTROLS);
        extIntExiting = (pin & 1) != 0;
        nmiExiting = (pin & 1 << 3) != 0;
        timerActive = (pin & 1 << 6) != 0;
        intWindow = (proc & 1 << 2) != 0;
        ackOnExit = (exit & 1 << 15) != 0;
        saveTimer = (exit & 1 << 22) != 0;
        if (timerActive) {
            timerDeadlineTicks = ticks() + (g.get(F.VMX_PREEMPTION_TIMER_VALUE) & 0xffffffffL);
        }
        x.cpu().signalEvent(); // look at the first boundary of the guest
    }

    /** The timer decrements each time bit X (IA32_VMX_MISC[4:0]) of the TSC changes (26.7.4). */
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

    /** GuestMode.atEventBoundary: the exits above, in priority order; re-arms itself while one may still come. */
    void atBoundary(Cpu c) {
        if (timerActive) {
            if (ticks() >= timerDeadlineTicks) {
                x.exits().exit(ExitReason.PREEMPTION_TIMER, 0, 0, 0, 0, 0);
            }
            c.signalEvent();
        }
        InterruptSource src = c.interruptSource();
        boolean shadow = c.inShadow();
        if (nmiExiting && src.pendingNmi() && !c.state().nmiBlocked && !c.state().movSsShadow) {
            src.acknowledgeNmi();
            x.exits().exit(ExitReason.EXCEPTION_OR_NMI, 0, 0, 0, VALID | TYPE_NMI | 2, 0);
        }
        if (intWindow) {
            if ((c.state().flagsRest & dev.hvsim.x86core.Flags.IF) != 0 && !shadow) {
                x.exits().exit(ExitReason.INTERRUPT_WINDOW, 0, 0, 0, 0, 0);
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
                x.exits().exit(ExitReason.EXTERNAL_INTERRUPT, 0, 0, 0, info, 0);
            }
        }
    }
}
