package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The VMM owns the external-interrupt path ({@code InterceptPolicy.interrupts}, issue 7 item 1): interrupts of the
 * machine's local APICs / IOAPIC / PIC exit, the VMM acknowledges them (VMX: at the exit) and injects them, waiting
 * for the guest's interrupt window when it cannot take them. The guests that use interrupts (APIC timer and self
 * IPIs, x2APIC IPIs, SMP IPIs) must give the bare output on both vendors.
 */
class InterruptPathTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"apic", "x2apic", "smp", "hello"})
    void injectedInterruptsGiveTheBareOutput(String guest) throws Exception {
        for (Virt virt : new Virt[] {Virt.VMX, Virt.SVM}) {
            String profile = virt.profile();
            GuestRun bare = GuestRun.run(guest, profile, Virt.NONE);
            Map<ExitKind, Integer> kinds = new EnumMap<>(ExitKind.class);
            GuestRun v = GuestRun.run(guest, profile, virt, InterceptPolicy.defaults().withInterrupts(true), (vcpu, x) -> {
                kinds.merge(x.kind(), 1, Integer::sum);
                return null;
            });
            String what = guest + " " + virt;
            assertThat(v.vmm.failure()).as(what).isNull();
            GuestsUnderVmmTest.assertSameEnd(what, bare.outcome, v.outcome);
            GuestsUnderVmmTest.assertSameOutput(what, bare.console, v.console);
            if (!guest.equals("hello")) {
                assertThat(kinds.getOrDefault(ExitKind.EXTERNAL_INTERRUPT, 0)).as(what + " " + kinds).isPositive();
            } else {
                assertThat(kinds).as(what).doesNotContainKey(ExitKind.EXTERNAL_INTERRUPT);
            }
            if (guest.equals("apic") && virt == Virt.VMX) {
                // self IPIs sent with IF = 0 exit at once on VMX and wait for the window (SDM Vol. 3C 25.6.2)
                assertThat(kinds.getOrDefault(ExitKind.INTERRUPT_WINDOW, 0)).as(what + " " + kinds).isPositive();
            }
        }
    }
}
