package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.StopReason;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Pending debug exceptions loaded by VM entry (SDM Vol. 3C 28.7.3 "Delivery of Pending Debug Exceptions after VM
 * Entry"): a #DB trap before the guest's first instruction, through the exception bitmap (exit 0, the pending bits
 * as qualification, 29.2.1) or the guest IDT (DR6 updated); none after a vectoring entry; saved by a VM exit that
 * comes first (29.3.4).
 */
class PendingDebugTest {
    private static final long IDT = 0x2800, HANDLER = GUEST_CODE + 0x100;

    private static VmxHarness guest(String code, Consumer<Vmcs> setup) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        setup.accept(h.vmx.currentVmcs());
        // the guest IDT's vector 1: a 64-bit interrupt gate to HANDLER (cpuid)
        h.t.bus.write(IDT + 16, 8, (HANDLER & 0xffff) | 0x18L << 16 | 0x8e00L << 32 | (HANDLER >>> 16 & 0xffff) << 48);
        h.t.bus.write(IDT + 24, 8, 0);
        h.t.mem(HANDLER, "0f a2");
        return h;
    }

    /** VMLAUNCH and the guest in one run: the pending #DB is taken at the boundary right after the VMLAUNCH. */
    private static VmExit launchAndRun(VmxHarness h) {
        h.t.code(VMLAUNCH);
        StopReason r = h.cpu.run(100, Long.MAX_VALUE);
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(r).isEqualTo(StopReason.VM_EXIT);
        return (VmExit) h.cpu.lastVmExit();
    }

    @Test
    void aPendingSingleStepIsDeliveredThroughTheGuestIdtBeforeTheFirstInstruction() {
        VmxHarness h = guest("90 0f a2", v -> v.write("GUEST_PENDING_DBG_EXCEPTIONS", 1L << 14)); // BS
        h.cpu.state().dr[6] = 0xffff0ff0L;
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).as("the #DB handler's CPUID").isEqualTo(HANDLER);
        assertThat(h.t.bus.read(0x38000 - 40, 8)).as("pushed RIP: the first instruction, not executed")
                .isEqualTo(GUEST_CODE);
        assertThat(h.cpu.state().dr[6]).as("DR6.BS set").isEqualTo(0xffff4ff0L);
        assertThat(h.vmx.currentVmcs().read("GUEST_PENDING_DBG_EXCEPTIONS")).as("delivered: nothing pending")
                .isZero();
    }

    @Test
    void theExceptionBitmapTurnsThePendingDebugExceptionIntoAnExit() {
        VmxHarness h = guest("90 0f a2", v -> {
            v.write("GUEST_PENDING_DBG_EXCEPTIONS", 1L << 14 | 1L << 12 | 2); // BS, enabled breakpoint, B1
            v.write("EXCEPTION_BITMAP", 1L << 1);
        });
        h.cpu.state().dr[6] = 0xffff0ff0L;
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).as("valid, hardware exception, #DB").isEqualTo(0x80000301);
        assertThat(e.qualification()).as("B1 and BS in DR6 format").isEqualTo(1L << 14 | 2);
        assertThat(e.instructionLength()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(h.cpu.state().dr[6]).as("a #DB that exits leaves DR6 alone").isEqualTo(0xffff0ff0L);
        assertThat(h.vmx.currentVmcs().read("GUEST_RIP")).isEqualTo(GUEST_CODE);
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
    }

    @Test
    void aPendingBreakpointWakesAGuestEnteredInHlt() {
        VmxHarness h = guest("90 0f a2", v -> {
            v.write("GUEST_PENDING_DBG_EXCEPTIONS", 1L << 12 | 1);               // enabled breakpoint, B0
            v.write("GUEST_ACTIVITY_STATE", GuestNonRegisterRules.HLT);
            v.write("EXCEPTION_BITMAP", 1L << 1);
        });
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.qualification()).isEqualTo(1);
        assertThat(h.vmx.currentVmcs().read("GUEST_ACTIVITY_STATE")).as("the #DB woke the guest")
                .isEqualTo(GuestNonRegisterRules.ACTIVE);
    }

    @Test
    void withoutBsOrEnabledBreakpointNothingIsPending() {
        VmxHarness h = guest("90 0f a2", v -> {
            v.write("GUEST_PENDING_DBG_EXCEPTIONS", 1);                          // B0 alone: not valid (28.7.3)
            v.write("EXCEPTION_BITMAP", 1L << 1);
        });
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 1);
    }

    @Test
    void aVectoringEntryDiscardsThePendingDebugExceptions() {
        // injecting an external interrupt (vector 1 to reuse the gate; type 0): no pending debug exceptions after it
        VmxHarness h = guest("90 0f a2", v -> {
            v.write("GUEST_PENDING_DBG_EXCEPTIONS", 1L << 14);
            v.write("EXCEPTION_BITMAP", 1L << 1);
            v.write("VM_ENTRY_INTR_INFO_FIELD", 1L << 31 | 0x20);
            v.write("GUEST_RFLAGS", 0x202);                                  // GUEST-RFLAGS-IF-INJ
        });
        h.t.bus.write(IDT + 0x20 * 16, 8, (HANDLER & 0xffff) | 0x18L << 16 | 0x8e00L << 32
                | (HANDLER >>> 16 & 0xffff) << 48);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).as("the injected interrupt's handler ran; no #DB exit").isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(HANDLER);
    }

    @Test
    void anExitOfHigherPrioritySavesThePendingDebugExceptions() {
        // INIT (26.2, above debug traps) arrives before the guest's first boundary: exit 3, the #DB still pending
        VmxHarness h = guest("90 0f a2", v -> {
            v.write("GUEST_PENDING_DBG_EXCEPTIONS", 1L << 14);
            v.write("EXCEPTION_BITMAP", 1L << 1);
        });
        // held in root operation, the INIT ends the run right after the entry and is offered again (VmxEvents.entered)
        assertThat(h.vmx.init(h.cpu)).isEqualTo(CpuExtension.SignalAction.HELD);
        h.t.code(VMLAUNCH);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.CYCLE_LIMIT);
        assertThat(h.vmx.inNonRoot()).isTrue();
        assertThat(h.vmx.init(h.cpu)).isEqualTo(CpuExtension.SignalAction.TAKEN);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).isEqualTo(ExitReason.INIT_SIGNAL);
        assertThat(h.vmx.currentVmcs().read("GUEST_PENDING_DBG_EXCEPTIONS")).isEqualTo(1L << 14);
        // VMRESUME with the saved field: the #DB is delivered (here: exits) before the guest's first instruction
        h.t.mem(HOST_RIP, "0f 01 c3");
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit db = (VmExit) h.cpu.lastVmExit();
        assertThat(db.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(db.qualification()).isEqualTo(1L << 14);
        assertThat(db.guestRip()).isEqualTo(GUEST_CODE);
    }
}
