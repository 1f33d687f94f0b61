package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Virtual NMIs, NMI-window exiting (exit 8), NMI blocking around NMI exits and IRET, "NMI unblocking due to IRET"
 * (bit 12), and the monitor trap flag (exit 37) with its rules after faults, event delivery and injection and its
 * priority over the preemption timer (SDM Vol. 3C 26.2, 26.3, 26.5.2, 28.6, 28.7.1, 29.2.2; Vol. 3A Table 7-2).
 * Each guest triggers the exit itself; the tests check the exit information, the saved guest state and that the host
 * state is loaded.
 */
class VmxNmiAndMtfTest {
    static final long HANDLER = 0x201000, GUEST_IDT = 0x2800;
    static final long PIN_NMI_EXITING = 1L << 3, PIN_VIRTUAL_NMIS = 1L << 5, PIN_TIMER = 1L << 6;
    static final long PROC_NMI_WINDOW = 1L << 22, PROC_MTF = 1L << 27;
    /** iretq to the next instruction with a correct 64-bit frame (SS 10H, the current RSP, RFLAGS, CS 18H). */
    static final String IRET_TO_NEXT = "48 89 e0 6a 10 50 9c 6a 18 48 8d 0d 03 00 00 00 51 48 cf";
    /** The same frame with CS = 0: IRETQ takes #GP(0). */
    static final String IRET_NULL_CS = "48 89 e0 6a 10 50 9c 6a 00 48 8d 0d 03 00 00 00 51 48 cf";

    static VmxHarness guest(String code, VmxEventsTest.Source src, long pinSet, long procSet) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        h.cpu.setInterruptSource(src);
        Vmcs v = h.vmx.currentVmcs();
        v.write("PIN_BASED_VM_EXEC_CONTROL", v.read("PIN_BASED_VM_EXEC_CONTROL") | pinSet);
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") | procSet);
        h.t.mem(HOST_RIP, "0f 01 c3"); // the host resumes the guest
        return h;
    }

    /** A 64-bit interrupt gate (CS 18H, DPL 0) for {@code vector} in the guest IDT at 2800H. */
    static void gate(VmxHarness h, int vector, long handler) {
        long lo = (handler & 0xffff) | 0x18L << 16 | 0x8eL << 40 | (handler >>> 16 & 0xffff) << 48;
        h.t.bus.write(GUEST_IDT + 16L * vector, 8, lo);
        h.t.bus.write(GUEST_IDT + 16L * vector + 8, 8, handler >>> 32);
    }

    /** VMLAUNCH (one instruction and the boundary after it); asserts the entry succeeded. */
    static void enter(VmxHarness h) {
        h.t.code(VMLAUNCH);
        h.cpu.run(1, Long.MAX_VALUE);
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
    }

    /** VMLAUNCH, then run until the VM exit (which may come at the guest's first boundary, inside the VMLAUNCH run). */
    static VmExit launch(VmxHarness h) {
        enter(h);
        return h.vmx.inNonRoot() ? resume(h) : hostLoaded(h);
    }

    /** The host's VMRESUME at HOST_RIP, then run until the next exit. */
    static VmExit resume(VmxHarness h) {
        assertThat(h.cpu.run(1000, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        return hostLoaded(h);
    }

    static VmExit hostLoaded(VmxHarness h) {
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
        assertThat(h.cpu.state().gpr[Reg.RSP]).isEqualTo(TestCpu.STACK);
        assertThat(h.cpu.cpl()).isZero();
        return (VmExit) h.cpu.lastVmExit();
    }

    static long read(VmxHarness h, String field) {
        return h.vmx.currentVmcs().read(field);
    }

    static void noInstructionInformation(VmExit e) {
        assertThat(e.qualification()).isZero();
        assertThat(e.instructionLength()).isZero();
        assertThat(e.instructionInfo()).isZero();
    }

    // ------------------------------------------------------------------ virtual NMIs and the NMI window

    @Test
    void injectedNmiSetsVirtualNmiBlockingAndTheWindowOpensAfterTheHandlersIret() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = guest("0f a2", src, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, PROC_NMI_WINDOW);
        gate(h, 2, HANDLER);
        h.t.mem(HANDLER, "b8 01 00 00 00 48 cf"); // mov eax, 1 ; iretq
        h.vmx.currentVmcs().write("VM_ENTRY_INTR_INFO_FIELD", 0x80000202L);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.NMI_WINDOW).isEqualTo(8);
        noInstructionInformation(e);
        assertThat(e.interruptionInfo()).isZero();
        assertThat(e.guestRip()).as("after the handler's IRET, before CPUID").isEqualTo(GUEST_CODE);
        assertThat(h.cpu.state().gpr[Reg.RAX]).as("the handler ran").isEqualTo(1);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).as("IRET removed virtual-NMI blocking").isZero();
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isZero();
        assertThat(read(h, "GUEST_RSP")).isEqualTo(0x38000);
        assertThat(read(h, "VM_ENTRY_INTR_INFO_FIELD") >>> 31).as("valid bit cleared (29.2.1)").isZero();
    }

    @Test
    void nmiWindowWaitsForTheStiShadowAndVirtualNmiBlocking() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = guest("90 90 0f a2", src, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, PROC_NMI_WINDOW);
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_RFLAGS", 0x202);
        v.write("GUEST_INTERRUPTIBILITY_INFO", 1); // blocking by STI
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.NMI_WINDOW);
        assertThat(e.guestRip()).as("one instruction under the STI shadow").isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
        // virtual-NMI blocking at entry: no window at all; the guest runs on to CPUID
        VmxHarness b = guest("90 90 0f a2", new VmxEventsTest.Source(), PIN_NMI_EXITING | PIN_VIRTUAL_NMIS,
                PROC_NMI_WINDOW);
        b.vmx.currentVmcs().write("GUEST_INTERRUPTIBILITY_INFO", 8);
        VmExit c = launch(b);
        assertThat(c.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(read(b, "GUEST_INTERRUPTIBILITY_INFO")).as("virtual-NMI blocking saved").isEqualTo(8);
    }

    @Test
    void withVirtualNmisARealNmiExitsDespiteVirtualNmiBlockingAndBlocksHostNmis() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = guest("90 90 0f a2", src, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
        h.vmx.currentVmcs().write("GUEST_INTERRUPTIBILITY_INFO", 8);
        enter(h);
        src.nmi = true;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000202);
        assertThat(e.qualification()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(src.acked).containsExactly(2);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).as("the virtual-NMI blocking, not set by the NMI")
                .isEqualTo(8);
        assertThat(h.cpu.state().nmiBlocked).as("29.1: NMIs blocked after the NMI exit completes").isTrue();
    }

    @Test
    void anOtherExitWithVirtualNmisLeavesHostNmisUnblocked() {
        VmxHarness h = guest("0f a2", new VmxEventsTest.Source(), PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
        h.vmx.currentVmcs().write("GUEST_INTERRUPTIBILITY_INFO", 8);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isEqualTo(8);
        assertThat(h.cpu.state().nmiBlocked).as("virtual-NMI blocking does not block NMIs in root operation")
                .isFalse();
    }

    @Test
    void withNmiExitingButNoVirtualNmisIretKeepsNmisBlocked() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = guest(IRET_TO_NEXT + " 0f a2", src, PIN_NMI_EXITING, 0);
        h.vmx.currentVmcs().write("GUEST_INTERRUPTIBILITY_INFO", 8);
        enter(h);
        src.nmi = true;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).as("the NMI stays blocked through IRET (26.3)").isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 19);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isEqualTo(8);
        assertThat(src.nmi).isTrue();
        assertThat(h.cpu.state().nmiBlocked).as("the guest's NMI blocking carries over into root operation").isTrue();
    }

    @Test
    void withoutNmiExitingIretUnblocksAndTheGuestTakesTheNmi() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = guest(IRET_TO_NEXT + " 90", src, 0, 0);
        h.vmx.currentVmcs().write("GUEST_INTERRUPTIBILITY_INFO", 8);
        gate(h, 2, HANDLER);
        h.t.mem(HANDLER, "0f a2");
        enter(h);
        src.nmi = true;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).as("in the guest's NMI handler").isEqualTo(HANDLER);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).as("the delivered NMI blocks NMIs").isEqualTo(8);
        assertThat(src.acked).containsExactly(2);
    }

    /** 29.2.2: a #GP on the IRET that removed virtual-NMI blocking sets bit 12; without prior blocking it does not. */
    @ParameterizedTest(name = "virtual-NMI blocking before IRET: {0}")
    @ValueSource(booleans = {true, false})
    void faultingIretReportsNmiUnblocking(boolean blocked) {
        VmxHarness h = guest(IRET_NULL_CS, new VmxEventsTest.Source(), PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_INTERRUPTIBILITY_INFO", blocked ? 8 : 0);
        v.write("EXCEPTION_BITMAP", 1L << 13);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000b0d | (blocked ? 1 << 12 : 0));
        assertThat(e.interruptionError()).isZero();
        assertThat(e.guestRip()).as("RIP at the IRET").isEqualTo(GUEST_CODE + 17);
        assertThat(read(h, "VM_EXIT_INTR_INFO")).isEqualTo(0x80000b0dL | (blocked ? 1L << 12 : 0));
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).as("blocking cleared before the exit").isZero();
        assertThat(read(h, "IDT_VECTORING_INFO_FIELD")).isZero();
    }

    /** Table 29-7: an EPT violation on the IRET that removed virtual-NMI blocking sets qualification bit 12. */
    @ParameterizedTest(name = "virtual-NMI blocking before IRET: {0}")
    @ValueSource(booleans = {true, false})
    void eptViolationDuringIretReportsNmiUnblocking(boolean blocked) {
        // mov rsp, 701000H ; iretq — the stack page is not present in EPT: IRET's first pop is an EPT violation
        VmxHarness h = EptExitTest.eptGuest("48 c7 c4 00 10 70 00 48 cf");
        EptExitTest.split(h.t, 0x700000, 0x511000);
        h.t.bus.write(0x511000 + 0x101 * 8, 8, 0); // the 4-KiB page 701000H of the 2-MiB region 600000H
        Vmcs v = h.vmx.currentVmcs();
        v.write("PIN_BASED_VM_EXEC_CONTROL", v.read("PIN_BASED_VM_EXEC_CONTROL") | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
        v.write("GUEST_INTERRUPTIBILITY_INFO", blocked ? 8 : 0);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EPT_VIOLATION);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 7);
        assertThat(e.qualification() >>> 12 & 1).isEqualTo(blocked ? 1 : 0);
        assertThat(e.qualification() & 1).as("a read").isEqualTo(1);
        assertThat(read(h, "EXIT_QUALIFICATION")).isEqualTo(e.qualification());
        assertThat(read(h, "GUEST_PHYSICAL_ADDRESS")).isEqualTo(0x701000);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
    }

    // ------------------------------------------------------------------ monitor trap flag

    @Test
    void mtfExitsAfterEachInstructionAndAnInstructionExitWins() {
        VmxHarness h = guest("90 90 0f a2", new VmxEventsTest.Source(), 0, PROC_MTF);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.MONITOR_TRAP_FLAG).isEqualTo(37);
        noInstructionInformation(e);
        assertThat(e.interruptionInfo()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_RIP")).isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_INTERRUPTIBILITY_INFO")).isZero();
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isZero();
        assertThat(resume(h).guestRip()).isEqualTo(GUEST_CODE + 2);
        VmExit c = resume(h);
        assertThat(c.reason()).as("CPUID exits itself; no MTF exit on top").isEqualTo(ExitReason.CPUID);
        assertThat(c.guestRip()).isEqualTo(GUEST_CODE + 2);
    }

    @Test
    void mtfAfterAFaultingInstructionExitsAfterTheFaultIsDelivered() {
        VmxHarness h = guest("0f 0b", new VmxEventsTest.Source(), 0, PROC_MTF);
        gate(h, 6, HANDLER);
        h.t.mem(HANDLER, "90");
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.MONITOR_TRAP_FLAG);
        assertThat(e.guestRip()).as("at the #UD handler, before its first instruction").isEqualTo(HANDLER);
        assertThat(read(h, "GUEST_RSP")).as("the #UD frame is pushed").isEqualTo(0x38000 - 40);
        assertThat(h.t.bus.read(0x38000 - 40, 8)).as("the frame's RIP is the UD2").isEqualTo(GUEST_CODE);
    }

    @Test
    void mtfAfterInjectionExitsBeforeTheHandlersFirstInstruction() {
        VmxHarness h = guest("90", new VmxEventsTest.Source(), 0, PROC_MTF);
        gate(h, 0x30, HANDLER);
        h.t.mem(HANDLER, "90");
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_RFLAGS", 0x202);
        v.write("VM_ENTRY_INTR_INFO_FIELD", 0x80000030L);
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.MONITOR_TRAP_FLAG);
        assertThat(e.guestRip()).isEqualTo(HANDLER);
        assertThat(read(h, "GUEST_RFLAGS") & 0x200).as("the interrupt gate cleared IF").isZero();
    }

    @Test
    void mtfAfterAnInterruptDeliveredAtABoundary() {
        VmxEventsTest.Source src = new VmxEventsTest.Source();
        VmxHarness h = guest("90 90", src, 0, PROC_MTF);
        gate(h, 0x41, HANDLER);
        h.t.mem(HANDLER, "90");
        h.vmx.currentVmcs().write("GUEST_RFLAGS", 0x202);
        enter(h);
        src.pending = 0x41;
        h.cpu.signalEvent();
        VmExit e = resume(h);
        assertThat(e.reason()).isEqualTo(ExitReason.MONITOR_TRAP_FLAG);
        assertThat(e.guestRip()).as("the interrupt was delivered before the first instruction").isEqualTo(HANDLER);
        assertThat(src.acked).containsExactly(0x41);
    }

    @Test
    void pendingMtfInjectionExitsBeforeTheFirstInstructionAndOutranksThePreemptionTimer() {
        VmxHarness h = guest("90 90", new VmxEventsTest.Source(), PIN_TIMER, 0); // MTF control 0
        Vmcs v = h.vmx.currentVmcs();
        v.write("VMX_PREEMPTION_TIMER_VALUE", 0);
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") | PROC_MTF); // type 7 needs MTF
        v.write("VM_ENTRY_INTR_INFO_FIELD", 0x80000700L); // other event, vector 0: pending MTF VM exit
        VmExit e = launch(h);
        assertThat(e.reason()).as("MTF over the expired timer (26.5.2)").isEqualTo(ExitReason.MONITOR_TRAP_FLAG);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") & ~PROC_MTF);
        VmExit t = resume(h);
        assertThat(t.reason()).isEqualTo(ExitReason.PREEMPTION_TIMER);
        assertThat(t.guestRip()).isEqualTo(GUEST_CODE);
    }

    @Test
    void mtfAfterHltSavesTheHltActivityState() {
        VmxHarness h = guest("f4 90", new VmxEventsTest.Source(), 0, PROC_MTF);
        Vmcs v = h.vmx.currentVmcs();
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") & ~(1L << 7)); // no HLT exiting
        VmExit e = launch(h);
        assertThat(e.reason()).isEqualTo(ExitReason.MONITOR_TRAP_FLAG);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 1);
        assertThat(read(h, "GUEST_ACTIVITY_STATE")).isEqualTo(GuestNonRegisterRules.HLT);
        assertThat(h.cpu.state().halted).as("the host is not halted").isFalse();
    }
}
