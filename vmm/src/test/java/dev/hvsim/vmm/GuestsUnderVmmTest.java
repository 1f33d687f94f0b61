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
 * <p>The x86 hypervisor guests run nested: under VMX as {@code hvsim run --virt vmx} runs them, with nested VMX
 * ({@link Vmm#enableNestedVirtualization()}: vmx-hv, vmx-exit-loop, vmx-ept-walk), under SVM with the VMM's nested SVM
 * ({@link NestedSvm}: svm-hv, svm-exit-loop, svm-npt-walk); each runs its hypervisor as L1 and its guest as L2, gives
 * the bare output, and its L2 exits show in the trace with {@code "level": 2}.
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
            GuestRun v = virt == Virt.VMX ? GuestRun.nested(guest) : GuestRun.run(guest, profile, virt);
            assertThat(v.vmm.failure()).as(guest + " " + virt).isNull();
            assertThat(v.vmm.exits()).as(guest + " " + virt + " exits").isPositive();
            if (guest.startsWith(virt == Virt.VMX ? "vmx-" : "svm-")) {
                // searched in the bytes: the exit-loop traces are hundreds of MB, too big to copy into a String
                assertThat(contains(v.trace, "\"level\":2")).as(guest + ": L2 exits in the trace").isTrue();
            }
            assertSameEnd(guest + " " + virt, bare.outcome, v.outcome);
            assertSameOutput(guest + " " + virt, bare.console, v.console);
        }
    }

    /**
     * The smp guest INITs AP 1 while it runs and starts it again with a STARTUP IPI. Under VMX the INIT is a VM exit
     * (SDM Vol. 3C 26.2, reason 3) which the VMM emulates as the platform's INIT of a bare CPU: the AP waits for SIPI,
     * restarts in real mode and is launched again. The APs' first INIT finds them bare (before their first entry), so
     * exactly one INIT exit happens. Under SVM the INIT is not intercepted and is the platform's.
     */
    @org.junit.jupiter.api.Test
    void initAndStartupRestartARunningVcpu() throws Exception {
        GuestRun vmx = GuestRun.nested("smp");
        assertThat(vmx.vmm.failure()).isNull();
        assertThat(vmx.vmm.stats().count(ExitKind.INIT)).isEqualTo(1);
        assertThat(contains(vmx.trace, "\"kind\":\"init\"")).isTrue();
        GuestRun svm = GuestRun.run("smp", "amd-zen", Virt.SVM);
        for (GuestRun r : new GuestRun[] {vmx, svm}) {
            assertThat(r.console).contains("PASS INIT and STARTUP restart a running AP",
                    "PASS the restarted AP takes interrupts and sends IPIs",
                    "PASS AP 1 runs the BSP's rewrite of it (cross-modifying code)").doesNotContain("FAIL");
        }
    }

    static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
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
