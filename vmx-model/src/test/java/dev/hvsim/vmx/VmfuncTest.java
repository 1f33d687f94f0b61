package dev.hvsim.vmx;

import static dev.hvsim.vmx.EptExitTest.EPTP;
import static dev.hvsim.vmx.EptExitTest.PS;
import static dev.hvsim.vmx.EptExitTest.RWX;
import static dev.hvsim.vmx.EptExitTest.WB;
import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * VM functions (secondary control 13, IA32_VMX_VMFUNC; SDM Vol. 3C 31.3 VMFUNC and "VM Functions" / "EPTP Switching"
 * of the non-root chapter): VMFUNC leaf 0 switches the EPTP to an entry of the 512-entry EPTP list, and the guest's
 * next access translates through the new EPT (the core's TLB switches to the (VPID, new EPTP) context); an invalid
 * leaf, index or list entry exits with reason 59; VMFUNC without the control, or in root operation, is #UD.
 */
class VmfuncTest {
    /** A second EPT for the first GiB: PML4 530000H, PDPT 531000H, PD 532000H; 700000H maps to 900000H. */
    static final long EPT2 = 0x530000, EPTP2 = EPT2 | 3 << 3 | 6, EPTP_LIST = 0x540000;
    /** mov rax, [700000H] */
    static final String LOAD_700000 = "48 8b 04 25 00 00 70 00";
    /** 0f 01 d4   vmfunc */
    static final String VMFUNC = "0f 01 d4";

    static void buildEpt2(TestCpu t) {
        t.bus.write(EPT2, 8, (EPT2 + 0x1000) | RWX);
        t.bus.write(EPT2 + 0x1000, 8, (EPT2 + 0x2000) | RWX);
        for (int j = 0; j < 512; j++) {
            long hpa = j == 3 ? 0x800000 : (long) j << 21;                       // 600000H-7FFFFFH to 800000H
            t.bus.write(EPT2 + 0x2000 + j * 8, 8, hpa | PS | WB | RWX);
        }
    }

    /** An EPT guest (EptExitTest's identity EPT, VPID 1) with EPTP switching over the list {EPTP, EPTP2}. */
    static VmxHarness vmfuncGuest(String code) {
        VmxHarness h = EptExitTest.eptGuest(code);
        buildEpt2(h.t);
        h.t.bus.write(EPTP_LIST, 8, EPTP);
        h.t.bus.write(EPTP_LIST + 8, 8, EPTP2);
        Vmcs v = h.vmx.currentVmcs();
        v.write("SECONDARY_VM_EXEC_CONTROL", v.read("SECONDARY_VM_EXEC_CONTROL") | 1L << 13);
        v.write("VM_FUNCTION_CONTROL", 1);
        v.write("EPTP_LIST_ADDRESS", EPTP_LIST);
        h.t.bus.write(0x700000, 8, 0xaaaa);
        h.t.bus.write(0x900000, 8, 0xbbbb);
        return h;
    }

    @Test
    void eptpSwitchingTranslatesThroughTheNewEptRightAfterVmfunc() {
        // mov rax, [700000H] ; mov rbx, rax ; xor eax, eax ; mov ecx, 1 ; vmfunc ; mov rax, [700000H] ; cpuid
        VmxHarness h = vmfuncGuest(LOAD_700000 + " 48 89 c3 31 c0 b9 01 00 00 00 " + VMFUNC + " " + LOAD_700000
                + " 0f a2");
        VmExit e = EptExitTest.launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(h.cpu.state().gpr[Reg.RBX]).as("before VMFUNC: the identity EPT").isEqualTo(0xaaaa);
        assertThat(h.cpu.state().gpr[Reg.RAX]).as("after VMFUNC: 700000H through EPT2 is 900000H").isEqualTo(0xbbbb);
        assertThat(h.vmx.currentVmcs().read("EPT_POINTER")).as("the EPTP field is updated").isEqualTo(EPTP2);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 29);                  // 8 + 3 + 2 + 5 + 3 + 8 bytes
    }

    @Test
    void switchingBackReusesTheFirstEpt() {
        // ... vmfunc(1) ; mov rax, [700000H] ; mov rbx, rax ; xor ecx, ecx ; xor eax, eax ; vmfunc(0) ;
        // mov rax, [700000H] ; cpuid
        VmxHarness h = vmfuncGuest("31 c0 b9 01 00 00 00 " + VMFUNC + " " + LOAD_700000 + " 48 89 c3 31 c9 31 c0 "
                + VMFUNC + " " + LOAD_700000 + " 0f a2");
        assertThat(EptExitTest.launchAndRun(h).reason()).isEqualTo(ExitReason.CPUID);
        assertThat(h.cpu.state().gpr[Reg.RBX]).isEqualTo(0xbbbb);
        assertThat(h.cpu.state().gpr[Reg.RAX]).isEqualTo(0xaaaa);
        assertThat(h.vmx.currentVmcs().read("EPT_POINTER")).isEqualTo(EPTP);
    }

    private static void assertVmfuncExit(VmxHarness h, VmExit e, long rip) {
        assertThat(e.reason()).isEqualTo(ExitReason.VMFUNC).isEqualTo(59);
        assertThat(e.qualification()).isZero();
        assertThat(e.instructionLength()).isEqualTo(3);
        assertThat(e.instructionInfo()).isZero();
        assertThat(e.guestRip()).isEqualTo(rip);
        Vmcs v = h.vmx.currentVmcs();
        assertThat(v.read("VM_EXIT_REASON")).isEqualTo(59);
        assertThat(v.read("VM_EXIT_INSTRUCTION_LEN")).isEqualTo(3);
        assertThat(v.read("GUEST_RIP")).isEqualTo(rip);
        assertThat(v.read("EPT_POINTER")).as("unchanged").isEqualTo(EPTP);
    }

    @Test
    void anUnsupportedFunctionExitsWithReason59() {
        // mov eax, 1 ; xor ecx, ecx ; vmfunc
        VmxHarness h = vmfuncGuest("b8 01 00 00 00 31 c9 " + VMFUNC);
        assertVmfuncExit(h, EptExitTest.launchAndRun(h), GUEST_CODE + 7);
        VmxHarness big = vmfuncGuest("b8 40 00 00 00 31 c9 " + VMFUNC);          // EAX = 64
        assertVmfuncExit(big, EptExitTest.launchAndRun(big), GUEST_CODE + 7);
    }

    @Test
    void anIndexOf512OrAnInvalidEntryExitsWithReason59() {
        // xor eax, eax ; mov ecx, 512 ; vmfunc
        VmxHarness h = vmfuncGuest("31 c0 b9 00 02 00 00 " + VMFUNC);
        assertVmfuncExit(h, EptExitTest.launchAndRun(h), GUEST_CODE + 7);
        // entry 2 is 0: memory type UC with a walk length of 1 is not a valid EPTP
        VmxHarness zero = vmfuncGuest("31 c0 b9 02 00 00 00 " + VMFUNC);
        assertVmfuncExit(zero, EptExitTest.launchAndRun(zero), GUEST_CODE + 7);
        // entry 3 sets a reserved bit (11:8)
        VmxHarness rsvd = vmfuncGuest("31 c0 b9 03 00 00 00 " + VMFUNC);
        rsvd.t.bus.write(EPTP_LIST + 24, 8, EPTP2 | 0x100);
        assertVmfuncExit(rsvd, EptExitTest.launchAndRun(rsvd), GUEST_CODE + 7);
    }

    @Test
    void vmfuncIsUdWithoutEnableVmFunctionsAndInRootOperation() {
        VmxHarness h = vmfuncGuest("31 c0 31 c9 " + VMFUNC);
        Vmcs v = h.vmx.currentVmcs();
        v.write("SECONDARY_VM_EXEC_CONTROL", v.read("SECONDARY_VM_EXEC_CONTROL") & ~(1L << 13));
        v.write("EXCEPTION_BITMAP", 1L << 6);
        VmExit e = EptExitTest.launchAndRun(h);
        assertThat(e.reason()).isEqualTo(ExitReason.EXCEPTION_OR_NMI);
        assertThat(e.interruptionInfo()).isEqualTo(0x80000306);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 4);

        VmxHarness root = new VmxHarness().ready();
        assertThat(root.exec(VMFUNC)).containsExactly(6, -1);
    }

    @Test
    void theCapabilityMsrAdvertisesEptpSwitchingOnly() {
        VmxHarness h = new VmxHarness();
        assertThat(h.vmx.capabilities().vmfunc().raw()).isEqualTo(1);
        assertThat(h.vmx.capabilities().vmfunc().eptpSwitching()).isTrue();
    }
}
