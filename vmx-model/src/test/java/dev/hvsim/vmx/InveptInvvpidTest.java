package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static dev.hvsim.vmx.VmxHarness.VMXON;
import static dev.hvsim.vmx.VmxHarness.VMXON_REGION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * INVEPT and INVVPID (SDM Vol. 3C 31.3): #UD, VM exit (50 / 53), #GP(0) and VMfail(28) "invalid operand to
 * INVEPT/INVVPID" in the order of their operation sections. The register operand (RCX) is the type, the memory
 * operand at [DATA] the 128-bit descriptor.
 */
class InveptInvvpidTest {
    static final int UD = 6, GP = 13;
    /** 66 0F 38 80 /r and 81 /r with RCX as the type register and [DATA] as the descriptor. */
    static final String INVEPT = "66 0f 38 80 " + VmxHarness.mem(1), INVVPID = "66 0f 38 81 " + VmxHarness.mem(1);

    private static int[] run(VmxHarness h, String insn, long type, long low, long high) {
        h.t.reg(Reg.RCX, type);
        h.t.bus.write(TestCpu.DATA + 8, 8, high);
        return h.exec(insn, low);
    }

    @Test
    void udOutsideVmxOperationAndForARegisterOperand() {
        VmxHarness h = new VmxHarness();
        assertThat(run(h, INVEPT, 2, 0, 0)).containsExactly(UD, -1);
        assertThat(run(h, INVVPID, 2, 0, 0)).containsExactly(UD, -1);
        h.ready();
        assertThat(h.exec("66 0f 38 80 c8")).as("INVEPT rcx, rax").containsExactly(UD, -1);
        assertThat(h.exec("66 0f 38 81 c8")).as("INVVPID rcx, rax").containsExactly(UD, -1);
    }

    @Test
    void gpAtCplAboveZero() {
        VmxHarness h = new VmxHarness().ready();
        h.cpu.setCpl(3);
        assertThat(run(h, INVEPT, 2, 0, 0)).containsExactly(GP, 0);
        assertThat(run(h, INVVPID, 2, 0, 0)).containsExactly(GP, 0);
    }

    @Test
    void withoutACurrentVmcsAFailureIsVmfailInvalid() {
        VmxHarness h = new VmxHarness();
        h.exec(VMXON, VMXON_REGION);
        assertThat(run(h, INVEPT, 0, 0, 0)).isNull();
        assertThat(h.failedInvalid()).isTrue();
        assertThat(run(h, INVEPT, 2, 0, 0)).isNull();
        assertThat(h.succeeded()).isTrue();
    }

    @ParameterizedTest(name = "INVEPT type {0} eptp {1}: error {2}")
    @CsvSource({
        "0, 0x50001e, 28",   // individual-address: not an INVEPT type
        "3, 0x50001e, 28",
        "1, 0x50001e, 0",    // single-context, WB, 4-level
        "1, 0x500018, 0",    // UC
        "1, 0x50005e, 0",    // A/D enabled (EPT_VPID_CAP[21])
        "1, 0x500026, 0",    // 5-level (EPT_VPID_CAP[7])
        "1, 0x50001d, 28",   // memory type 5
        "1, 0x500016, 28",   // walk length 3
        "1, 0x50011e, 28",   // bit 8 reserved
        "1, 0x50009e, 28",   // bit 7 without supervisor shadow-stack control
        "2, 0x50001d, 0",    // all-context: the descriptor is not checked
        "0x100000002, 0, 28"})
    void inveptTypesAndDescriptors(long type, long eptp, int error) {
        VmxHarness h = new VmxHarness().ready();
        assertThat(run(h, INVEPT, type, eptp, 0)).isNull();
        assertThat(error == 0 ? h.succeeded() : h.failedValid(error)).as("error %d", error).isTrue();
    }

    @ParameterizedTest(name = "INVVPID type {0} vpid {1} address {2}: error {3}")
    @CsvSource({
        "0, 1, 0x1000, 0",
        "0, 0, 0x1000, 28",                  // VPID 0
        "0, 1, 0x0000800000000000, 28",      // non-canonical
        "0, 0x10001, 0x1000, 28",            // bits 63:16 of the descriptor
        "1, 1, 0x0000800000000000, 0",       // single-context: the address is not checked
        "1, 0, 0, 28",
        "2, 0, 0, 0",                        // all-context: VPID 0 allowed
        "2, 0x10000, 0, 28",
        "3, 7, 0, 0",
        "3, 0, 0, 28",
        "4, 1, 0, 28"})
    void invvpidTypesAndDescriptors(long type, long low, long linear, int error) {
        VmxHarness h = new VmxHarness().ready();
        assertThat(run(h, INVVPID, type, low, linear)).isNull();
        assertThat(error == 0 ? h.succeeded() : h.failedValid(error)).as("error %d", error).isTrue();
    }

    @Test
    void inNonRootOperationBothExitWithTheirReasonsQualificationAndInformation() {
        for (int reason : new int[] {ExitReason.INVEPT, ExitReason.INVVPID}) {
            String insn = reason == ExitReason.INVEPT ? INVEPT : INVVPID;
            VmxHarness h = new VmxHarness().ready().longModeGuest(insn.replace(" ", ""));
            h.t.mem(GUEST_CODE, insn);
            assertThat(h.exec(VMLAUNCH)).isNull();
            assertThat(h.cpu.run(10, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
            VmExit e = (VmExit) h.cpu.lastVmExit();
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.qualification()).as("displacement").isEqualTo(TestCpu.DATA);
            assertThat(e.instructionLength()).isEqualTo(10);
            // address size 64 (2 << 7), segment DS (3 << 15), no index (bit 22), no base (bit 27), reg2 RCX (1 << 28)
            assertThat(e.instructionInfo()).isEqualTo(2 << 7 | 3 << 15 | 1 << 22 | 1 << 27 | 1 << 28);
            assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
            assertThat(h.vmx.currentVmcs().read("VMX_INSTRUCTION_INFO")).isEqualTo(e.instructionInfo());
        }
    }
}
