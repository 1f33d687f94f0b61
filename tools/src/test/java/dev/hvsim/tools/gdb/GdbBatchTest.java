package dev.hvsim.tools.gdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hvsim.guests.Guests;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/** End to end: the stock gdb binary in batch mode against the stub, asserting on what it prints. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GdbBatchTest {
    private static final byte[] MODES = Guests.bytes("modes");

    private static String gdb() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "gdb");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    private static String runGdb(int port, String... commands) throws Exception {
        String gdb = gdb();
        assumeTrue(gdb != null, "gdb is not installed (apt-get install gdb): the end-to-end debugger tests need it");
        List<String> cmd = new ArrayList<>(List.of(gdb, "-nx", "-batch", "-ex", "set architecture i386:x86-64",
                "-ex", "set pagination off", "-ex", "target remote 127.0.0.1:" + port));
        for (String c : commands) {
            cmd.add("-ex");
            cmd.add(c);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("gdb did not finish within 90 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("gdb transcript:\n" + out); // in the surefire report, for a failing CI run
        return out;
    }

    @Test
    void stepsBreaksAndWatchesAcrossThe32To64BitSwitch() throws Exception {
        long start = ElfSymbols.address(MODES, "_start");
        long main64 = ElfSymbols.address(MODES, "main64");
        long finish64 = ElfSymbols.address(MODES, "finish64");
        long checksRun = ElfSymbols.address(MODES, "checks_run");
        try (StubHarness h = StubHarness.guest("modes", 1)) {
            String out = runGdb(h.stub.port(),
                    "info registers rip",
                    "stepi",
                    "info registers rip",
                    "x/2i $pc",
                    "x/1xb 0x" + Long.toHexString(main64),
                    "break *0x" + Long.toHexString(main64),
                    "x/1xb 0x" + Long.toHexString(main64),
                    "continue",
                    "info registers rip efer cr0 fs_base",
                    "stepi",
                    "stepi",
                    "info registers rip",
                    "monitor mode",
                    "monitor break-exit all",
                    "watch *(int *)0x" + Long.toHexString(checksRun),
                    "continue",
                    "delete",
                    "hbreak *0x" + Long.toHexString(finish64),
                    "continue",
                    "info threads",
                    "detach");
            assertThat(out).doesNotContain("Remote 'g' packet reply is too long", "Remote connection closed",
                    "Remote failure reply");
            assertThat(out).contains(String.format("rip            0x%x", start));
            assertThat(out).contains(String.format("=> 0x%x:", start + 1)); // x/2i after one stepi (cld is 1 byte)
            assertThat(out).contains(String.format("Breakpoint 1, 0x%016x in ?? ()", main64));
            assertThat(out).contains(String.format("rip            0x%x", main64));
            assertThat(out).containsPattern("efer +0x5\\d\\d");
            assertThat(out).contains("fs_base");
            assertThat(out).contains("64-bit mode (IA-32e), CPL 0, paging 4-level");
            assertThat(out).contains("break-exit: all", "VMX available, not in VMX operation");
            assertThat(out).contains("Hardware watchpoint 2: *(int *)0x" + Long.toHexString(checksRun), "Old value = ",
                    "New value = ");
            assertThat(out).contains(String.format("Hardware assisted breakpoint 3 at 0x%x", finish64),
                    String.format("Breakpoint 3, 0x%016x in ?? ()", finish64));
            assertThat(out).contains("vCPU 0 (BSP)");
            // the breakpoint's byte as gdb read it back while inserted: the guest's own byte, not 0xcc
            assertThat(out).doesNotContain(String.format("0x%x:\t0xcc", main64));
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.DETACHED);
        }
    }

    @Test
    void reverseStepiAndReverseContinue() throws Exception {
        long main64 = ElfSymbols.address(MODES, "main64");
        long finish64 = ElfSymbols.address(MODES, "finish64");
        try (StubHarness h = StubHarness.reversible("modes", 1)) {
            String out = runGdb(h.stub.port(),
                    "break *0x" + Long.toHexString(main64),
                    "continue",
                    "stepi",
                    "info registers rip rsi",
                    "stepi",
                    "info registers rip rsi",
                    "reverse-stepi",
                    "info registers rip rsi",
                    "reverse-stepi",
                    "info registers rip",
                    "reverse-stepi",
                    "info registers rip",
                    "hbreak *0x" + Long.toHexString(finish64),
                    "continue",
                    "continue",
                    "reverse-continue",
                    "info registers rip",
                    "delete",
                    "reverse-continue",
                    "info registers rip",
                    "kill");
            assertThat(out).doesNotContain("Remote 'g' packet reply is too long", "Target does not support",
                    "Remote failure reply");
            List<String> rsi = out.lines().filter(l -> l.startsWith("rsi")).toList();
            assertThat(rsi).hasSize(3);
            assertThat(rsi.get(2)).isEqualTo(rsi.get(0)); // reverse-stepi brought back the earlier value
            assertThat(rsi.get(1)).isNotEqualTo(rsi.get(0));
            List<String> rip = out.lines().filter(l -> l.startsWith("rip")).toList();
            assertThat(rip.get(2)).isEqualTo(rip.get(0));
            assertThat(rip.get(3)).startsWith(String.format("rip            0x%x", main64));
            assertThat(rip.get(4)).doesNotContain(String.format("0x%x", main64)); // before main64: 32-bit code
            assertThat(out).contains(String.format("Breakpoint 2, 0x%016x", finish64));
            assertThat(rip.get(5)).startsWith(String.format("rip            0x%x", main64)); // reverse-continue to bp 1
            assertThat(out).contains("No more reverse-execution history.");
            assertThat(rip.get(6)).startsWith(String.format("rip            0x%x", ElfSymbols.address(MODES, "_start")));
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.KILLED);
        }
    }

    private static final byte[] VMX_HV = Guests.bytes("vmx-hv");
    private static final byte[] SVM_HV = Guests.bytes("svm-hv");

    /** The lines gdb printed that start with {@code prefix}. */
    private static List<String> lines(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /**
     * The monitor report after the last reverse step: with snapshots every {@link StubHarness#SMALL_INTERVAL} steps
     * the reverse steps restored a periodic snapshot taken on the way (not the start).
     */
    private static void assertSnapshotUse(String out, StubHarness.Reverse how) {
        assertThat(out).contains("every " + (how == StubHarness.Reverse.SMALL_INTERVAL ? StubHarness.SMALL_INTERVAL
                : Snapshots.DEFAULT_INTERVAL) + " steps of any vCPU");
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("last reverse execution restored the snapshot at vCPU 0 step (\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        if (how == StubHarness.Reverse.SMALL_INTERVAL) {
            assertThat(Long.parseLong(m.group(1))).as("a periodic snapshot, not the start").isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = StubHarness.Reverse.class, names = {"DEFAULT", "SMALL_INTERVAL"})
    void vmxCpuidExitStopsShowsTheVmcsAndReverseStepsBackIntoTheGuest(StubHarness.Reverse how) throws Exception {
        long guest = ElfSymbols.address(VMX_HV, "vmx_guest");
        long guestStack = ElfSymbols.address(VMX_HV, "vmx_guest_stack_top");
        long hostRip = ElfSymbols.address(VMX_HV, "vmx_exit");
        long hostStack = ElfSymbols.address(VMX_HV, "hv_exit_stack_top");
        long cpuid = guest + 2; // xor %eax,%eax (2 bytes), then the first CPUID
        try (StubHarness h = StubHarness.reversible("vmx-hv", 1, dev.hvsim.x86core.Vendor.INTEL, how)) {
            String out = runGdb(h.stub.port(),
                    "monitor break-exit CPUID",
                    "continue",
                    "info registers rip rsp",
                    "monitor vmcs VM_EXIT_REASON GUEST_RIP GUEST_RSP EXIT_QUALIFICATION",
                    "monitor mode",
                    "monitor exits 5",
                    "info registers hv_mode hv_ctl",
                    "reverse-stepi",
                    "info registers rip rsp",
                    "info registers hv_mode",
                    "monitor mode",
                    "monitor break-exit off",
                    "stepi",
                    "info registers rip rsp",
                    "break *" + hex(guest),
                    "reverse-continue",
                    "info registers rip",
                    "monitor break-entry",
                    "delete",
                    "continue",
                    "info registers rip",
                    "monitor break-entry off",
                    "reverse-stepi",
                    "x/3xb $pc",
                    "monitor mode",
                    "monitor snapshots",
                    "kill");
            assertThat(out).doesNotContain("Remote failure reply", "Target does not support", "internal error");
            assertThat(out).contains("break-exit: CPUID");
            assertThat(out).contains("stopped at VM exit CPUID (10) [CPUID], guest rip " + hex(cpuid), "the host goes on here");
            List<String> rip = lines(out, "rip");
            List<String> rsp = lines(out, "rsp");
            assertThat(rip.get(0)).startsWith("rip            " + hex(hostRip)); // the VMM's first instruction
            assertThat(rsp.get(0)).startsWith("rsp            " + hex(hostStack));
            assertThat(out).containsPattern("VM_EXIT_REASON +\\(0x4402\\) = 0xa\\n");
            assertThat(out).containsPattern("GUEST_RIP +\\(0x681e\\) = " + hex(cpuid) + "\\n");
            assertThat(out).containsPattern("GUEST_RSP +\\(0x681c\\) = " + hex(guestStack) + "\\n");
            assertThat(out).contains("virtualization: VMX root operation, current VMCS 0x");
            assertThat(out).containsPattern("vCPU 0 step \\d+: VM exit CPUID \\(10\\)");
            // reverse-stepi over the exit: the guest's CPUID again, with the guest's stack pointer
            assertThat(rip.get(1)).startsWith("rip            " + hex(cpuid));
            assertThat(rsp.get(1)).startsWith("rsp            " + hex(guestStack));
            assertThat(out).contains("virtualization: VMX non-root operation");
            List<String> hvMode = lines(out, "hv_mode");
            assertThat(hvMode.get(0)).startsWith("hv_mode        0x1 "); // root
            assertThat(hvMode.get(1)).startsWith("hv_mode        0x2 "); // non-root
            assertThat(lines(out, "hv_ctl").get(0)).startsWith(
                    "hv_ctl         " + hex(ElfSymbols.address(VMX_HV, "vmcs_region")));
            // stepi on the exiting instruction shows the VMM side and reports the exit
            assertThat(out).contains("the step took a VM exit CPUID (10)");
            assertThat(rip.get(2)).startsWith("rip            " + hex(hostRip));
            assertThat(rsp.get(2)).startsWith("rsp            " + hex(hostStack));
            // reverse-continue to a breakpoint at the guest's first instruction (before its first VM entry)
            assertThat(rip.get(3)).startsWith("rip            " + hex(guest));
            // break-entry: the next VM entry (VMRESUME after the CPUID exit) stops at the guest's next instruction
            assertThat(out).contains("stopped at VM entry (VMCS), guest rip " + hex(cpuid + 2));
            assertThat(rip.get(4)).startsWith("rip            " + hex(cpuid + 2));
            // reverse-stepi over the entry: back on the hypervisor's VMRESUME (0F 01 C3), in root operation
            assertThat(out).containsPattern(":\\t0x0f\\t0x01\\t0xc3\\n");
            assertThat(out.substring(out.lastIndexOf("virtualization: "))).startsWith(
                    "virtualization: VMX root operation");
            assertSnapshotUse(out, how);
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.KILLED);
        }
    }

    @ParameterizedTest
    @EnumSource(value = StubHarness.Reverse.class, names = {"DEFAULT", "SMALL_INTERVAL"})
    void svmCpuidExitStopsShowsTheVmcbAndReverseStepsBackIntoTheGuest(StubHarness.Reverse how) throws Exception {
        long guest = ElfSymbols.address(SVM_HV, "svm_guest");
        long guestStack = ElfSymbols.address(SVM_HV, "svm_guest_stack_top");
        long cpuid = guest + 2;
        try (StubHarness h = StubHarness.reversible("svm-hv", 1, dev.hvsim.x86core.Vendor.AMD, how)) {
            String out = runGdb(h.stub.port(),
                    "monitor break-exit 0x72",
                    "continue",
                    "x/3xb $pc-3",
                    "info registers rip rsp",
                    "monitor vmcb control.EXITCODE control.NRIP save.RIP save.RSP",
                    "monitor vmcb all",
                    "monitor vmcb save.NOPE",
                    "monitor mode",
                    "reverse-stepi",
                    "info registers rip rsp",
                    "monitor mode",
                    "break *" + hex(guest),
                    "reverse-continue",
                    "info registers rip",
                    "monitor snapshots",
                    "kill");
            assertThat(out).doesNotContain("Remote failure reply", "Target does not support", "internal error");
            assertThat(out).contains("stopped at VM exit CPUID (0x72) [CPUID], guest rip " + hex(cpuid));
            assertThat(out).contains("\t0x0f\t0x01\t0xd8"); // the host goes on right after its VMRUN
            assertThat(out).containsPattern("control.EXITCODE +\\(\\+0x070\\) = 0x72\\n");
            assertThat(out).containsPattern("control.NRIP +\\(\\+0x0c8\\) = " + hex(cpuid + 2) + "\\n");
            assertThat(out).containsPattern("save.RIP +\\(\\+0x578\\) = " + hex(cpuid) + "\\n");
            assertThat(out).contains("virtualization: SVM host, GIF 0, VMCB 0x");
            assertThat(out).containsPattern("control.IOPM_BASE_PA +\\(\\+0x040\\) = 0x"); // from `vmcb all`
            assertThat(out).containsPattern("save.EFER +\\(\\+0x4d0\\) = 0x1\\p{XDigit}{3}\\n"); // SVME (bit 12) set in the guest
            assertThat(out).contains("unknown VMCB field 'save.NOPE'");
            List<String> rip = lines(out, "rip");
            List<String> rsp = lines(out, "rsp");
            assertThat(rsp.get(0)).doesNotContain(hex(guestStack));
            assertThat(rip.get(1)).startsWith("rip            " + hex(cpuid));
            assertThat(rsp.get(1)).startsWith("rsp            " + hex(guestStack));
            assertThat(out).contains("virtualization: SVM guest mode, GIF 1");
            assertThat(rip.get(2)).startsWith("rip            " + hex(guest));
            assertSnapshotUse(out, how);
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.KILLED);
        }
    }

    @Test
    void breakEntryFailStopsAtAFailedVmresumeAndNamesTheFailingCheck() throws Exception {
        long vmcs = ElfSymbols.address(VMX_HV, "vmcs_region");
        long hostRip = ElfSymbols.address(VMX_HV, "vmx_exit");
        int cr0 = dev.hvsim.vmcs.VmcsLayout.hvsim().offsetOf(dev.hvsim.vmcs.VmcsFields.get().byName("GUEST_CR0"));
        try (StubHarness h = StubHarness.guest("vmx-hv", 1)) {
            String out = runGdb(h.stub.port(),
                    "monitor break-exit CPUID",
                    "continue",
                    "monitor vmcs GUEST_CR0",
                    "set {long}" + hex(vmcs + cr0) + " = 0", // the VMM's VMRESUME will now fail its checks
                    "monitor vmcs GUEST_CR0",
                    "monitor break-exit off",
                    "monitor break-entry-fail",
                    "continue",
                    "info registers rip",
                    "monitor vmcs VM_EXIT_REASON",
                    "monitor exits 2",
                    "kill");
            assertThat(out).doesNotContain("Remote failure reply", "internal error");
            assertThat(out).containsPattern("GUEST_CR0 +\\(0x6800\\) = 0x8\\p{XDigit}+\\n"); // PG set before
            assertThat(out).containsPattern("GUEST_CR0 +\\(0x6800\\) = 0x0\\n");
            assertThat(out).contains("break-entry-fail: on");
            assertThat(out).contains("stopped at failed VM entry (VMCS): INVALID_GUEST_STATE (33)");
            assertThat(out).contains("failed check: GUEST-CR0-FIXED");
            assertThat(lines(out, "rip").get(0)).startsWith("rip            " + hex(hostRip)); // entry-failure exit
            assertThat(out).containsPattern("VM_EXIT_REASON +\\(0x4402\\) = 0x80000021\\n");
            assertThat(out).contains("VM exit CPUID (10)", "failed VM entry (VMCS): INVALID_GUEST_STATE (33)");
            assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.KILLED);
        }
    }

    @ParameterizedTest
    @EnumSource(value = StubHarness.Reverse.class, names = {"DEFAULT", "SMALL_INTERVAL"})
    void underTheJavaVmmAStopAtAnExitComesAtTheGuestsNextInstructionAndReverseStepiGoesBack(StubHarness.Reverse how)
            throws Exception {
        for (dev.hvsim.vmm.Virt virt : new dev.hvsim.vmm.Virt[] {dev.hvsim.vmm.Virt.VMX, dev.hvsim.vmm.Virt.SVM}) {
            try (StubHarness h = StubHarness.underVmm("hello", virt, how)) {
                String out = runGdb(h.stub.port(),
                        "monitor break-exit IO",
                        "continue",
                        "info registers rip",
                        "monitor mode",
                        "monitor walk 0x100000",
                        "reverse-stepi",
                        "info registers rip",
                        "monitor break-exit off",
                        "stepi",
                        "info registers rip",
                        "monitor snapshots",
                        "kill");
                assertThat(out).doesNotContain("Remote failure reply", "internal error");
                assertSnapshotUse(out, how);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "stopped at VM exit (\\w+) \\(\\w+\\) \\[IO\\], guest rip (0x\\p{XDigit}+)").matcher(out);
                assertThat(m.find()).as(out).isTrue();
                String guestRip = m.group(2);
                List<String> rip = lines(out, "rip");
                assertThat(rip.get(0)).doesNotStartWith("rip            " + guestRip + " "); // the VMM handled it
                assertThat(out).contains(virt == dev.hvsim.vmm.Virt.VMX ? "virtualization: VMX non-root operation"
                        : "virtualization: SVM guest mode");
                assertThat(out).contains("the Java VMM handled it; the guest goes on here");
                // the walk of a guest without paging: its guest-physical address through the VMM's EPT / NPT
                assertThat(out).containsPattern("guest paging off: guest-physical 0x100000 -> nested: hpa 0x\\p{XDigit}+ ");
                assertThat(out).contains(virt == dev.hvsim.vmm.Virt.VMX ? "two-stage walker (no A/D writes, through EPT)"
                        : "two-stage walker (no A/D writes, through NPT)");
                assertThat(rip.get(1)).startsWith("rip            " + guestRip + " "); // back on the OUT
                assertThat(out).contains("the step took a VM exit " + m.group(1));
                assertThat(rip.get(2)).isEqualTo(rip.get(0)); // stepping the OUT again: the guest's next instruction
                assertThat(h.awaitEnd()).isEqualTo(GdbStub.End.KILLED);
            }
        }
    }
}
