package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.HANDLER;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.PIN_NMI_EXITING;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.PIN_TIMER;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.enter;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.gate;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.guest;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.launch;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.noInstructionInformation;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.read;
import static dev.hvsim.vmx.VmxNmiAndMtfTest.resume;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.StopReason;
import org.junit.jupiter.api.Test;

/**
 * Activity states at VM entry and on VM exit (SDM Vol. 3C 28.7.2, 29.3.4), the events that wake each one, INIT (3)
 * and SIPI (4) exits with INIT blocked in VMX root operation (26.2; "Handling Boundary Conditions in a VMM"), triple fault (2), and the VMX-preemption
 * timer counting while the guest is halted (26.5.1). The INIT and SIPI arrive through
 * {@link CpuExtension#init}/{@link CpuExtension#startup}, as machine's local APIC delivers them.
 */
class VmxActivityStateTest {
    static final long PIN_EXT_INT = 1, EXIT_ACK = 1L << 15, EXIT_SAVE_TIMER = 1L << 22;

    static VmxHarness inState(String code, VmxEventsTest.Source src, long pin, int activity) {
        VmxHarness h = guest(code, src, pin, 0);
        Vmcs v = h.vmx.currentVmcs();
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") & ~(1L << 7)); // no HLT exiting
        v.write("GUEST_ACTIVITY_STATE", activity);
        v.write("VM_EXIT_CONTROLS", v.read("VM_EXIT_CONTROLS") | EXIT_ACK);
        return h;
    }

    /** The guest waits: the run stops without an exit, still in non-root operation. */
    static void waits(VmxHarness h) {
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.WAITING_FOR_INTERRUPT);
        assertThat(h.vmx.inNonRoot()).isTrue();
    }

    @Test
    void aGuestHaltedByHltExitsOnAnExternalInterruptAndSavesHlt() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = inState("90 f4 90", src, PIN_EXT_INT, GuestNonRegisterRules.ACTIVE);
        enter(h);
        waits(h);
        src.pending = 0x33;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXTERNAL_INTERRUPT);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000033);
        assertThat(e.guestRip()).as("after the HLT").isEqualTo(GUEST_CODE + 2);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.HLT);
        assertThat(h.cpu.state().halted).as("the host runs").isFalse();
    }

    @Test
    void entryInHltWaitsForAnInterruptAndDoesNotExecute() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = inState("0f a2", src, PIN_EXT_INT, GuestNonRegisterRules.HLT);
        enter(h);
        waits(h);
        src.pending = 0x40;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXTERNAL_INTERRUPT);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.HLT);
    }

    @Test
    void anInjectionIntoHltWakesTheGuest() {
        VmxHarness h = inState("90", new VmxEventsTest.Source(), 0, GuestNonRegisterRules.HLT);
        gate(h, 0x30, HANDLER);
        h.t.mem(HANDLER, "0f a2");
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_RFLAGS", 0x202);
        v.write("VM_ENTRY_INTR_INFO_FIELD", 0x80000030L);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(HANDLER);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.ACTIVE);
    }

    @Test
    void shutdownIgnoresInterruptsButAnNmiExits() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = inState("0f a2", src, PIN_EXT_INT | PIN_NMI_EXITING, GuestNonRegisterRules.SHUTDOWN);
        enter(h);
        src.pending = 0x40;
        h.cpu.signalEvent();
        waits(h);
        assertThat(src.acked).as("external interrupts do not wake shutdown").isEmpty();
        src.nmi = true;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000202);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.SHUTDOWN);
    }

    @Test
    void anInjectedNmiTakesTheGuestOutOfShutdown() {
        VmxHarness h = inState("90", new VmxEventsTest.Source(), 0, GuestNonRegisterRules.SHUTDOWN);
        gate(h, 2, HANDLER);
        h.t.mem(HANDLER, "0f a2");
        h.vmx.currentVmcs().write("VM_ENTRY_INTR_INFO_FIELD", 0x80000202L);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(HANDLER);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.ACTIVE);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).as("the injected NMI blocks NMIs").isEqualTo(8);
    }

    @Test
    void waitForSipiIgnoresNmisAndExitsOnSipiWithTheVector() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = inState("0f a2", src, PIN_NMI_EXITING, GuestNonRegisterRules.WAIT_FOR_SIPI);
        enter(h);
        src.nmi = true;
        h.cpu.signalEvent();
        waits(h);
        assertThat(src.acked).isEmpty();
        assertThat(h.vmx.startup(h.cpu, 0x9a)).isEqualTo(CpuExtension.SignalAction.TAKEN);
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.SIPI).isEqualTo(4);
        assertThat(e.qualification()).isEqualTo(0x9a);
        assertThat(e.instructionLength()).isZero();
        assertThat(e.instructionInfo()).isZero();
        assertThat(e.interruptionInfo()).isZero();
        assertThat(read(h, "EXIT_QUALIFICATION")).isEqualTo(0x9a);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.WAIT_FOR_SIPI);
        assertThat(read(h, "GUEST_RIP")).isEqualTo(GUEST_CODE);
    }

    @Test
    void aSipiOutsideWaitForSipiIsIgnored() {
        VmxHarness h = inState("90 90 0f a2", new VmxEventsTest.Source(), 0, GuestNonRegisterRules.ACTIVE);
        enter(h);
        assertThat(h.vmx.startup(h.cpu, 0x10)).isEqualTo(CpuExtension.SignalAction.TAKEN);
        assertThat(resume(h).reason()).isEqualTo(ExitReason.CPUID);
    }

    @Test
    void initExitsInNonRootOperationAndIsHeldInRootOperation() {
        VmxHarness h = inState("90 90 0f a2", new VmxEventsTest.Source(), 0, GuestNonRegisterRules.ACTIVE);
        assertThat(h.vmx.init(h.cpu)).as("outside non-root: VMX root operation blocks INIT")
                .isEqualTo(CpuExtension.SignalAction.HELD);
        h.t.code(VmxHarness.VMLAUNCH);
        assertThat(h.cpu.run(10, Long.MAX_VALUE)).as("the run ends after the entry: the platform offers the INIT again")
                .isEqualTo(StopReason.CYCLE_LIMIT);
        assertThat(h.vmx.inNonRoot()).isTrue();
        assertThat(h.cpu.state().rip).isEqualTo(GUEST_CODE);
        assertThat(h.cpu.run(1, Long.MAX_VALUE)).isEqualTo(StopReason.INSTRUCTION_LIMIT); // (here: one NOP first)
        assertThat(h.vmx.init(h.cpu)).isEqualTo(CpuExtension.SignalAction.TAKEN);
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.INIT_SIGNAL).isEqualTo(3);
        noInstructionInformation(e);
        assertThat(e.interruptionInfo()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_RIP")).isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.ACTIVE);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
        assertThat(h.vmx.init(h.cpu)).isEqualTo(CpuExtension.SignalAction.HELD);
        assertThat(h.exec(VmxHarness.VMXOFF)).isNull();
        assertThat(h.vmx.init(h.cpu)).as("outside VMX operation the platform resets")
                .isEqualTo(CpuExtension.SignalAction.PLATFORM);
    }

    @Test
    void initExitsFromWaitForSipiToo() {
        VmxHarness h = inState("90", new VmxEventsTest.Source(), 0, GuestNonRegisterRules.WAIT_FOR_SIPI);
        enter(h);
        waits(h);
        h.vmx.init(h.cpu);
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.INIT_SIGNAL);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.WAIT_FOR_SIPI);
    }

    @Test
    void tripleFaultExitsInsteadOfShuttingDown() {
        // ud2 with an empty guest IDT and a #DF gate that is empty too: #UD -> #GP -> #DF -> triple fault
        VmxHarness h = inState("0f 0b", new VmxEventsTest.Source(), 0, GuestNonRegisterRules.ACTIVE);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.TRIPLE_FAULT).isEqualTo(2);
        noInstructionInformation(e);
        assertThat(e.interruptionInfo()).isZero();
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).as("the exit replaces the shutdown (29.1)")
                .isEqualTo(GuestNonRegisterRules.ACTIVE);
        assertThat(h.cpu.shutdownReason()).isNull();
    }

    @Test
    void thePreemptionTimerExpiresInHltAtItsDeadline() {
        VmxHarness h = inState("f4 90", new VmxEventsTest.Source(), PIN_TIMER, GuestNonRegisterRules.ACTIVE);
        Vmcs v = h.vmx.currentVmcs();
        v.write("VMX_PREEMPTION_TIMER_VALUE", 1000);
        v.write("VM_EXIT_CONTROLS", v.read("VM_EXIT_CONTROLS") | EXIT_SAVE_TIMER);
        int rate = h.vmx.capabilities().misc().preemptionTimerRate();
        enter(h);
        long tsc0 = h.cpu.tsc(); // the timer was armed at this TSC (VMLAUNCH's own cycles aside: none after it)
        waits(h);
        long deadline = h.cpu.guestMode().wakeDeadline(h.cpu);
        assertThat(deadline).isGreaterThan(h.cpu.cycles());
        assertThat(h.cpu.tsc() - tsc0).as("halted well before the deadline").isLessThan(1000L << rate);
        h.cpu.addCycles(deadline - 1 - h.cpu.cycles()); // what a machine's time skip does, one cycle short
        waits(h);
        h.cpu.addCycles(1);
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.PREEMPTION_TIMER).isEqualTo(52);
        noInstructionInformation(e);
        assertThat(e.interruptionInfo()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.HLT);
        assertThat(read(h, "VMX_PREEMPTION_TIMER_VALUE")).isZero();
        // 1000 decrements, one each time TSC bit 5 changes, counted from the TSC at VM entry
        assertThat(h.cpu.tsc() - tsc0).isBetween((1000L << rate) - (1L << rate) + 1, 1000L << rate);
    }

    @Test
    void theTimerWakesShutdownAndAHaltedGuestWithoutAnInterruptSourceIsNotHaltedForGood() {
        VmxHarness h = inState("90", new VmxEventsTest.Source(), PIN_TIMER, GuestNonRegisterRules.SHUTDOWN);
        h.cpu.setInterruptSource(null); // nothing but the timer can wake this guest
        h.vmx.currentVmcs().write("VMX_PREEMPTION_TIMER_VALUE", 50);
        enter(h);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.WAITING_FOR_INTERRUPT);
        h.cpu.addCycles(h.cpu.guestMode().wakeDeadline(h.cpu) - h.cpu.cycles());
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.PREEMPTION_TIMER);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.SHUTDOWN);
    }

    @Test
    void theTimerDoesNotWakeWaitForSipi() {
        VmxHarness h = inState("90", new VmxEventsTest.Source(), PIN_TIMER, GuestNonRegisterRules.WAIT_FOR_SIPI);
        h.vmx.currentVmcs().write("VMX_PREEMPTION_TIMER_VALUE", 0);
        enter(h);
        waits(h);
        assertThat(h.cpu.guestMode().wakeDeadline(h.cpu)).isEqualTo(Long.MAX_VALUE);
    }
}
