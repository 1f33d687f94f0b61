package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.math.BigInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The instruction-level VM-execution controls of issue 4 (SDM Vol. 3C 26.1.3 "Instructions That Cause VM Exits
 * Conditionally", 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation", exit information 29.2): TSC
 * offsetting and scaling, enable RDTSCP, enable INVPCID, MOV-DR exiting, descriptor-table exiting, WBINVD exiting
 * and the unconditional INVD exit. Each exit test has the guest trigger the exit and checks reason, qualification,
 * instruction length and information, the saved guest RIP and the loaded host state.
 */
class InstructionControlsTest {
    private static final long PRIMARY = 0x04006172L | 1L << 7 | 1L << 24, ACTIVATE_SECONDARY = 1L << 31;
    /** cpuid: ends a guest with a VM exit (reason 10). */
    private static final String CPUID = "0f a2";
    /** shl rdx, 32 ; or rax, rdx : EDX:EAX into RAX. */
    private static final String EDX_EAX = "48 c1 e2 20 48 09 d0";

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

    private static void assertHostLoaded(VmxHarness h) {
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(HOST_RIP);
        assertThat(h.cpu.state().gpr[Reg.RSP]).isEqualTo(TestCpu.STACK);
        assertThat(h.cpu.state().cr3).isEqualTo(TestCpu.PAGING);
        assertThat(h.cpu.guestMode().active()).isFalse();
    }

    /** Asserts the exit record and the VMCS exit-information fields agree and the guest RIP is {@code ripOffset}. */
    private static void assertExit(VmxHarness h, VmExit e, int reason, long qualification, int length, int info,
            long ripOffset) {
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.qualification()).isEqualTo(qualification);
        assertThat(e.instructionLength()).isEqualTo(length);
        assertThat(e.instructionInfo()).isEqualTo(info);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(reason);
        assertThat(v.read("EXIT_QUALIFICATION")).isEqualTo(qualification);
        assertThat(v.read("VM_EXIT_INSTRUCTION_LEN")).isEqualTo(length);
        assertThat(v.read("VMX_INSTRUCTION_INFO")).isEqualTo(info);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE + ripOffset);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + ripOffset);
        assertThat(v.read("GUEST_RSP")).isEqualTo(0x38000);
        assertThat(v.read("GUEST_CS_SELECTOR")).isEqualTo(0x18);
        assertThat(v.read("GUEST_CR3")).isEqualTo(TestCpu.PAGING);
        assertHostLoaded(h);
    }

    // ------------------------------------------------------------------ TSC offsetting and scaling

    /**
     * rdtsc, EDX:EAX into RBX; mov ecx, 10H; rdmsr (through an all-zero MSR bitmap: no exit), EDX:EAX into RSI;
     * cpuid. Returns {RBX, RSI} after the CPUID exit; the TSC starts at {@code start}.
     */
    private static long[] readTscTwice(long start, long proc, long proc2, long offset, long multiplier) {
        String code = "0f 31 " + EDX_EAX + " 48 89 c3 b9 10 00 00 00 0f 32 " + EDX_EAX + " 48 89 c6 " + CPUID;
        VmxHarness h = guest(code, v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 28 | proc);
            v.write("MSR_BITMAP", 0x403000);
            v.write("SECONDARY_VM_EXEC_CONTROL", proc2);
            v.write("TSC_OFFSET", offset);
            v.write("TSC_MULTIPLIER", multiplier);
        });
        h.cpu.setTsc(start);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(h.cpu.readTsc()).as("root operation reads the plain TSC").isEqualTo(h.cpu.tsc());
        return new long[] {h.cpu.state().gpr[Reg.RBX], h.cpu.state().gpr[Reg.RSI]};
    }

    private static long scaled(long tsc, long multiplier, long offset) {
        BigInteger p = new BigInteger(Long.toUnsignedString(tsc)).multiply(new BigInteger(Long.toUnsignedString(multiplier)));
        return p.shiftRight(48).longValue() + offset;
    }

    @Test
    void tscOffsettingAddsTheOffsetToRdtscAndRdmsr() {
        long start = 0x1234_5678_9abcL;
        long[] plain = readTscTwice(start, 0, 0, 0x7777_0000L, 0);
        assertThat(plain[1]).as("time passes between the reads").isGreaterThan(plain[0]);
        long[] offset = readTscTwice(start, 1L << 3, 0, 0x7777_0000L, 0);
        assertThat(offset[0]).isEqualTo(plain[0] + 0x7777_0000L);
        assertThat(offset[1]).isEqualTo(plain[1] + 0x7777_0000L);
        long[] negative = readTscTwice(start, 1L << 3, 0, -0x1000L, 0);  // a negative offset (two's complement)
        assertThat(negative[0]).isEqualTo(plain[0] - 0x1000L);
    }

    @Test
    void tscScalingMultipliesThenShiftsBy48ThenAddsTheOffset() {
        long start = 0xf123_4567_89ab_cdefL;                              // a large TSC: the product needs 128 bits
        long[] plain = readTscTwice(start, 0, 0, 0, 0);
        long m = 0x1_8000_0000_0000L;                                      // 1.5 in 16.48 fixed point
        long[] s = readTscTwice(start, 1L << 3 | ACTIVATE_SECONDARY, 1L << 25, 5, m);
        assertThat(s[0]).isEqualTo(scaled(plain[0], m, 5));
        assertThat(s[1]).isEqualTo(scaled(plain[1], m, 5));
        assertThat(s[0]).isNotEqualTo(plain[0] + 5);
        // scaling applies only together with offsetting
        long[] noOffsetting = readTscTwice(start, ACTIVATE_SECONDARY, 1L << 25, 5, m);
        assertThat(noOffsetting).containsExactly(plain);
    }

    @Test
    void rdtscExitingTakesPrecedenceOverOffsetting() {
        VmxHarness h = guest("0f 31 " + CPUID, v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 3 | 1L << 12);
            v.write("TSC_OFFSET", 0x1000);
        });
        h.cpu.state().gpr[Reg.RAX] = 0xaa;
        VmExit e = launchAndRun(h);
        assertExit(h, e, ExitReason.RDTSC, 0, 2, 0, 0);
        assertThat(h.cpu.state().gpr[Reg.RAX]).as("RDTSC did not execute").isEqualTo(0xaa);
    }

    // ------------------------------------------------------------------ enable RDTSCP, enable INVPCID

    @Test
    void rdtscpIsUdWithoutEnableRdtscp() {
        VmxHarness h = guest("0f 01 f9", v -> v.write("EXCEPTION_BITMAP", 1L << 6));
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000306);           // valid, hardware exception, #UD
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertHostLoaded(h);
    }

    @Test
    void rdtscpExitsWithReason51UnderRdtscExiting() {
        VmxHarness h = guest("0f 01 f9", v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY | 1L << 12);
            v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 3);
        });
        assertExit(h, launchAndRun(h), ExitReason.RDTSCP, 0, 3, 0, 0);
    }

    @Test
    void rdtscpWithEnableRdtscpReadsTheOffsetTscAndTscAux() {
        long[] plain = new long[1], offset = new long[1];
        for (long off : new long[] {0, 0x5000_0000L}) {
            VmxHarness h = guest("0f 01 f9 " + EDX_EAX + " 48 89 c3 " + CPUID, v -> {
                v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY | 1L << 3);
                v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 3);
                v.write("TSC_OFFSET", off);
            });
            h.cpu.state().msr.put(Msr.IA32_TSC_AUX, 0x42);
            assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.CPUID);
            assertThat(h.cpu.state().gpr[Reg.RCX]).isEqualTo(0x42);
            (off == 0 ? plain : offset)[0] = h.cpu.state().gpr[Reg.RBX];
        }
        assertThat(offset[0]).isEqualTo(plain[0] + 0x5000_0000L);
    }

    @Test
    void invpcidIsUdWithoutEnableInvpcid() {
        // 66 0f 38 82 54 b3 10   invpcid rdx, [rbx+rsi*4+10H]
        VmxHarness h = guest("66 0f 38 82 54 b3 10", v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 9);       // INVLPG exiting alone does not help
            v.write("EXCEPTION_BITMAP", 1L << 6);
        });
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo() & 0xff).isEqualTo(6);
    }

    @Test
    void invpcidExitsWithReason58AndInstructionInformationUnderInvlpgExiting() {
        VmxHarness h = guest("66 0f 38 82 54 b3 10", v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY | 1L << 9);
            v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 12);
        });
        // scaling x4, 64-bit addresses, DS, index RSI, base RBX, reg2 RDX
        int info = 2 | 2 << 7 | 3 << 15 | Reg.RSI << 18 | Reg.RBX << 23 | Reg.RDX << 28;
        assertExit(h, launchAndRun(h), ExitReason.INVPCID, 0x10, 7, info, 0);
    }

    // ------------------------------------------------------------------ MOV-DR exiting

    @Test
    void movFromDrExitsWithDrNumberDirectionAndRegister() {
        // 0f 21 f8   mov rax, dr7
        VmxHarness h = guest("0f 21 f8", v -> v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 23));
        assertExit(h, launchAndRun(h), ExitReason.MOV_DR, 7 | 1 << 4, 3, 0, 0);
    }

    @Test
    void movToDrExitsWithTheSourceRegister() {
        // 41 0f 23 d9   mov dr3, r9
        VmxHarness h = guest("41 0f 23 d9", v -> v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 23));
        h.cpu.state().gpr[9] = 0x1234;
        assertExit(h, launchAndRun(h), ExitReason.MOV_DR, 3 | 9 << 8, 4, 0, 0);
        assertThat(h.cpu.state().dr[3]).as("DR3 not written").isZero();
    }

    /**
     * DR7.GD: without MOV-DR exiting the access is a #DB (DR6.BD); with it the exit wins (26.1.1: fault-like exits
     * precede exceptions other than #UD, privilege #GP and I/O-permission #GP; 26.1.3 MOV DR), GD stays set.
     */
    @Test
    void generalDetectIsADebugExceptionWithoutMovDrExitingAndLosesToTheExit() {
        Consumer<Vmcs> gd = v -> {
            v.write("VM_ENTRY_CONTROLS", v.read("VM_ENTRY_CONTROLS") | 1L << 2);  // load debug controls
            v.write("GUEST_DR7", 0x400L | 1L << 13);
            v.write("EXCEPTION_BITMAP", 1L << 1);
        };
        VmxHarness db = guest("0f 21 c0", gd);                               // mov rax, dr0
        VmExit e = launchAndRun(db);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo() & 0xff).isEqualTo(1);
        assertThat(db.cpu.state().dr[6] & 1L << 13).as("DR6.BD").isNotZero();

        VmxHarness exit = guest("0f 21 c0", gd.andThen(v -> v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 23)));
        assertExit(exit, launchAndRun(exit), ExitReason.MOV_DR, 1 << 4, 3, 0, 0);
        assertThat(exit.vmx.currentVmcs().read("GUEST_DR7") & 1L << 13).as("GD still set").isNotZero();
    }

    // ------------------------------------------------------------------ descriptor-table exiting

    private static VmxHarness descriptorTableGuest(String code) {
        return guest(code, v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY);
            v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 2);
        });
    }

    @Test
    void sgdtExitsWithReason46() {
        // 0f 01 44 b3 10   sgdt [rbx+rsi*4+10H]
        VmxHarness h = descriptorTableGuest("0f 01 44 b3 10");
        int info = 2 | 2 << 7 | 1 << 11 | 3 << 15 | Reg.RSI << 18 | Reg.RBX << 23;   // identity 0: SGDT
        assertExit(h, launchAndRun(h), ExitReason.GDTR_IDTR, 0x10, 5, info, 0);
    }

    @Test
    void lidtExitsWithReason46AndDoesNotLoadIdtr() {
        // 0f 01 1c 25 00 00 02 00   lidt [20000H]
        VmxHarness h = descriptorTableGuest("0f 01 1c 25 00 00 02 00");
        long idtr = h.vmx.currentVmcs().read("GUEST_IDTR_BASE");
        int info = 2 << 7 | 1 << 11 | 3 << 15 | 1 << 22 | 1 << 27 | 3 << 28;          // identity 3: LIDT
        assertExit(h, launchAndRun(h), ExitReason.GDTR_IDTR, 0x20000, 8, info, 0);
        assertThat(h.vmx.currentVmcs().read("GUEST_IDTR_BASE")).isEqualTo(idtr);
    }

    @Test
    void sldtOfARegisterExitsWithReason47() {
        // 0f 00 c1   sldt ecx
        VmxHarness h = descriptorTableGuest("0f 00 c1");
        assertExit(h, launchAndRun(h), ExitReason.LDTR_TR, 0, 3, Reg.RCX << 3 | 2 << 7 | 1 << 10, 0);
    }

    @Test
    void ltrOfMemoryWith32BitAddressesExitsWithReason47() {
        // 67 0f 00 1b   ltr [ebx]
        VmxHarness h = descriptorTableGuest("67 0f 00 1b");
        int info = 1 << 7 | 3 << 15 | 1 << 22 | Reg.RBX << 23 | 3 << 28;              // identity 3: LTR
        assertExit(h, launchAndRun(h), ExitReason.LDTR_TR, 0, 4, info, 0);
    }

    @Test
    void descriptorTableInstructionsRunWithoutTheControl() {
        // 0f 01 04 25 00 00 02 00   sgdt [20000H] ; cpuid
        VmxHarness h = guest("0f 01 04 25 00 00 02 00 " + CPUID, v -> { });
        assertExit(h, launchAndRun(h), ExitReason.CPUID, 0, 2, 0, 8);
        assertThat(h.t.bus.read(TestCpu.DATA + 2, 8)).isEqualTo(h.vmx.currentVmcs().read("GUEST_GDTR_BASE"));
    }

    // ------------------------------------------------------------------ WBINVD exiting, INVD

    @Test
    void wbinvdExitsOnlyWithWbinvdExiting() {
        VmxHarness plain = guest("0f 09 " + CPUID, v -> { });
        assertExit(plain, launchAndRun(plain), ExitReason.CPUID, 0, 2, 0, 2);
        VmxHarness h = guest("0f 09", v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | ACTIVATE_SECONDARY);
            v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 6);
        });
        assertExit(h, launchAndRun(h), ExitReason.WBINVD, 0, 2, 0, 0);
    }

    @Test
    void invdAlwaysExits() {
        VmxHarness h = guest("0f 08", v -> { });
        assertExit(h, launchAndRun(h), ExitReason.INVD, 0, 2, 0, 0);
    }

    // ------------------------------------------------------------------ TPR shadow

    private static final long VAPIC = 0x404000;

    private static VmxHarness tprGuest(String code, long extraProc, long threshold, long vtpr) {
        VmxHarness h = guest(code, v -> {
            v.write("CPU_BASED_VM_EXEC_CONTROL", PRIMARY | 1L << 21 | extraProc);
            v.write("VIRTUAL_APIC_PAGE_ADDR", VAPIC);
            v.write("TPR_THRESHOLD", threshold);
        });
        h.t.bus.write(VAPIC + 0x80, 4, vtpr);
        return h;
    }

    /**
     * mov eax, 5 ; mov cr8, rax ; mov rbx, cr8 ; cpuid: with "use TPR shadow" and no CR8 exiting the MOVs use VTPR
     * (byte 80H of the virtual-APIC page), not CR8.
     */
    @Test
    void movCr8UsesVtprWithTprShadow() {
        VmxHarness h = tprGuest("b8 05 00 00 00 44 0f 22 c0 44 0f 20 c3 " + CPUID, 0, 0, 0xffff_ff2fL);
        h.cpu.state().gpr[Reg.RBX] = -1;
        VmExit e = launchAndRun(h);
        assertExit(h, e, ExitReason.CPUID, 0, 2, 0, 13);
        assertThat(h.t.bus.read(VAPIC + 0x80, 4)).as("VTPR[7:4] = 5, bits 3:0 and bytes 1-3 cleared").isEqualTo(0x50);
        assertThat(h.cpu.state().gpr[Reg.RBX]).as("MOV from CR8 reads VTPR[7:4]").isEqualTo(5);
        assertThat(h.cpu.state().cr8).as("CR8 untouched").isZero();
    }

    @Test
    void movFromCr8ReadsTheVtprTheVmmWrote() {
        VmxHarness h = tprGuest("44 0f 20 c3 " + CPUID, 0, 0, 0x9c);        // mov rbx, cr8 ; cpuid
        h.cpu.state().cr8 = 2;
        launchAndRun(h);
        assertThat(h.cpu.state().gpr[Reg.RBX]).isEqualTo(9);
    }

    /** mov eax, 3 ; mov cr8, rax ; nop: VTPR[7:4] = 3 < threshold 4, a trap-like exit 43 after the MOV. */
    @Test
    void movToCr8BelowTheThresholdExitsWithReason43AfterTheInstruction() {
        VmxHarness h = tprGuest("b8 03 00 00 00 44 0f 22 c0 90", 0, 4, 0x50);
        assertExit(h, launchAndRun(h), ExitReason.TPR_BELOW_THRESHOLD, 0, 0, 0, 9);
        assertThat(h.t.bus.read(VAPIC + 0x80, 4)).as("the write completed").isEqualTo(0x30);
        // at the threshold: no exit
        VmxHarness at = tprGuest("b8 04 00 00 00 44 0f 22 c0 " + CPUID, 0, 4, 0x50);
        assertThat(launchAndRun(at).reason()).isEqualTo(ExitReason.CPUID);
    }

    @Test
    void cr8ExitingStillExitsWithTprShadow() {
        VmxHarness load = tprGuest("44 0f 22 c0", 1L << 19, 0, 0x50);       // mov cr8, rax
        assertExit(load, launchAndRun(load), ExitReason.CR_ACCESS, 8, 4, 0, 0);
        assertThat(load.t.bus.read(VAPIC + 0x80, 4)).isEqualTo(0x50);
        VmxHarness store = tprGuest("44 0f 20 c3", 1L << 20, 0, 0x50);      // mov rbx, cr8
        assertExit(store, launchAndRun(store), ExitReason.CR_ACCESS, 8 | 1 << 4 | Reg.RBX << 8, 4, 0, 0);
    }

    @Test
    void aThresholdAboveVtprFailsVmEntry() {
        VmxHarness h = tprGuest(CPUID, 0, 6, 0x50);
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.failedValid(7)).isTrue();
        assertThat(h.vmx.lastEntryOutcome().violations()).extracting(Violation::id)
                .containsExactly("CTRL-TPR-THRESHOLD-VTPR");
    }
}
