package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.RunOutcome;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 7 items 3 and 6: every guest in guests/ runs bare, under VMX and under SVM with the same output and the same
 * end (exit status). One allowance, written down in vmm/DEVIATIONS.md: lines that print a measured TSC interval may
 * differ in that number, because EPT walks cost modelled cycles (a nested walk is not free); the text around it and
 * every PASS/FAIL/DONE line must be equal.
 *
 * <p>The x86 hypervisor guests on AMD (svm-hv, svm-exit-loop, svm-npt-walk) run their hypervisor as L1 under the
 * VMM's nested SVM ({@link NestedSvm}) and give the bare output too; their L2 exits show in the trace with
 * {@code "level": 2}. The exception, also in vmm/DEVIATIONS.md: the Intel ones (vmx-*) need nested VMX, which the Java
 * VMM does not provide: its CPUID policy hides VMX, so under the VMM they must take their own "not supported" path
 * (debug-exit value 2, status 5) exactly as they do bare on the other vendor's profile.
 */
class GuestsUnderVmmTest {
    static Stream<String> guests() {
        return Guests.names().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("guests")
    void sameOutputBareUnderVmxAndUnderSvm(String guest) throws Exception {
        for (Virt virt : new Virt[] {Virt.VMX, Virt.SVM}) {
            String profile = virt == Virt.VMX ? "intel-core" : "amd-zen";
            GuestRun bare = GuestRun.run(guest, profile, Virt.NONE);
            GuestRun v = GuestRun.run(guest, profile, virt);
            assertThat(v.vmm.failure()).as(guest + " " + virt).isNull();
            if (needsNestedVirtualization(guest, virt)) {
                assertThat(v.console).as(guest + " " + virt).contains(virt == Virt.VMX ? "VMX not supported"
                        : "SVM not supported");
                assertThat(v.outcome).as(guest + " " + virt).isInstanceOf(RunOutcome.GuestExit.class);
                // debug-exit value 2 = "not supported" (guests/DESIGN.md), process status (2 << 1) | 1 = 5
                assertThat(((RunOutcome.GuestExit) v.outcome).value()).as(guest + " " + virt).isEqualTo(2);
                continue;
            }
            assertThat(v.vmm.exits()).as(guest + " " + virt + " exits").isPositive();
            if (virt == Virt.SVM && guest.startsWith("svm-")) {
                String trace = new String(v.trace, java.nio.charset.StandardCharsets.UTF_8);
                assertThat(trace).as(guest + ": L2 exits in the trace").contains("\"level\":2");
            }
            assertSameEnd(guest + " " + virt, bare.outcome, v.outcome);
            assertSameOutput(guest + " " + virt, bare.console, v.console);
        }
    }

    /** An x86 hypervisor guest run on Intel: it would need VMX inside the VMM's guest (nested VMX is not built). */
    static boolean needsNestedVirtualization(String guest, Virt virt) {
        return virt == Virt.VMX && guest.startsWith("vmx-");
    }

    static void assertSameEnd(String what, RunOutcome bare, RunOutcome virt) {
        assertThat(virt.kind()).as(what + ": " + virt.describe()).isEqualTo(bare.kind());
        if (bare instanceof RunOutcome.GuestExit) {
            assertThat(((RunOutcome.GuestExit) virt).value()).as(what).isEqualTo(((RunOutcome.GuestExit) bare).value());
        }
    }

    static void assertSameOutput(String what, String bare, String virt) {
        String[] a = bare.split("\n", -1), b = virt.split("\n", -1);
        assertThat(b.length).as(what + " line count").isEqualTo(a.length);
        for (int i = 0; i < a.length; i++) {
            if (!a[i].equals(b[i])) {
                assertThat(a[i].toLowerCase()).as(what + " line " + i + " differs: " + a[i] + " / " + b[i]).contains("tsc");
                assertThat(b[i].replaceAll("0x[0-9a-f]+", "0x*")).as(what + " line " + i)
                        .isEqualTo(a[i].replaceAll("0x[0-9a-f]+", "0x*"));
            }
        }
    }
}
