package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static dev.hvsim.vmx.VmxHarness.VMRESUME;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * VM entry into a 64-bit guest and VM exits back to the host (SDM Vol. 3C 26.1-26.2 exit conditions, 29.2-29.5
 * exit information, guest-state saving, host-state loading): root-mode code executes VMLAUNCH/VMRESUME, the guest
 * runs on the model until an exit, the run stops with VM_EXIT and the CPU is at HOST_RIP in root operation.
 */
class VmExitTest {

    /** VMLAUNCH from root mode, then run the guest until it exits; returns the exit record. */
    private static VmExit launchAndRun(VmxHarness h) {
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.vmx.lastEntryOutcome().kind()).as("%s", h.vmx.lastEntryOutcome().all())
                .isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(h.vmx.inNonRoot()).isTrue();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        return (VmExit) h.cpu.lastVmExit();
    }

    private static void assertHostLoaded(VmxHarness h) {
        Cpu c = h.cpu;
        assertThat(h.vmx.inNonRoot()).isFalse();
        assertThat(c.state().rip).isEqualTo(HOST_RIP);
        assertThat(c.state().gpr[Reg.RSP]).isEqualTo(TestCpu.STACK);
        assertThat(c.state().seg[Reg.CS].selector).isEqualTo(0x18);
        assertThat(c.mode64()).isTrue();
        assertThat(c.state().rflags()).isEqualTo(2);
        assertThat(c.state().cr3).isEqualTo(TestCpu.PAGING);
        assertThat(c.guestMode().active()).isFalse();
    }

    @Test
    void cpuidExitsWithReason10AndLength2() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("48 c7 c3 07 00 00 00 0f a2"); // mov rbx, 7 ; cpuid
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.entryFailure()).isFalse();
        assertThat(e.instructionLength()).isEqualTo(2);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 7);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(10);
        assertThat(v.read("VM_EXIT_INSTRUCTION_LEN")).isEqualTo(2);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE + 7);
        assertThat(v.read("GUEST_RSP")).isEqualTo(0x38000);
        assertThat(v.read("GUEST_CS_SELECTOR")).isEqualTo(0x18);
        assertThat(v.read("GUEST_CS_AR_BYTES")).isEqualTo(0xa09b);
        assertThat(h.cpu.state().gpr[Reg.RBX]).as("guest register state stays in the CPU").isEqualTo(7);
        assertHostLoaded(h);
    }

    @Test
    void hltExitsWithHltExitingAndTheGuestResumes() {
        // cpuid ; hlt
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f a2 f4");
        h.t.mem(HOST_RIP, "0f 01 c3");                                          // host: vmresume
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_RIP", v.read("GUEST_RIP") + e.instructionLength());      // the VMM skips CPUID
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT); // VMRESUME, then HLT exits
        VmExit hlt = (VmExit) h.cpu.lastVmExit();
        assertThat(hlt.reason()).isEqualTo(ExitReason.HLT);
        assertThat(hlt.instructionLength()).isEqualTo(1);
        assertThat(hlt.guestRip()).isEqualTo(GUEST_CODE + 2);
        assertHostLoaded(h);
    }

    @Test
    void vmcallExitsWithReason18() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f 01 c1");
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.VMCALL);
        assertThat(e.instructionLength()).isEqualTo(3);
        assertHostLoaded(h);
    }

    @Test
    void vmresumeOfTheLaunchedVmcsWorksAndVmlaunchFails4() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f 01 c1");
        launchAndRun(h);
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.failedValid(4)).isTrue();
        assertThat(h.exec(VMRESUME)).isNull();
        assertThat(h.vmx.inNonRoot()).isTrue();
    }

    @Test
    void ioExitsUnconditionally() {
        // e4 60   in al, 0x60
        VmxHarness h = new VmxHarness().ready().longModeGuest("e4 60");
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.IO);
        assertThat(e.qualification()).isEqualTo(0x60L << 16 | 64 | 8);          // port, immediate, IN, size 1
        assertThat(e.instructionLength()).isEqualTo(2);
        assertThat(h.t.bus.ioLog).isEmpty();
    }

    @Test
    void stringIoExitsReportInstructionInformationAndTheLinearAddress() {
        // f3 66 6f   rep outsw (dx, [rsi]) ; 67 6c   insb with 32-bit addressing (es:[edi])
        VmxHarness h = new VmxHarness().ready().longModeGuest("f3 66 6f");
        h.cpu.state().gpr[Reg.RSI] = 0x5000;
        h.cpu.state().gpr[Reg.RDX] = 0x3f8;
        h.cpu.state().gpr[Reg.RCX] = 3;
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.IO);
        assertThat(e.qualification()).isEqualTo(0x3f8L << 16 | 32 | 16 | 1);      // port, REP, string, OUT, size 2
        assertThat(e.instructionLength()).isEqualTo(3);
        assertThat(e.instructionInfo()).isEqualTo(2 << 7 | 3 << 15);               // 64-bit addresses, DS
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VMX_INSTRUCTION_INFO")).isEqualTo(2 << 7 | 3 << 15);
        assertThat(v.read("GUEST_LINEAR_ADDRESS")).isEqualTo(0x5000);
        assertThat(v.read("IO_RSI")).as("I/O RSI is for SMIs only").isZero();
        assertThat(h.t.bus.ioLog).isEmpty();

        VmxHarness g = new VmxHarness().ready().longModeGuest("67 6c");
        g.cpu.state().gpr[Reg.RDI] = 0x1_0000_6000L;                              // bits 63:32 ignored (32-bit)
        g.cpu.state().gpr[Reg.RDX] = 0x60;
        VmExit i = launchAndRun(g);
        assertThat(i.qualification()).isEqualTo(0x60L << 16 | 16 | 8);            // port, string, IN, size 1
        assertThat(i.instructionInfo()).isEqualTo(1 << 7);                         // 32-bit addresses
        assertThat(g.vmx.currentVmcs().read("GUEST_LINEAR_ADDRESS")).isEqualTo(0x6000);
    }

    @Test
    void rdmsrAndWrmsrExitWithoutBitmaps() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f 32");       // rdmsr
        assertThat(launchAndRun(h).reason()).isEqualTo(ExitReason.RDMSR);
        VmxHarness w = new VmxHarness().ready().longModeGuest("0f 30");       // wrmsr
        assertThat(launchAndRun(w).reason()).isEqualTo(ExitReason.WRMSR);
    }

    @Test
    void crAccessesFollowTheMasksAndShadows() {
        // 0f 20 c0  mov rax, cr0 ; 48 0f ba e8 03  bts rax, 3 ; 0f 22 c0  mov cr0, rax
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f 20 c0 48 0f ba e8 03 0f 22 c0");
        Vmcs v = h.vmx.currentVmcs();
        v.write("CR0_GUEST_HOST_MASK", Cpu.CR0_TS | Cpu.CR0_NE);
        v.write("CR0_READ_SHADOW", 0);                                         // the guest sees NE = 0, TS = 0
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CR_ACCESS);
        assertThat(e.qualification()).isEqualTo(0);                            // CR0, MOV to CR, RAX
        assertThat(h.vmx.currentVmcs().read("GUEST_RIP")).isEqualTo(GUEST_CODE + 8);
        assertThat(h.cpu.state().gpr[Reg.RAX] & (Cpu.CR0_NE | Cpu.CR0_TS)).as("shadowed read").isEqualTo(Cpu.CR0_TS);
    }

    @Test
    void cr3LoadExitingAndCr3Targets() {
        // 48 c7 c0 00 00 10 00  mov rax, 0x100000 ; 0f 22 d8  mov cr3, rax ; 0f 22 d8
        VmxHarness h = new VmxHarness().ready().longModeGuest("48 c7 c0 00 00 10 00 0f 22 d8 0f 01 c1");
        Vmcs v = h.vmx.currentVmcs();
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") | 1L << 15);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CR_ACCESS);
        assertThat(e.qualification()).isEqualTo(3);                            // CR3, MOV to CR, RAX
        VmxHarness t = new VmxHarness().ready().longModeGuest("48 c7 c0 00 00 10 00 0f 22 d8 0f 01 c1");
        Vmcs w = t.vmx.currentVmcs();
        w.write("CPU_BASED_VM_EXEC_CONTROL", w.read("CPU_BASED_VM_EXEC_CONTROL") | 1L << 15);
        w.write("CR3_TARGET_COUNT", 1);
        w.write("CR3_TARGET_VALUE0", TestCpu.PAGING);
        assertThat(launchAndRun(t).reason()).as("target value: no exit").isEqualTo(ExitReason.VMCALL);
    }

    @Test
    void exceptionBitmapTurnsUdIntoAnExit() {
        // 0f 0b  ud2
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f 0b");
        h.vmx.currentVmcs().write("EXCEPTION_BITMAP", 1L << 6);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000306);               // valid, hardware exception, #UD
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
    }

    @Test
    void pageFaultExitReportsTheLinearAddressAndLeavesCr2() {
        // mov rax, 100000000H ; mov [rax], rbx — above the 4 GiB the guest's tables map: #PF, error code W (2)
        VmxHarness h = new VmxHarness().ready().longModeGuest("48 b8 00 00 00 00 01 00 00 00 48 89 18");
        h.vmx.currentVmcs().write("EXCEPTION_BITMAP", 1L << 14);
        h.cpu.state().cr2 = 0x1234;
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000b0e);               // valid, error code, hardware, #PF
        assertThat(e.interruptionError()).isEqualTo(2);
        assertThat(e.qualification()).as("the faulting linear address (29.2.1)").isEqualTo(0x100000000L);
        assertThat(e.instructionLength()).isZero();
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 10);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("EXIT_QUALIFICATION")).isEqualTo(0x100000000L);
        assertThat(v.read("VM_EXIT_INTR_ERROR_CODE")).isEqualTo(2);
        assertThat(v.read("GUEST_RIP")).isEqualTo(GUEST_CODE + 10);
        assertThat(h.cpu.state().cr2).as("a #PF that exits does not write CR2").isEqualTo(0x1234);
        assertHostLoaded(h);
    }

    @Test
    void aFaultDuringEventDeliveryReportsTheEventAsIdtVectoringInformation() {
        // ud2 with an empty guest IDT (at 2800H): delivering #UD reads a zero gate and raises #GP(6*8+2+1)
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f 0b");
        h.vmx.currentVmcs().write("EXCEPTION_BITMAP", 1L << 13);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000b0d);               // #GP with error code
        assertThat(e.interruptionError()).isEqualTo(6 * 8 + 2 + 1);            // IDT, EXT
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("IDT_VECTORING_INFO_FIELD")).as("#UD, hardware exception, valid").isEqualTo(0x80000306L);
        assertThat(v.read("IDT_VECTORING_ERROR_CODE")).isZero();
        // an exit not during delivery: IDT-vectoring information invalid
        VmxHarness g = new VmxHarness().ready().longModeGuest("0f a2");
        launchAndRun(g);
        assertThat(g.vmx.currentVmcs().read("IDT_VECTORING_INFO_FIELD")).isZero();
    }

    @Test
    void guestStateFailureIsAnEntryFailureExitToTheHost() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f a2");
        h.vmx.currentVmcs().write("GUEST_TR_SELECTOR", 0x1c);                 // GUEST-TR-TI
        assertThat(h.t.code(VMLAUNCH).step(1)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.entryFailure()).isTrue();
        assertThat(e.reason()).isEqualTo(33);
        assertThat(h.vmx.currentVmcs().read("VM_EXIT_REASON")).isEqualTo(0x80000021L);
        assertThat(h.vmx.lastEntryOutcome().violations()).extracting(Violation::id).containsExactly("GUEST-TR-TI");
        assertHostLoaded(h);
    }

    @Test
    void controlFailureIsVmfailValid7AndHostFailure8() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f a2");
        h.vmx.currentVmcs().write("PIN_BASED_VM_EXEC_CONTROL", 0x116); // bit 8: reserved
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.failedValid(7)).isTrue();
        h.vmx.currentVmcs().write("PIN_BASED_VM_EXEC_CONTROL", 0x16);
        h.vmx.currentVmcs().write("HOST_CS_SELECTOR", 0);
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(h.failedValid(8)).isTrue();
        assertThat(h.vmx.inNonRoot()).isFalse();
    }

    @Test
    void msrLoadFailureIsReason34WithTheEntryNumber() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f a2");
        Vmcs v = h.vmx.currentVmcs();
        v.write("VM_ENTRY_MSR_LOAD_ADDR", 0x5000);
        v.write("VM_ENTRY_MSR_LOAD_COUNT", 2);
        h.t.bus.write(0x5000, 8, 0x277);                                      // IA32_PAT, valid
        h.t.bus.write(0x5008, 8, 0x0007040600070406L);
        h.t.bus.write(0x5010, 8, 0xc0000100L);                                // IA32_FS_BASE: refused
        assertThat(h.t.code(VMLAUNCH).step(1)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).isEqualTo(34);
        assertThat(e.qualification()).isEqualTo(2);
    }

    private static VmxHarness withProc(String code, int... bits) {
        VmxHarness h = new VmxHarness().ready().longModeGuest(code);
        Vmcs v = h.vmx.currentVmcs();
        long p = v.read("CPU_BASED_VM_EXEC_CONTROL");
        for (int b : bits) {
            p |= 1L << b;
        }
        v.write("CPU_BASED_VM_EXEC_CONTROL", p);
        return h;
    }

    @Test
    void instructionExitsOfThePrimaryControls() {
        assertThat(launchAndRun(withProc("0f 31", 12)).reason()).isEqualTo(ExitReason.RDTSC);       // rdtsc
        assertThat(launchAndRun(withProc("f3 90", 30)).reason()).isEqualTo(ExitReason.PAUSE);       // pause
        assertThat(launchAndRun(withProc("31 c9 0f 33", 11)).reason()).isEqualTo(ExitReason.RDPMC); // xor ecx,ecx; rdpmc
        // 0f 01 3c 25 34 12 00 00   invlpg [0x1234]
        VmExit e = launchAndRun(withProc("0f 01 3c 25 34 12 00 00", 9));
        assertThat(e.reason()).isEqualTo(ExitReason.INVLPG);
        assertThat(e.qualification()).isEqualTo(0x1234);
        assertThat(e.instructionLength()).isEqualTo(8);
        // without the controls the same instructions run (then VMCALL exits)
        assertThat(launchAndRun(withProc("0f 31 f3 90 0f 01 c1")).reason()).isEqualTo(ExitReason.VMCALL);
    }

    @Test
    void rdtscpIsUdWithoutSecondaryControls() {
        VmxHarness h = withProc("0f 01 f9");                                   // rdtscp
        h.vmx.currentVmcs().write("EXCEPTION_BITMAP", 1L << 6);
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo() & 0xff).isEqualTo(6);
    }

    @Test
    void msrBitmapsDecidePerMsr() {
        // b9 10 00 00 00  mov ecx, 0x10 (TSC) ; 0f 32 rdmsr ; b9 77 02 00 00  mov ecx, 0x277 ; 0f 32
        VmxHarness h = withProc("b9 10 00 00 00 0f 32 b9 77 02 00 00 0f 32", 28);
        h.vmx.currentVmcs().write("MSR_BITMAP", 0x6000);
        h.t.bus.write(0x6000 + (0x277 >>> 3), 1, 1 << (0x277 & 7));            // read-low bit of IA32_PAT
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.RDMSR);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 12);                  // the TSC read did not exit
    }

    @Test
    void ioBitmapsDecidePerPort() {
        // e4 60  in al, 0x60 ; e4 61  in al, 0x61
        VmxHarness h = withProc("e4 60 e4 61", 25);
        Vmcs v = h.vmx.currentVmcs();
        v.write("IO_BITMAP_A", 0x6000);
        v.write("IO_BITMAP_B", 0x7000);
        h.t.bus.write(0x6000 + (0x61 >>> 3), 1, 1 << (0x61 & 7));
        VmExit e = launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.IO);
        assertThat(e.qualification() >>> 16).isEqualTo(0x61);
        assertThat(h.t.bus.ioLog).hasSize(1);                                   // port 0x60 was read by the guest
    }

    @Test
    void cr8LoadExiting() {
        // 44 0f 22 c0  mov cr8, rax
        VmExit e = launchAndRun(withProc("44 0f 22 c0", 19));
        assertThat(e.reason()).isEqualTo(ExitReason.CR_ACCESS);
        assertThat(e.qualification()).isEqualTo(8);
    }

    @Test
    void vmxInstructionsInNonRootExitWithInstructionInformation() {
        // 0f 78 c8  vmread rax, rcx  -> reason 23, register form: reg2 = RCX (31:28), reg1 = RAX (6:3), bit 10
        VmExit e = launchAndRun(new VmxHarness().ready().longModeGuest("0f 78 c8"));
        assertThat(e.reason()).isEqualTo(ExitReason.VMREAD);
        assertThat(e.instructionInfo()).isEqualTo(1 << 28 | 1 << 10 | 2 << 7);
        assertThat(e.qualification()).isZero();
        // 0f c7 34 25 00 00 02 00  vmptrld [0x20000] -> reason 21, qualification = displacement, no base/index
        VmExit p = launchAndRun(new VmxHarness().ready().longModeGuest("0f c7 34 25 00 00 02 00"));
        assertThat(p.reason()).isEqualTo(ExitReason.VMPTRLD);
        assertThat(p.qualification()).isEqualTo(0x20000);
        assertThat(p.instructionInfo()).isEqualTo(1 << 27 | 1 << 22 | 3 << 15 | 2 << 7);
        // 0f 01 c2  vmlaunch in non-root: reason 20 (BASIC-NONROOT)
        assertThat(launchAndRun(new VmxHarness().ready().longModeGuest("0f 01 c2")).reason())
                .isEqualTo(ExitReason.VMLAUNCH);
    }

    @Test
    void vmlaunchRightAfterMovSsIsVmfailValid26() {
        VmxHarness h = new VmxHarness().ready().longModeGuest("0f a2");
        // 8e d0  mov ss, eax ; 0f 01 c2  vmlaunch   (BASIC-MOVSS)
        h.t.reg(dev.hvsim.x86core.Reg.RAX, 0x10);
        h.t.code("8e d0 0f 01 c2");
        assertThat(h.t.step(2)).isNotEqualTo(StopReason.VM_EXIT);
        assertThat(h.failedValid(26)).isTrue();
        assertThat(h.vmx.inNonRoot()).isFalse();
    }
}
