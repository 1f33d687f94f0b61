package dev.hvsim.svm;

import static dev.hvsim.svm.SvmHarness.GUEST_CODE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * The task-switch intercept (APM Vol. 2 Table B-1 word 3 bit 29, exit 7DH, Appendix C): far JMP and CALL to a TSS or
 * through a task gate, IRET with NT = 1, INT n and exceptions through an IDT task gate exit before the switch
 * begins, with the target TSS selector in EXITINFO1 and the source, the error code and RF in EXITINFO2. The guest is
 * 32-bit legacy protected mode with 4-MiB pages (task switching does not exist in long mode).
 */
class TaskSwitchInterceptTest {
    private static final long PD = 0x500000, GDT = 0x501000, TSS = 0x502000, OLD_TSS = 0x503000, IDT = 0x504000;
    /** GDT: 08 code32, 10 data32, 18 busy TSS (the guest's TR), 20 available TSS, 28 task gate to 20. */
    private static final int TARGET_TSS = 0x20, TASK_GATE = 0x28;
    private static final long IRET = 1L << 36, JMP = 1L << 38, EV = 1L << 44, RF = 1L << 48;

    private static long tssDescriptor(long base, int type) {
        return 0x67 | (base & 0xffffff) << 16 | (long) (0x80 | type) << 40 | (base >>> 24) << 56;
    }

    private static void segment(SvmHarness h, int seg, int selector, int attrib, long base, long limit) {
        int off = V.seg(seg);
        h.w(off, 2, selector);
        h.w(off + 2, 2, attrib);
        h.w(off + 4, 4, limit);
        h.w(off + 8, 8, base);
    }

    /** A 32-bit protected-mode guest (no EFER.LME) with the task-switch intercept as given and shutdown intercepted. */
    private static SvmHarness protectedGuest(boolean intercept, long rflags) {
        SvmHarness h = new SvmHarness();
        TestCpu t = h.t;
        for (int i = 0; i < 1024; i++) {
            t.bus.write(PD + 4L * i, 4, i < 8 ? (long) i << 22 | 0x83 : 0);   // 4-MiB pages, identity, first 32 MiB
        }
        t.bus.write(GDT + 0x08, 8, 0x00cf9b000000ffffL);
        t.bus.write(GDT + 0x10, 8, 0x00cf93000000ffffL);
        t.bus.write(GDT + 0x18, 8, tssDescriptor(OLD_TSS, 0xb));
        t.bus.write(GDT + TARGET_TSS, 8, tssDescriptor(TSS, 0x9));
        t.bus.write(GDT + TASK_GATE, 8, (long) TARGET_TSS << 16 | 0xe5L << 40); // task gate, P, DPL 3
        t.bus.write(IDT + 0x30 * 8, 8, (long) TARGET_TSS << 16 | 0xe5L << 40);  // vector 30H: task gate
        t.bus.write(IDT + 13 * 8, 8, (long) TARGET_TSS << 16 | 0x85L << 40);    // #GP: task gate, DPL 0
        t.bus.write(OLD_TSS, 2, TARGET_TSS);                                    // back link for IRET
        h.w(V.EFER, 8, Cpu.EFER_SVME);                                          // no LME: legacy mode
        h.w(V.CR0, 8, 0x80000011L);                                             // PG, ET, PE
        h.w(V.CR3, 8, PD);
        h.w(V.CR4, 8, 0x10);                                                    // PSE
        segment(h, Reg.CS, 0x08, 0xc9b, 0, 0xffffffffL);
        for (int seg : new int[] {Reg.ES, Reg.SS, Reg.DS, Reg.FS, Reg.GS}) {
            segment(h, seg, 0x10, 0xc93, 0, 0xffffffffL);
        }
        // VMRUN does not load TR (APM Vol. 2 15.5.1: TR is VMLOAD's), so the guest runs with the TR the CPU holds
        h.cpu.state().tr.set(0x18, OLD_TSS, 0x67, 0x8b);
        h.w(V.GDTR + 4, 4, 0x2f);
        h.w(V.GDTR + 8, 8, GDT);
        h.w(V.IDTR + 4, 4, 0x7ff);
        h.w(V.IDTR + 8, 8, IDT);
        h.w(V.CPL, 1, 0);
        h.w(V.RFLAGS, 8, rflags);
        long misc1 = 1L << V.M1_SHUTDOWN | (intercept ? 1L << V.M1_TASK_SWITCH : 0);
        h.w(V.MISC1, 4, misc1);
        return h;
    }

    private static void assertTaskSwitch(SvmHarness h, SvmExit e, long info2, long nrip, long rip) {
        assertThat(h.q(V.EXITCODE)).isEqualTo(ExitCode.TASK_SWITCH).isEqualTo(0x7d);
        assertThat(e.exitCode()).isEqualTo(0x7d);
        assertThat(h.q(V.EXITINFO1)).as("target TSS selector").isEqualTo(TARGET_TSS);
        assertThat(h.q(V.EXITINFO2)).as("EXITINFO2 %x", h.q(V.EXITINFO2)).isEqualTo(info2);
        assertThat(h.q(V.NRIP)).isEqualTo(nrip);
        assertThat(h.q(V.RIP)).as("intercepted before the switch: RIP is the instruction's").isEqualTo(rip);
        assertThat(h.cpu.state().tr.selector).as("TR unchanged").isEqualTo(0x18);
        assertThat(h.r(V.CS, 2)).isEqualTo(0x08);
    }

    @Test
    void farJmpToATssSetsBit38() {
        // 90 nop ; ea 00 00 00 00 20 00  jmp 0020:00000000
        SvmHarness h = protectedGuest(true, 2);
        SvmExit e = h.runGuest("90 ea 00 00 00 00 20 00");
        assertTaskSwitch(h, e, JMP, GUEST_CODE + 8, GUEST_CODE + 1);
        assertThat(h.q(V.EXITINTINFO)).isZero();
    }

    @Test
    void farCallThroughATaskGateReportsTheGatesTssSelector() {
        // 9a 00 00 00 00 28 00  call 0028:00000000 (task gate -> TSS 20H)
        SvmHarness h = protectedGuest(true, 2);
        assertTaskSwitch(h, h.runGuest("9a 00 00 00 00 28 00"), 0, GUEST_CODE + 7, GUEST_CODE);
    }

    @Test
    void iretWithNtSetsBit36AndReportsTheBackLink() {
        SvmHarness h = protectedGuest(true, 0x4002); // NT
        assertTaskSwitch(h, h.runGuest("cf"), IRET, GUEST_CODE + 1, GUEST_CODE);
    }

    @Test
    void intThroughAnIdtTaskGateReportsTheEventInExitintinfo() {
        SvmHarness h = protectedGuest(true, 2);
        assertTaskSwitch(h, h.runGuest("cd 30"), 0, GUEST_CODE + 2, GUEST_CODE);
        assertThat(h.q(V.EXITINTINFO)).as("valid, software interrupt (type 4), vector 30H").isEqualTo(0x80000430L);
    }

    @Test
    void anExceptionWithAnErrorCodeThroughATaskGateSetsEvAndTheCode() {
        // ea 00 00 00 00 38 00  jmp 0038:00000000, beyond the GDT limit: #GP(38H), delivered through a task gate
        SvmHarness h = protectedGuest(true, 2);
        SvmExit e = h.runGuest("ea 00 00 00 00 38 00");
        assertTaskSwitch(h, e, EV | 0x38, 0, GUEST_CODE);
        assertThat(h.q(V.EXITINTINFO)).as("valid, error code valid, exception (type 3), vector 13")
                .isEqualTo(0x38L << 32 | 0x80000000L | 1L << 11 | 3L << 8 | 13);
    }

    @Test
    void rfIsReported() {
        SvmHarness h = protectedGuest(true, 2 | 1L << 16);
        assertTaskSwitch(h, h.runGuest("ea 00 00 00 00 20 00"), JMP | RF, GUEST_CODE + 7, GUEST_CODE);
    }

    @Test
    void withoutTheInterceptTheUnmodelledSwitchShutsTheGuestDown() {
        SvmHarness h = protectedGuest(false, 2);
        h.runGuest("ea 00 00 00 00 20 00");
        assertThat(h.q(V.EXITCODE)).isEqualTo(ExitCode.SHUTDOWN);
    }

    @Test
    void theInterceptIsNotTakenForAnOrdinaryFarJump() {
        // ea 07 00 20 00 08 00  jmp 0008:00200007 (a code segment, no task switch); f4 hlt
        SvmHarness h = protectedGuest(true, 2);
        h.w(V.MISC1, 4, h.r(V.MISC1, 4) | 1L << V.M1_HLT);
        h.runGuest("ea 07 00 20 00 08 00 f4");
        assertThat(h.q(V.EXITCODE)).isEqualTo(ExitCode.HLT);
        assertThat(h.q(V.RIP)).isEqualTo(GUEST_CODE + 7);
    }
}
