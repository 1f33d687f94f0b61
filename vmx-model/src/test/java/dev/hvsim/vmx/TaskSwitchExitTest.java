package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.StopReason;
import org.junit.jupiter.api.Test;

/**
 * Task switches in VMX non-root operation exit unconditionally (SDM Vol. 3C 26.2, reason 9) before the switch begins:
 * far JMP and CALL to a TSS or through a task gate, IRET with NT = 1, INT n through a task gate in the IDT. The
 * qualification (Table 29-2) has the TSS selector in bits 15:0 and the source in bits 31:30. The guest is 32-bit
 * protected mode with 4-MiB pages (task switching does not exist in IA-32e mode).
 */
class TaskSwitchExitTest {
    private static final long PD = 0x406000, GDT = 0x407000, TSS = 0x408000, OLD_TSS = 0x409000, IDT = 0x2800;
    /** GDT: 08 code32, 10 data32, 18 busy TSS (the guest's TR), 20 available TSS, 28 task gate to 20. */
    private static final int TARGET_TSS = 0x20, TASK_GATE = 0x28;

    private static long tssDescriptor(long base, int type) {
        return 0x67 | (base & 0xffffff) << 16 | (long) (0x80 | type) << 40 | (base >>> 24) << 56;
    }

    private static VmxHarness protectedGuest(String code, long rflags) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        for (int i = 0; i < 4; i++) {
            h.t.bus.write(PD + 4L * i, 4, (long) i << 22 | 0x83);            // 4-MiB pages, identity
        }
        h.t.bus.write(GDT + 0x08, 8, 0x00cf9b000000ffffL);
        h.t.bus.write(GDT + 0x10, 8, 0x00cf93000000ffffL);
        h.t.bus.write(GDT + 0x18, 8, tssDescriptor(OLD_TSS, 0xb));
        h.t.bus.write(GDT + TARGET_TSS, 8, tssDescriptor(TSS, 0x9));
        h.t.bus.write(GDT + TASK_GATE, 8, (long) TARGET_TSS << 16 | 0xe5L << 40); // task gate, P, DPL 3
        h.t.bus.write(IDT + 0x30 * 8, 8, (long) TARGET_TSS << 16 | 0xe5L << 40);  // IDT vector 30H: task gate
        h.t.bus.write(OLD_TSS, 2, TARGET_TSS);                                  // back link for IRET
        Vmcs v = h.vmx.currentVmcs();
        v.write("VM_ENTRY_CONTROLS", v.read("VM_ENTRY_CONTROLS") & ~(1L << 9));
        v.write("GUEST_CR3", PD);
        v.write("GUEST_CR4", 0x2010);                                           // VMXE, PSE
        v.write("GUEST_GDTR_BASE", GDT);
        v.write("GUEST_GDTR_LIMIT", 0x2f);
        v.write("GUEST_IDTR_BASE", IDT);
        v.write("GUEST_IDTR_LIMIT", 0x7ff);
        v.write("GUEST_CS_SELECTOR", 0x08);
        v.write("GUEST_CS_AR_BYTES", 0xc09b);
        for (String sg : new String[] {"SS", "DS", "ES", "FS", "GS"}) {
            v.write("GUEST_" + sg + "_SELECTOR", 0x10);
            v.write("GUEST_" + sg + "_AR_BYTES", 0xc093);
        }
        v.write("GUEST_TR_SELECTOR", 0x18);
        v.write("GUEST_TR_BASE", OLD_TSS);
        v.write("GUEST_RFLAGS", rflags);
        return h;
    }

    private static VmExit run(VmxHarness h) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        return (VmExit) h.cpu.lastVmExit();
    }

    private static void assertTaskSwitch(VmxHarness h, VmExit e, long qualification, int length, long rip) {
        Vmcs v = h.vmx.currentVmcs();
        assertThat(e.reason()).isEqualTo(ExitReason.TASK_SWITCH).isEqualTo(9);
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(9);
        assertThat(e.qualification()).isEqualTo(qualification);
        assertThat(v.read("EXIT_QUALIFICATION")).isEqualTo(qualification);
        assertThat(v.read("VM_EXIT_INSTRUCTION_LEN")).isEqualTo(length);
        assertThat(v.read("GUEST_RIP")).as("fault-like: the task switch has not happened").isEqualTo(rip);
        assertThat(v.read("GUEST_TR_SELECTOR")).isEqualTo(0x18);
        assertThat(v.read("GUEST_CS_SELECTOR")).isEqualTo(0x08);
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
    }

    @Test
    void farJmpToATssExitsWithSource2() {
        // 90 nop ; ea 00 00 00 00 20 00  jmp 0020:00000000
        VmxHarness h = protectedGuest("90 ea 00 00 00 00 20 00", 2);
        assertTaskSwitch(h, run(h), TARGET_TSS | 2L << 30, 7, GUEST_CODE + 1);
        assertThat(h.vmx.currentVmcs().read("IDT_VECTORING_INFO_FIELD")).isZero();
    }

    @Test
    void farCallThroughATaskGateReportsTheGatesTssSelectorWithSource0() {
        // 9a 00 00 00 00 28 00  call 0028:00000000 (task gate -> TSS 20H)
        VmxHarness h = protectedGuest("9a 00 00 00 00 28 00", 2);
        assertTaskSwitch(h, run(h), TARGET_TSS, 7, GUEST_CODE);
    }

    @Test
    void iretWithNtReportsTheBackLinkWithSource1() {
        // cf  iret with RFLAGS.NT = 1: a task return to the TSS in the back link (20H)
        VmxHarness h = protectedGuest("cf", 0x4002);
        assertTaskSwitch(h, run(h), TARGET_TSS | 1L << 30, 1, GUEST_CODE);
    }

    @Test
    void intThroughAnIdtTaskGateReportsSource3AndTheEventAsIdtVectoringInformation() {
        // cd 30  int 30H through a task gate in the IDT
        VmxHarness h = protectedGuest("cd 30", 2);
        assertTaskSwitch(h, run(h), TARGET_TSS | 3L << 30, 2, GUEST_CODE);
        assertThat(h.vmx.currentVmcs().read("IDT_VECTORING_INFO_FIELD")).as("valid, software interrupt, 30H")
                .isEqualTo(0x80000430L);
    }
}
