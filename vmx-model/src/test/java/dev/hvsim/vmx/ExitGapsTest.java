package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMCS;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Exit conditions and VM-exit steps closed by the issue-4 audit (DEVIATIONS.md, "Exit-reason audit"): RDRAND and
 * RDSEED exiting (57, 61; SDM Vol. 3C 26.1.3, instruction information 29.2.5), XSETBV (55, unconditional, 26.1.2),
 * the #PF error-code mask/match rule of the exception bitmap (26.2), the VMX abort on a failing VM-exit MSR-store
 * (indicator 1, 29.4) or MSR-load entry (indicator 4, 29.6) (29.7), and the TPR-below-threshold exit ranking above an
 * INIT at the same boundary, PAUSE-loop exiting (26.1.3, PLE_Gap / PLE_Window).
 */
class ExitGapsTest {
    private static final long PRIMARY = 0x04006172L | 1L << 7 | 1L << 24, ACTIVATE_SECONDARY = 1L << 31;
    private static final long AREA = 0x405000;

    private static VmxHarness guest(String code, Consumer<Vmcs> setup) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        setup.accept(h.vmx.currentVmcs());
        return h;
    }

    private static VmExit launchAndRun(VmxHarness h) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        return (VmExit) h.cpu.lastVmExit();
    }

    /** Reason, qualification, length and information in the record and the VMCS; saved RIP; host state loaded. */
    private static void assertExit(VmxHarness h, VmExit e, int reason, long qual, int length, int info, long rip) {
        Vmcs v = h.vmx.currentVmcs();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(reason);
        assertThat(e.qualification()).isEqualTo(qual);
        assertThat(v.read("EXIT_QUALIFICATION")).isEqualTo(qual);
        assertThat(e.instructionLength()).isEqualTo(length);
        assertThat(v.read("VM_EXIT_INSTRUCTION_LEN")).isEqualTo(length);
        assertThat(e.instructionInfo()).isEqualTo(info);
        assertThat(v.read("VMX_INSTRUCTION_INFO")).isEqualTo(info);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE + rip);
        assertThat(v.read("GUEST_RSP")).isEqualTo(0x38000);
        assertThat(v.read("GUEST_CR3")).isEqualTo(TestCpu.PAGING);
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
        assertThat(h.cpu.guestMode().active()).isFalse();
    }

    // ------------------------------------------------------------------ RDRAND / RDSEED exiting

    private static VmxHarness randomGuest(String code, long proc2) {
        return guest(code, v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY);
            v.write("SECONDARY_VM_EXEC_CONTROL", proc2);
        });
    }

    @Test
    void rdrandExitingReportsDestinationAndOperandSize() {
        // 90 nop ; 0f c7 f0  rdrand eax: reason 57, register 0 in 6:3, operand size 1 (32-bit) in 12:11
        VmxHarness h = randomGuest("90 0f c7 f0", 1L << 11);
        assertExit(h, launchAndRun(h), ExitReason.RDRAND, 0, 3, 1 << 11, 1);
        // 49 0f c7 f1  rdrand r9: register 9, 64-bit
        VmxHarness r9 = randomGuest("49 0f c7 f1", 1L << 11);
        assertExit(r9, launchAndRun(r9), ExitReason.RDRAND, 0, 4, 9 << 3 | 2 << 11, 0);
        // 66 0f c7 f3  rdrand bx: register 3, 16-bit
        VmxHarness bx = randomGuest("66 0f c7 f3", 1L << 11);
        assertExit(bx, launchAndRun(bx), ExitReason.RDRAND, 0, 4, 3 << 3, 0);
    }

    @Test
    void rdseedExitingIsItsOwnControl() {
        // 48 0f c7 fb  rdseed rbx: reason 61, register 3, 64-bit
        VmxHarness h = randomGuest("48 0f c7 fb", 1L << 16);
        assertExit(h, launchAndRun(h), ExitReason.RDSEED, 0, 4, 3 << 3 | 2 << 11, 0);
        // "RDRAND exiting" alone does not make RDSEED exit: rdseed rbx ; cpuid
        VmxHarness other = randomGuest("48 0f c7 fb 0f a2", 1L << 11);
        other.cpu.state().flagsRest &= ~Flags.CF;
        VmExit e = launchAndRun(other);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 4);
        // and "RDSEED exiting" does not make RDRAND exit: rdrand eax ; cpuid
        VmxHarness rdrand = randomGuest("0f c7 f0 0f a2", 1L << 16);
        assertThat(launchAndRun(rdrand).reason()).isEqualTo(ExitReason.CPUID);
    }

    @Test
    void withoutActivateSecondaryControlsRdrandRuns() {
        // the secondary word says RDRAND exiting but primary bit 31 is 0: the control is 0 (25.6.2)
        VmxHarness h = guest("0f c7 f0 0f a2", v -> v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 11 | 1L << 16));
        assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.CPUID);
    }

    // ------------------------------------------------------------------ XSETBV

    @Test
    void xsetbvExitsUnconditionally() {
        // 31 c9  xor ecx, ecx ; 0f 01 d1  xsetbv: reason 55, no qualification or information, length 3
        VmxHarness h = guest("31 c9 0f 01 d1", v -> v.write("GUEST_CR4", v.read("GUEST_CR4") | 1L << 18));
        long xcr0 = h.cpu.state().xcr0;
        h.cpu.state().gpr[Reg.RAX] = 7; // would be a valid XCR0 (x87, SSE, AVX) if executed
        assertExit(h, launchAndRun(h), ExitReason.XSETBV, 0, 3, 0, 2);
        assertThat(h.cpu.state().xcr0).as("the exiting XSETBV did not write XCR0").isEqualTo(xcr0);
    }

    // ------------------------------------------------------------------ #PF error-code mask / match

    /** mov rax, 100000000H ; mov [rax], rbx: a #PF with error code 2 (write, not present) at GUEST_CODE + 10. */
    private static final String PF_W = "48 b8 00 00 00 00 01 00 00 00 48 89 18";

    private static VmExit pageFault(long bitmap, long mask, long match) {
        VmxHarness h = guest(PF_W, v -> {
            v.write("EXCEPTION_BITMAP", bitmap);
            v.write("PAGE_FAULT_ERROR_CODE_MASK", mask);
            v.write("PAGE_FAULT_ERROR_CODE_MATCH", match);
        });
        return launchAndRun(h);
    }

    @Test
    void pageFaultErrorCodeMaskAndMatchDecideWithBit14() {
        // 26.2: (PFEC & MASK) == MATCH: bit 14 decides; otherwise its inverse decides
        VmExit equalExits = pageFault(1L << 14, 2, 2);
        assertThat(equalExits.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(equalExits.interruptionInfo()).isEqualTo(0x80000b0e);
        assertThat(equalExits.interruptionError()).isEqualTo(2);
        assertThat(equalExits.qualification()).isEqualTo(0x100000000L);

        VmExit inverted = pageFault(0, 2, 0);                                  // 2 & 2 != 0: inverse of bit 14 = 1
        assertThat(inverted.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(inverted.interruptionInfo()).isEqualTo(0x80000b0e);
        assertThat(inverted.guestRip()).isEqualTo(GUEST_CODE + 10);

        // bit 14 = 1 but the error code does not match: the #PF is delivered to the guest; its empty IDT makes the
        // delivery fault, #PF then #GP is a double fault, which exits (bit 8) with vector 8
        VmExit df = pageFault(1L << 14 | 1L << 8, 1, 1);
        assertThat(df.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(df.interruptionInfo()).as("#DF, hardware exception, error code valid").isEqualTo(0x80000b08);
        assertThat(df.interruptionError()).isZero();

        VmExit zero = pageFault(0, 0, 0);                                      // matches, bit 14 = 0: no #PF exit
        assertThat(zero.reason()).as("the #PF is delivered to the guest and its delivery ends in a triple fault")
                .isEqualTo(ExitReason.TRIPLE_FAULT);
    }

    // ------------------------------------------------------------------ VMX abort (29.7)

    private static VmxHarness withMsrArea(String store, long index, long value) {
        VmxHarness h = guest("0f a2", v -> {
            v.write("VM_EXIT_MSR_" + store + "_ADDR", AREA);
            v.write("VM_EXIT_MSR_" + store + "_COUNT", 2);
        });
        h.t.bus.write(AREA, 8, Msr.IA32_PAT);                                 // entry 0: valid
        h.t.bus.write(AREA + 8, 8, 0x0007040600070406L);
        h.t.bus.write(AREA + 16, 8, index);                                   // entry 1: under test
        h.t.bus.write(AREA + 24, 8, value);
        return h;
    }

    private static void assertAborted(VmxHarness h, int indicator) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.inNonRoot()).isTrue();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.SHUTDOWN);
        assertThat(h.t.bus.read(VMCS + 4, 4)).as("VMX-abort indicator, bytes 4-7 of the VMCS region")
                .isEqualTo(indicator);
        assertThat(h.cpu.shutdownReason()).contains("VMX abort").contains("indicator " + indicator);
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.guestMode().active()).isFalse();
        assertThat(h.cpu.lastVmExit()).as("no VM exit is reported").isNull();
        long rip = h.cpu.state().rip, insns = h.cpu.instructions();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).as("the VMX-abort shutdown state persists")
                .isEqualTo(StopReason.SHUTDOWN);
        assertThat(h.cpu.state().rip).isEqualTo(rip);
        assertThat(h.cpu.instructions()).isEqualTo(insns);
        assertThat(h.vmx.init(h.cpu)).as("still in VMX operation: INIT stays blocked")
                .isEqualTo(CpuExtension.SignalAction.HELD);
    }

    @Test
    void validMsrStoreAndLoadEntriesDoNotAbort() {
        VmxHarness store = withMsrArea("STORE", Msr.IA32_SYSENTER_CS, 0);
        store.cpu.state().msr.put(Msr.IA32_SYSENTER_CS, 0);
        store.vmx.currentVmcs().write("GUEST_SYSENTER_CS", 0x1234);
        assertThat(launchAndRun(store).reason()).isEqualTo(ExitReason.CPUID);
        assertThat(store.t.bus.read(AREA + 24, 8)).as("the guest's IA32_SYSENTER_CS stored").isEqualTo(0x1234);
        assertThat(store.t.bus.read(VMCS + 4, 4)).isZero();

        VmxHarness load = withMsrArea("LOAD", Msr.IA32_SYSENTER_ESP, 0xabcd000L);
        assertThat(launchAndRun(load).reason()).isEqualTo(ExitReason.CPUID);
        assertThat(load.cpu.state().msr(Msr.IA32_SYSENTER_ESP)).isEqualTo(0xabcd000L);
        assertThat(load.t.bus.read(VMCS + 4, 4)).isZero();
    }

    @Test
    void aFailingMsrStoreEntryIsVmxAbort1() {
        assertAborted(withMsrArea("STORE", 0x808, 0), 1);                      // x2APIC TPR
        assertAborted(withMsrArea("STORE", 1L << 32 | Msr.IA32_PAT, 0), 1);    // bits 63:32 not 0
        assertAborted(withMsrArea("STORE", 0x9e, 0), 1);                       // IA32_SMBASE: SMM only
        assertAborted(withMsrArea("STORE", 0x7fff_0000L, 0), 1);               // RDMSR would #GP
        VmxHarness h = withMsrArea("STORE", 0x808, 0);
        h.t.bus.write(AREA + 8, 8, 0);
        assertAborted(h, 1);
        assertThat(h.t.bus.read(AREA + 8, 8)).as("entry 0 (the guest's power-on IA32_PAT) was stored before the failure")
                .isEqualTo(0x0007040600070406L);
    }

    @Test
    void aVmxAbortDuringATripleFaultExitIsAShutdownNotAJvmThrow() {
        // ud2 with an empty guest IDT: #UD, #GP, #DF, triple fault -> exit 2, whose MSR store fails (x2APIC MSR)
        VmxHarness h = guest("0f 0b", v -> {
            v.write("VM_EXIT_MSR_STORE_ADDR", AREA);
            v.write("VM_EXIT_MSR_STORE_COUNT", 1);
        });
        h.t.bus.write(AREA, 8, 0x808);
        assertAborted(h, 1);
    }

    @Test
    void aFailingMsrLoadEntryIsVmxAbort4() {
        assertAborted(withMsrArea("LOAD", 0xc0000100L, 0), 4);                 // IA32_FS_BASE
        assertAborted(withMsrArea("LOAD", 0x808, 0), 4);                       // x2APIC
        assertAborted(withMsrArea("LOAD", 1L << 32 | Msr.IA32_SYSENTER_CS, 0), 4); // bits 63:32 not 0
        assertAborted(withMsrArea("LOAD", Msr.IA32_PAT, 2), 4);                // WRMSR would #GP (PAT type 2)
    }

    // ------------------------------------------------------------------ TPR below threshold vs INIT

    @Test
    void tprBelowThresholdOutranksAnInitAtTheSameBoundary() {
        // mov eax, 3 ; mov cr8, rax ; nop: VTPR 3 < threshold 4. An INIT taken during the MOV's step: the
        // boundary after it has both; the TPR-threshold exit takes priority over SMIs and INIT (SDM Vol. 3C
        // "VM Exits Induced by the TPR Threshold"), the INIT stays pending and exits right after the next entry.
        long vapic = 0x404000;
        VmxHarness h = guest("b8 03 00 00 00 44 0f 22 c0 90 90", v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 21);
            v.write("VIRTUAL_APIC_PAGE_ADDR", vapic);
            v.write("TPR_THRESHOLD", 4);
        });
        h.t.bus.write(vapic + 0x80, 4, 0x50);
        assertThat(h.exec(VMLAUNCH)).isNull();
        CpuExtension.SignalAction[] initTaken = new CpuExtension.SignalAction[1];
        h.cpu.setListener(new ExecutionListener() {
            @Override
            public void afterInstruction(Cpu cpu, DecodedInsn insn) {
                if (h.vmx.inNonRoot() && cpu.state().rip == GUEST_CODE + 9) {     // the MOV to CR8 has executed
                    initTaken[0] = h.vmx.init(cpu);
                }
            }
        });
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(initTaken[0]).isEqualTo(CpuExtension.SignalAction.TAKEN);
        VmExit tpr = (VmExit) h.cpu.lastVmExit();
        assertThat(tpr.reason()).isEqualTo(ExitReason.TPR_BELOW_THRESHOLD);
        assertThat(tpr.guestRip()).isEqualTo(GUEST_CODE + 9);
        h.vmx.currentVmcs().write("TPR_THRESHOLD", 0);
        h.t.mem(HOST_RIP, "0f 01 c3");                                          // host: vmresume
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit init = (VmExit) h.cpu.lastVmExit();
        assertThat(init.reason()).isEqualTo(ExitReason.INIT_SIGNAL);
        assertThat(init.guestRip()).as("before the guest's next instruction").isEqualTo(GUEST_CODE + 9);
    }

    // ------------------------------------------------------------------ VMX instructions, MWAIT, MONITOR

    /** [20000H] as the memory operand: no base, no index, DS, 64-bit address size (29.2.5). */
    private static final int MEM_INFO = 1 << 27 | 1 << 22 | 3 << 15 | 2 << 7;

    @Test
    void everyVmxInstructionExitsInNonRootOperation() {
        // 26.1.2: VMX instructions exit unconditionally in VMX non-root operation (31.3: "ELSIF in VMX non-root
        // operation THEN VM exit"); memory forms report the displacement and the memory-operand information
        String[][] cases = {
            {"f3 0f c7 34 25 00 00 02 00", "27", "9"},  // vmxon [20000H]
            {"66 0f c7 34 25 00 00 02 00", "19", "9"},  // vmclear [20000H]
            {"0f c7 3c 25 00 00 02 00", "22", "8"},     // vmptrst [20000H]
        };
        for (String[] c : cases) {
            VmxHarness h = guest("90 " + c[0], v -> { });
            assertExit(h, launchAndRun(h), Integer.parseInt(c[1]), 0x20000, Integer.parseInt(c[2]), MEM_INFO, 1);
        }
        VmxHarness resume = guest("90 0f 01 c3", v -> { });                  // vmresume: no information
        assertExit(resume, launchAndRun(resume), ExitReason.VMRESUME, 0, 3, 0, 1);
        VmxHarness off = guest("90 0f 01 c4", v -> { });                     // vmxoff
        assertExit(off, launchAndRun(off), ExitReason.VMXOFF, 0, 3, 0, 1);
        assertThat(off.vmx.currentVmcsPointer()).as("the guest's VMXOFF did not leave VMX operation")
                .isEqualTo(VMCS);
        // 29.2.1: RIP-relative addressing reports "the sum of the displacement field and the appropriate RIP value"
        // (the next instruction's): 0f c7 35 00 01 00 00  vmptrld [rip + 100H] at guest offset 1, length 7; the
        // information says no base, no index (the address is all in the qualification)
        VmxHarness rel = guest("90 0f c7 35 00 01 00 00", v -> { });
        assertExit(rel, launchAndRun(rel), ExitReason.VMPTRLD, GUEST_CODE + 1 + 7 + 0x100, 7, MEM_INFO, 1);
        // 0f 79 c8  vmwrite rcx, rax (register form): reg2 = RCX in 31:28, reg1 = RAX in 6:3, bit 10
        VmxHarness write = guest("0f 79 c8", v -> { });
        assertExit(write, launchAndRun(write), ExitReason.VMWRITE, 0, 3, 1 << 28 | 1 << 10 | 2 << 7, 0);
    }

    @Test
    void mwaitAndMonitorExitingReportTheirReasons() {
        // 0f 01 c9  mwait: reason 36; the qualification's bit 0 (monitoring hardware armed) is 0: no MONITOR ran
        VmxHarness mwait = guest("90 0f 01 c9", v -> v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 10));
        assertExit(mwait, launchAndRun(mwait), ExitReason.MWAIT, 0, 3, 0, 1);
        // 0f 01 c8  monitor: reason 39, no qualification
        VmxHarness monitor = guest("90 0f 01 c8", v -> v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 29));
        assertExit(monitor, launchAndRun(monitor), ExitReason.MONITOR, 0, 3, 0, 1);
        // without the controls neither exits: monitor ; cpuid
        VmxHarness none = guest("0f 01 c8 0f a2", v -> v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY));
        assertThat(launchAndRun(none).reason()).isEqualTo(ExitReason.CPUID);
    }

    // ------------------------------------------------------------------ PAUSE-loop exiting

    /** A guest spinning on PAUSE: 90 nop ; f3 90 pause ; eb fc jmp -4 (back to the PAUSE). */
    private static VmxHarness pauseLoop(long proc, long gap, long window) {
        return guest("90 f3 90 eb fc", v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY | proc);
            v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 10);
            v.write("PLE_GAP", gap);
            v.write("PLE_WINDOW", window);
        });
    }

    @Test
    void pauseLoopExitingExitsOnceTheLoopOutlastsTheWindow() {
        // 26.1.3: consecutive PAUSEs closer than PLE_Gap form one loop; the first PAUSE more than PLE_Window TSC
        // ticks after the loop's first PAUSE exits with reason 40 (no qualification, length 2)
        VmxHarness h = pauseLoop(0, 1_000_000, 500);
        assertThat(h.exec(VMLAUNCH)).isNull();
        long start = h.cpu.tsc();
        assertThat(h.cpu.run(100_000, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertExit(h, e, ExitReason.PAUSE, 0, 2, 0, 1);
        long elapsed = h.cpu.tsc() - start;
        assertThat(elapsed).as("the loop ran past the window before exiting").isGreaterThan(500);
        assertThat(h.cpu.instructions()).isGreaterThan(4);

        // a larger window: the loop runs longer before the exit
        VmxHarness longer = pauseLoop(0, 1_000_000, 5_000);
        assertThat(longer.exec(VMLAUNCH)).isNull();
        long s2 = longer.cpu.tsc();
        assertThat(longer.cpu.run(1_000_000, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(((VmExit) longer.cpu.lastVmExit()).reason()).isEqualTo(ExitReason.PAUSE);
        assertThat(longer.cpu.tsc() - s2).isGreaterThan(5_000).isGreaterThan(elapsed);
    }

    @Test
    void pausesFartherApartThanTheGapNeverExit() {
        // PLE_Gap 0: every PAUSE starts a new loop, so the window is never exceeded
        VmxHarness h = pauseLoop(0, 0, 0);
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.cpu.run(10_000, Long.MAX_VALUE)).isEqualTo(StopReason.INSTRUCTION_LIMIT);
        assertThat(h.vmx.inNonRoot()).isTrue();
    }

    @Test
    void pauseExitingOverridesPauseLoopExiting() {
        VmxHarness both = pauseLoop(1L << 30, 1_000_000, 1_000_000);          // "PAUSE exiting": the first PAUSE
        assertExit(both, launchAndRun(both), ExitReason.PAUSE, 0, 2, 0, 1);
    }
}
