package dev.hvsim.conformance.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hypervisors written in x86 (guests vmx-hv, svm-hv, vmx-exit-loop, svm-exit-loop, vmx-ept-walk, svm-npt-walk;
 * guests/DESIGN.md) running on
 * hvsim in root mode: on their vendor's profile each enables VMX or SVM itself, runs its guest and handles every
 * exit in x86 code (the model loads host state and the code continues at HOST_RIP or after VMRUN); the test checks
 * the exact console output, the status on the debug-exit port and that the machine counted exactly the exits the
 * hypervisor says it handled. On the other vendor's profile CPUID reports no VMX / no SVM and each hypervisor
 * says so and ends with its own status (v = 2, exit status 5) instead of executing an instruction that would #UD.
 */
class HypervisorGuestsTest {

    /** The guest's line, sent through OUT to COM1 one byte at a time; each byte is an I/O exit. */
    private static String guestLine(String vendor) {
        return "guest: hello from the 64-bit guest, hypervisor signature \"hvsim-" + vendor + "-hv\"\n";
    }

    private static final String VMX_HV = "vmx-hv: an x86 hypervisor in VMX root operation\n"
            + "vmx-hv: VMX supported, IA32_FEATURE_CONTROL 0x5, VMCS revision 0x68760001\n"
            // intel-core's TRUE capability MSRs: pin default1 16H; primary default1 (TRUE) 04006172H + HLT exiting
            // (bit 7), use I/O bitmaps (25), activate secondary controls (31); exit 36DFBH + host address-space
            // size (9); entry 11FBH + IA-32e mode guest (9); secondary: enable VPID (5)
            + "vmx-hv: controls pin 0x00000016 primary 0x860061f2 exit 0x00036ffb entry 0x000013fb secondary 0x00000020"
            + " (TRUE capability MSRs)\n"
            + "vmx-hv: VMCS ready, VMLAUNCH\n"
            + "vmx-hv: CPUID exit, leaf 0x00000000: passed through, vendor \"GenuineIntel\"\n"
            + "vmx-hv: CPUID exit, leaf 0x40000000: hypervisor signature\n"
            + "vmx-hv: CPUID exit, leaf 0x00000001: ECX[31] hypervisor present set, ECX[5] VMX cleared\n"
            + "vmx-hv: CPUID exit, leaf 0x00000001: ECX[31] hypervisor present set, ECX[5] VMX cleared\n"
            + guestLine("vmx")
            + "vmx-hv: I/O exit OUT port 0x0080 size 1 value 0x42\n"
            + "vmx-hv: I/O exit OUT port 0x00f4 size 4 value 0x00001234 (the guest may not end the machine: ignored)\n"
            + "vmx-hv: I/O exit IN port 0x0080 size 1, returned 0x5a\n"
            + "vmx-hv: HLT exit, guest resumed after the HLT\n"
            + "vmx-hv: VMCALL print: a string printed by hypercall\n"
            + "vmx-hv: VMCALL done, guest reports 0 failed checks\n"
            + "vmx-hv: exits seen: CPUID 4, I/O " + (guestLine("vmx").length() + 3) + ", HLT 1, VMCALL 2\n"
            + "vmx-hv: DONE status 0\n";

    private static final String SVM_HV = "svm-hv: an x86 hypervisor using AMD SVM\n"
            + "svm-hv: SVM supported, revision 1, 16 ASIDs, NRIP save yes\n"
            + "svm-hv: VMCB ready, VMRUN\n"
            + "svm-hv: CPUID exit, leaf 0x00000000: passed through, vendor \"AuthenticAMD\"\n"
            + "svm-hv: CPUID exit, leaf 0x40000000: hypervisor signature\n"
            + "svm-hv: CPUID exit, leaf 0x00000001: ECX[31] hypervisor present set\n"
            + "svm-hv: CPUID exit, leaf 0x80000001: ECX[2] SVM cleared\n"
            + guestLine("svm")
            + "svm-hv: IOIO exit OUT port 0x0080 size 1 value 0x42\n"
            + "svm-hv: IOIO exit OUT port 0x00f4 size 4 value 0x00001234 (the guest may not end the machine: ignored)\n"
            + "svm-hv: IOIO exit IN port 0x0080 size 1, returned 0x5a\n"
            + "svm-hv: HLT exit, guest resumed after the HLT\n"
            + "svm-hv: VMMCALL print: a string printed by hypercall\n"
            + "svm-hv: VMMCALL done, guest reports 0 failed checks\n"
            + "svm-hv: exits seen: CPUID 4, IOIO " + (guestLine("svm").length() + 3) + ", HLT 1, VMMCALL 2\n"
            + "svm-hv: DONE status 0\n";

    /** CPUID 4 + one I/O exit per byte of the guest's line + 3 other I/O + HLT + 2 hypercalls. */
    private static long hvExits(String vendor) {
        return 4 + guestLine(vendor).length() + 3 + 1 + 2;
    }

    /** The exit-loop guests: 200,000 CPUID exits and the final hypercall. */
    private static final long LOOP_EXITS = 200_000 + 1;

    static Stream<Arguments> onOwnVendor() {
        return Stream.of(
                Arguments.of("vmx-hv", "intel-core", VMX_HV, hvExits("vmx")),
                Arguments.of("svm-hv", "amd-zen", SVM_HV, hvExits("svm")),
                Arguments.of("vmx-exit-loop", "intel-core", "vmx-exit-loop: CPUID exits handled: 200000\n", LOOP_EXITS),
                Arguments.of("svm-exit-loop", "amd-zen", "svm-exit-loop: CPUID exits handled: 200000\n", LOOP_EXITS),
                // the page-walk guests under EPT / nested paging: one exit, the final hypercall
                Arguments.of("vmx-ept-walk", "intel-core", "vmx-ept-walk: " + WALK_LINE, 1L),
                Arguments.of("svm-npt-walk", "amd-zen", "svm-npt-walk: " + WALK_LINE, 1L));
    }

    private static final String WALK_LINE = "2000 rounds of 64 pages x 8 passes, sum right\n";

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("onOwnVendor")
    void runsItsGuestAndHandlesEveryExitInX86Code(String guest, String profile, String expected, long exits)
            throws LoadException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = machine(profile, out);
        m.loadElf(Guests.bytes(guest));
        RunOutcome o = m.run(RunLimits.instructions(50_000_000).withTimeout(Duration.ofSeconds(300)));
        String console = out.toString(StandardCharsets.ISO_8859_1);
        assertThat(console).as("%s on %s", guest, profile).isEqualTo(expected);
        assertThat(o).as(o.describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).status()).as("v = 0: every exit handled as expected").isEqualTo(1);
        assertThat(m.vmExits()).as("VM exits the machine saw").isEqualTo(exits);
    }

    static Stream<Arguments> onOtherVendor() {
        return Stream.of(
                Arguments.of("vmx-hv", "amd-zen", "vmx-hv: an x86 hypervisor in VMX root operation\n"
                        + "vmx-hv: VMX not supported (CPUID.1:ECX.VMX = 0)\n"),
                Arguments.of("vmx-exit-loop", "amd-zen", "vmx-exit-loop: VMX not supported (CPUID.1:ECX.VMX = 0)\n"),
                Arguments.of("svm-hv", "intel-core", "svm-hv: an x86 hypervisor using AMD SVM\n"
                        + "svm-hv: SVM not supported (CPUID.80000001H:ECX.SVM = 0)\n"),
                Arguments.of("svm-exit-loop", "intel-core", "svm-exit-loop: SVM not supported (CPUID.80000001H:ECX.SVM = 0)\n"),
                Arguments.of("vmx-ept-walk", "amd-zen", "vmx-ept-walk: VMX not supported (CPUID.1:ECX.VMX = 0)\n"),
                Arguments.of("svm-npt-walk", "intel-core", "svm-npt-walk: SVM not supported (CPUID.80000001H:ECX.SVM = 0)\n"));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("onOtherVendor")
    void failsCleanlyWhenCpuidReportsNoSupport(String guest, String profile, String expected) throws LoadException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = machine(profile, out);
        m.loadElf(Guests.bytes(guest));
        RunOutcome o = m.run(RunLimits.instructions(5_000_000).withTimeout(Duration.ofSeconds(60)));
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expected);
        assertThat(o).as(o.describe()).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).status()).as("v = 2 (HV_UNSUPPORTED)").isEqualTo(5);
        assertThat(m.vmExits()).isZero();
    }

    private static Machine machine(String profile, ByteArrayOutputStream out) {
        return new Machine(MachineConfig.of(CpuProfile.load(profile), out));
    }
}
