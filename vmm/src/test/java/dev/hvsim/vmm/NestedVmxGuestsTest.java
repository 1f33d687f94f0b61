package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nested VMX (issue 7 items 3 and 6): the x86 hypervisor guests run their hypervisor under the Java VMM with nested
 * virtualization and print exactly what they print bare, ending with the same status.
 */
class NestedVmxGuestsTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vmx-exit-loop", "vmx-hv", "vmx-ept-walk"})
    void sameOutputAsBare(String guest) throws Exception {
        GuestRun bare = GuestRun.run(guest, "intel-core", Virt.NONE);
        GuestRun n = GuestRun.nested(guest);
        System.out.println("BARE:\n" + bare.console + "\nNESTED:\n" + n.console + "\n" + n.vmm.failure() + " " + n.outcome.describe());
        assertThat(n.vmm.failure()).as(guest).isNull();
        GuestsUnderVmmTest.assertSameEnd(guest, bare.outcome, n.outcome);
        GuestsUnderVmmTest.assertSameOutput(guest, bare.console, n.console);
    }
}
