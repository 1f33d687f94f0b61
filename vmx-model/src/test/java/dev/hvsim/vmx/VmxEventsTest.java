package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.InterruptSource;
import dev.hvsim.x86core.StopReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exits at instruction boundaries (SDM Vol. 3C 26.2, 26.7.4 VMX-preemption timer, 26.7.5 interrupt-window
 * exiting, 29.2.2 VM-exit interruption information): external-interrupt exiting with and without "acknowledge
 * interrupt on exit", NMI exiting, interrupt-window exiting and the preemption timer, with the platform's interrupts
 * coming through x86-core's InterruptSource (here a stand-in for machine's LocalApic).
 */
class VmxEventsTest {
    /** One pending interrupt vector (or -1) and an NMI line; records acknowledgements. */
    static final class Source implements InterruptSource {
        int pending = -1;
        boolean nmi;
        final List<Integer> acked = new ArrayList<>();

        @Override public int pendingInterrupt() { return pending; }
        @Override public void acknowledge(int vector) { acked.add(vector); pending = -1; }
        @Override public boolean pendingNmi() { return nmi; }
        @Override public void acknowledgeNmi() { nmi = false; acked.add(2); }
    }

    private static VmxHarness guest(String code, Source src, long pinSet, long procSet, long exitSet) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        h.cpu.setInterruptSource(src);
        Vmcs v = h.vmx.currentVmcs();
        v.write("PIN_BASED_VM_EXEC_CONTROL", v.read("PIN_BASED_VM_EXEC_CONTROL") | pinSet);
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") | procSet);
        v.write("VM_EXIT_CONTROLS", v.read("VM_EXIT_CONTROLS") | exitSet);
        return h;
    }

    private static VmExit run(VmxHarness h, long limit) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        if (h.vmx.inNonRoot()) { // an exit at the guest's first boundary already happened inside the VMLAUNCH step
            assertThat(h.cpu.run(limit, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        }
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
        assertThat(h.vmx.inNonRoot()).isFalse();
        return (VmExit) h.cpu.lastVmExit();
    }

    @Test
    void externalInterruptExitsRegardlessOfIfAndIsAcknowledgedOnExit() {
        Source src = new Source();
        src.pending = 0x30;
        VmxHarness h = guest("90 90 f4", src, 1, 0, 1L << 15); // guest RFLAGS.IF = 0
        VmExit e = run(h, 100);
        assertThat(e.reason()).isEqualTo(ExitReason.EXTERNAL_INTERRUPT).isEqualTo(1);
        assertThat(e.qualification()).isZero();
        assertThat(e.instructionLength()).isZero();
        assertThat(e.interruptionInfo()).isEqualTo(0x80000030);
        assertThat(e.guestRip()).as("before the guest's first instruction").isEqualTo(GUEST_CODE);
        assertThat(src.acked).containsExactly(0x30);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VM_EXIT_INTR_INFO")).isEqualTo(0x80000030L);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE);
        assertThat(v.read("GUEST_RFLAGS")).isEqualTo(2);
    }

    @Test
    void withoutAcknowledgeTheInterruptStaysPendingAndTheInformationIsInvalid() {
        Source src = new Source();
        VmxHarness h = guest("90 90 0f a2", src, 1, 0, 0);
        h.t.mem(HOST_RIP, "0f 01 c3");   // the host resumes the guest at once
        src.pending = -1;
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.cpu.run(2, Long.MAX_VALUE)).isEqualTo(StopReason.INSTRUCTION_LIMIT); // two NOPs
        src.pending = 0x41;
        h.cpu.signalEvent();
        assertThat(h.cpu.run(10, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).isEqualTo(ExitReason.EXTERNAL_INTERRUPT);
        assertThat(e.interruptionInfo()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 2);
        assertThat(src.acked).isEmpty();
        assertThat(src.pending).isEqualTo(0x41);
        assertThat(h.vmx.currentVmcs().read("VM_EXIT_INTR_INFO")).isZero();
    }

    @Test
    void nmiExitingExitsWithTheNmiInTheInterruptionInformation() {
        Source src = new Source();
        VmxHarness h = guest("90 f4", src, 1L << 3, 0, 0);
        assertThat(h.exec(VMLAUNCH)).isNull();          // the NMI arrives once the guest runs
        assertThat(h.vmx.inNonRoot()).isTrue();
        src.nmi = true;
        h.cpu.signalEvent();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI).isZero();
        assertThat(e.interruptionInfo()).isEqualTo(0x80000202);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(src.acked).containsExactly(2);
        assertThat(h.vmx.currentVmcs().read("GUEST_INTERRUPTIBILITY_INFO")).as("no NMI blocking saved").isZero();
    }

    @Test
    void interruptWindowOpensAfterTheStiShadow() {
        // nop ; sti ; nop ; nop ; hlt  — IF = 0 at entry; the window opens after the instruction following STI
        VmxHarness h = guest("90 fb 90 90 f4", new Source(), 0, 1L << 2, 0);
        VmExit e = run(h, 100);
        assertThat(e.reason()).isEqualTo(ExitReason.INTERRUPT_WINDOW).isEqualTo(7);
        assertThat(e.qualification()).isZero();
        assertThat(e.instructionLength()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 3);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("GUEST_RFLAGS")).isEqualTo(0x202);
        assertThat(v.read("GUEST_INTERRUPTIBILITY_INFO")).isZero();
    }

    @Test
    void interruptWindowWithIfSetExitsBeforeTheFirstInstruction() {
        VmxHarness h = guest("90 f4", new Source(), 0, 1L << 2, 0);
        h.vmx.currentVmcs().write("GUEST_RFLAGS", 0x202);
        VmExit e = run(h, 100);
        assertThat(e.reason()).isEqualTo(ExitReason.INTERRUPT_WINDOW);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
    }

    @Test
    void preemptionTimerZeroExitsBeforeAnyInstruction() {
        VmxHarness h = guest("90 f4", new Source(), 1L << 6, 0, 1L << 22);
        h.vmx.currentVmcs().write("VMX_PREEMPTION_TIMER_VALUE", 0);
        VmExit e = run(h, 100);
        assertThat(e.reason()).isEqualTo(ExitReason.PREEMPTION_TIMER).isEqualTo(52);
        assertThat(e.qualification()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(h.vmx.currentVmcs().read("VMX_PREEMPTION_TIMER_VALUE")).isZero();
    }

    @Test
    void preemptionTimerCountsTscTicksAtTheMiscRate() {
        int rate = h().vmx.capabilities().misc().preemptionTimerRate();
        assertThat(rate).isEqualTo(5);
        // jmp $ : spins until the timer expires after 100 ticks of 2^5 TSC ticks
        VmxHarness h = guest("eb fe", new Source(), 1L << 6, 0, 1L << 22);
        h.vmx.currentVmcs().write("VMX_PREEMPTION_TIMER_VALUE", 100);
        long tsc0 = h.cpu.tsc();
        VmExit e = run(h, 1_000_000);
        assertThat(e.reason()).isEqualTo(ExitReason.PREEMPTION_TIMER);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        long elapsed = h.cpu.tsc() - tsc0;
        assertThat(elapsed).isBetween(99L << rate, 102L << rate);
        assertThat(h.vmx.currentVmcs().read("VMX_PREEMPTION_TIMER_VALUE")).isZero();
    }

    @Test
    void anOtherExitSavesTheRemainingTimerValue() {
        VmxHarness h = guest("90 90 0f a2", new Source(), 1L << 6, 0, 1L << 22);
        h.vmx.currentVmcs().write("VMX_PREEMPTION_TIMER_VALUE", 1_000_000);
        VmExit e = run(h, 100);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        long left = h.vmx.currentVmcs().read("VMX_PREEMPTION_TIMER_VALUE");
        assertThat(left).isBetween(999_000L, 999_999L);
    }

    private static VmxHarness h() {
        return new VmxHarness();
    }
}
