package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compare-demo guest (guests/src/main/asm/compare-demo.S) under VMX and SVM (issue 7 item 6): the comparison
 * shows exactly the differences the guest was built to show.
 */
class CompareDemoTest {
    static ExitComparison comparison;
    static List<ExitComparison.Row> differing;

    static List<ExitRecord> record(Virt virt, String[] output) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt.profile()), out));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        List<ExitRecord> records = new ArrayList<>();
        vmm.recordExits(records::add);
        m.loadMultiboot(Guests.bytes("compare-demo"), "compare-demo.elf", "", List.of(), -1);
        RunOutcome o = m.run(RunLimits.instructions(10_000_000L));
        assertThat(o.describe()).isEqualTo("guest exit with value 0 (status 1)");
        output[0] = out.toString();
        return records;
    }

    @BeforeAll
    static void compare() throws Exception {
        String[] intelOut = new String[1], amdOut = new String[1];
        comparison = ExitComparison.of(record(Virt.VMX, intelOut), record(Virt.SVM, amdOut));
        assertThat(intelOut[0]).isEqualTo("compare-demo: start\ncompare-demo: done\n").isEqualTo(amdOut[0]);
        differing = comparison.rows().stream().filter(r -> !r.same()).collect(Collectors.toList());
    }

    private static String describe(ExitComparison.Row r) {
        ExitRecord e = r.intel() != null ? r.intel() : r.amd();
        return e.summary() + " " + r.differences();
    }

    @Test
    void theDifferingRowsAreTheOnesTheGuestWasBuiltFor() {
        assertThat(differing.stream().map(CompareDemoTest::describe)).containsExactly(
                "cpuid leaf=0x0 [GUEST_RESULT]",
                "cpuid leaf=0x80000001 [GUEST_RESULT]",
                "hypercall function=0x7f [EXIT_INFO, CYCLES]",
                "io port=0x80 in=false [CYCLES]",
                "msr_read msr=0xc0000080 [ONLY_AMD]",
                "msr_write msr=0xc0000080 [ONLY_AMD]",
                "cr_access cr=0 write=true [ONLY_INTEL]",
                "cr_access cr=0 write=true [ONLY_INTEL]",
                "nested_page_fault page=0xe0000000 [CYCLES]");
        assertThat(comparison.counts()).containsEntry(Difference.ONLY_INTEL, 2).containsEntry(Difference.ONLY_AMD, 2)
                .containsEntry(Difference.EXIT_INFO, 1).containsEntry(Difference.GUEST_RESULT, 2)
                .containsEntry(Difference.CYCLES, 3);
        assertThat(comparison.truncated()).isFalse();
    }

    @Test
    void cpuidVendorStringsDiffer() {
        ExitComparison.Row r = differing.get(0);
        assertThat(r.notes()).containsExactly("ebx: 0x756e6547 vs 0x68747541", "ecx: 0x6c65746e vs 0x444d4163",
                "edx: 0x49656e69 vs 0x69746e65"); // GenuineIntel vs AuthenticAMD
    }

    /** VMCALL exits on Intel, VMMCALL on AMD; the other is #UD in the guest, which skips it. */
    @Test
    void vmcallAgainstVmmcall() {
        ExitComparison.Row r = differing.get(2);
        assertThat(r.intel().rawName()).isEqualTo("VMCALL (18)");
        assertThat(r.amd().rawName()).isEqualTo("VMEXIT_VMMCALL (0x81)");
        long vmcall = Long.decode(r.intel().info().get("rip"));
        // mov $0x7f, %eax (5 bytes) and the 3-byte VMCALL lie between the two hypercall instructions
        assertThat(r.notes()).contains("rip: " + Hex.of(vmcall) + " vs " + Hex.of(vmcall + 8),
                "next_rip: " + Hex.of(vmcall + 3) + " vs " + Hex.of(vmcall + 11));
        assertThat(r.intel().results()).containsEntry("rax", "0xffffffffffffffff").isEqualTo(r.amd().results());
        // AMD ran the #UD of VMCALL (delivery, handler, IRET) before its hypercall; Intel runs VMMCALL's afterwards
        assertThat(r.amd().cost()).isGreaterThan(r.intel().cost());
        assertThat(differing.get(3).intel().cost()).isGreaterThan(differing.get(3).amd().cost());
    }

    /** The same string I/O exits, reported in each vendor's format: the neutral fields agree, the raw ones are vendor's. */
    @Test
    void stringIoExitInformation() {
        ExitComparison.Row outs = comparison.rows().stream()
                .filter(r -> r.same() && r.intel().kind() == ExitKind.IO && r.intel().info().get("string").equals("true")
                        && r.intel().info().get("in").equals("false"))
                .findFirst().orElseThrow();
        assertThat(outs.intel().info()).containsEntry("port", "0x80").containsEntry("size", "1")
                .containsEntry("rep", "true");
        // VMX qualification (SDM Table 29-5): size-1 = 0, OUT (bit 3 = 0), string (4), REP (5), port in 31:16
        assertThat(outs.intel().raw()).containsEntry("qualification", "0x800030");
        // SVM EXITINFO1 (APM 15.10.2): port in 31:16, SZ8 (4), REP (3), STR (2), OUT (bit 0 = 0), plus the address size
        long info1 = Long.decode(outs.amd().raw().get("exitinfo1"));
        assertThat(info1 >>> 16 & 0xffff).isEqualTo(0x80);
        assertThat(info1 & 0x1d).isEqualTo(0x1c);
        assertThat(Long.decode(outs.amd().raw().get("exitinfo2"))).isEqualTo(Long.decode(outs.amd().info().get("next_rip")));
    }

    /** Guest-physical 0xE0000000 (nothing there): an EPT violation on Intel, a nested page fault on AMD. */
    @Test
    void eptViolationAgainstNestedPageFault() {
        List<ExitComparison.Row> rows = comparison.rows().stream()
                .filter(r -> r.intel() != null && r.intel().kind() == ExitKind.NESTED_PAGE_FAULT
                        && r.intel().info().get("page").equals("0xe0000000"))
                .collect(Collectors.toList());
        assertThat(rows).hasSize(2);
        for (ExitComparison.Row r : rows) {
            assertThat(r.intel().rawName()).isEqualTo("EPT violation (48)");
            assertThat(r.amd().rawName()).isEqualTo("VMEXIT_NPF (0x400)");
            assertThat(r.intel().info()).containsEntry("present", "false").containsEntry("walk", "final");
            assertThat(r.intel().info()).isEqualTo(r.amd().info());
        }
        assertThat(rows.get(0).intel().info()).containsEntry("gpa", "0xe0000000").containsEntry("access", "read");
        assertThat(rows.get(1).intel().info()).containsEntry("gpa", "0xe0000004").containsEntry("access", "write");
        assertThat(rows.get(1).amd().raw()).containsEntry("exitinfo2", "0xe0000004");
        assertThat(rows.get(1).intel().raw()).containsEntry("guest_physical", "0xe0000004");
    }

    @Test
    void theComparisonIsDeterministic() throws Exception {
        String[] o = new String[1];
        ExitComparison again = ExitComparison.of(record(Virt.VMX, o), record(Virt.SVM, o));
        assertThat(again.rows().stream().map(r -> String.valueOf(r.intel()) + r.amd() + r.differences() + r.notes()))
                .containsExactlyElementsOf(comparison.rows().stream()
                        .map(r -> String.valueOf(r.intel()) + r.amd() + r.differences() + r.notes())
                        .collect(Collectors.toList()));
    }
}
