package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guests under the trap-all-MSRs policy ({@code InterceptPolicy.msr = true}, issue 7 item 1): every RDMSR/WRMSR exits
 * and is emulated by the VMM, and the guests that use MSRs (EFER for long mode and NX, IA32_APIC_BASE, the x2APIC
 * registers, TSC deadline, PAT) give the bare output, on VMX and on SVM.
 */
class TrapAllMsrsTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"modes", "paging", "pagefault", "apic", "x2apic", "exceptions", "compare-demo"})
    void sameOutputAsBareWithEveryMsrAccessEmulated(String guest) throws Exception {
        for (Virt virt : new Virt[] {Virt.VMX, Virt.SVM}) {
            String profile = virt.profile();
            GuestRun bare = GuestRun.run(guest, profile, Virt.NONE);
            List<ExitKind> msrExits = new ArrayList<>();
            GuestRun v = GuestRun.run(guest, profile, virt, InterceptPolicy.defaults().withMsr(true), (vcpu, x) -> {
                if (x.kind() == ExitKind.MSR_READ || x.kind() == ExitKind.MSR_WRITE) {
                    msrExits.add(x.kind());
                }
                return null;
            });
            String what = guest + " " + virt;
            assertThat(v.vmm.failure()).as(what).isNull();
            assertThat(v.vmm.policy().msr()).isTrue();
            assertThat(msrExits).as(what + ": MSR exits").isNotEmpty();
            GuestsUnderVmmTest.assertSameEnd(what, bare.outcome, v.outcome);
            GuestsUnderVmmTest.assertSameOutput(what, bare.console, v.console);
        }
    }
}
