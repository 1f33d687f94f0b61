package dev.hvsim.vmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Invalidations inside a guest affect only the guest's tag (SDM Vol. 3C 30.4.1 "Caching Translation Information",
 * VPID tagging: "invalidate ... associated with the current VPID"; 4.10.4.1 for MOV CR3, MOV CR4 and INVLPG), the
 * counterpart of svm-model's AsidTlbTest.guestInvalidationsLeaveTheHostAlone: the host (VPID 0000H) reads X, then
 * moves X's 2-MiB page without invalidating; the guest (same page tables, identity EPT) executes MOV CR3, MOV CR4
 * and INVLPG X, reads X (the new page) and exits with VMCALL. With VPID 1 the host still uses its stale
 * translation after the exit; with "enable VPID" off, VM entry and VM exit invalidate VPID 0000H's mappings
 * (28.3.3.3, 29.5.5), so the host sees the new page.
 */
class GuestTagTest {
    static final long X = 0x4000_0000L, OLD = 0x4000_0000L, NEW = 0x4020_0000L;
    static final String HOST_READ = "48 8b 04 25 00 00 00 40"; // mov rax, [0x40000000]
    // mov rax, cr3; mov cr3, rax; mov rax, cr4; mov cr4, rax; invlpg [0x40000000]; mov rax, [0x40000000]; vmcall
    static final String GUEST = "0f 20 d8 0f 22 d8 0f 20 e0 0f 22 e0 0f 01 3c 25 00 00 00 40 "
            + "48 8b 04 25 00 00 00 40 0f 01 c1";

    private static long hostRead(VmxHarness h) {
        assertThat(h.t.reg(Reg.RAX, 0).code(HOST_READ).fault()).isNull();
        return h.t.reg(Reg.RAX);
    }

    @ParameterizedTest(name = "VPID {0}: host flushed {1}")
    @CsvSource({"1, false", "0, true"})
    void guestInvalidationsTouchOnlyTheGuestsTag(int vpid, boolean hostFlushed) {
        VmxHarness h = EptExitTest.eptGuest(GUEST);
        Vmcs v = h.vmx.currentVmcs();
        v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 1 | (vpid != 0 ? 1L << 5 : 0));
        v.write("VIRTUAL_PROCESSOR_ID", vpid);
        h.t.bus.write(OLD, 8, 0x01d);
        h.t.bus.write(NEW, 8, 0x0e1);
        assertThat(hostRead(h)).isEqualTo(0x01d);
        h.t.bus.write(TestCpu.PAGING + 0x3000, 8, NEW | 0x87); // PD of the second GiB, entry 0: X now maps NEW
        assertThat(hostRead(h)).as("stale before anything").isEqualTo(0x01d);

        assertThat(h.exec(VmxHarness.VMLAUNCH)).isNull();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).as("the guest ran to its VMCALL").isEqualTo(ExitReason.VMCALL);
        assertThat(h.t.reg(Reg.RAX)).as("the guest sees the new mapping").isEqualTo(0x0e1);
        assertThat(hostRead(h)).isEqualTo(hostFlushed ? 0x0e1 : 0x01d);
    }

    /**
     * INVVPID single-context-retaining-globals (type 3, SDM Vol. 3C 31.3 INVVPID, 30.4.3.3) keeps the guest's global
     * translations, single-context (type 1) does not: the guest reads 700000H through a global 2-MiB guest page
     * (G = 1, guest CR4.PGE = 1), the VMM remaps that page in EPT and invalidates; after type 3 the guest still sees
     * the old page, after type 1 the new one (VpidTlbTest's guest and remap, with the page made global).
     */
    @ParameterizedTest(name = "INVVPID type {0}: fresh {1}")
    @CsvSource({"3, false", "1, true"})
    void retainingGlobalsKeepsAGlobalGuestTranslation(int type, boolean fresh) {
        VmxHarness h = EptExitTest.eptGuest(VpidTlbTest.GUEST);
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_CR4", v.read("GUEST_CR4") | 0x80);                       // PGE
        long guestPde = TestCpu.PAGING + 0x2000 + (VpidTlbTest.DATA_GPA >>> 21) * 8;
        h.t.bus.write(guestPde, 8, h.t.bus.read(guestPde, 8) | 0x100);          // G
        h.t.bus.write(VpidTlbTest.DATA_GPA, 8, VpidTlbTest.OLD);
        h.t.bus.write(0x900000, 8, VpidTlbTest.NEW);
        assertThat(h.exec(VmxHarness.VMLAUNCH)).isNull();
        assertThat(cpuidExit(h)).isEqualTo(VpidTlbTest.OLD);
        h.t.bus.write(EptExitTest.pde(VpidTlbTest.DATA_GPA), 8, 0x800000 | EptExitTest.PS | EptExitTest.WB | EptExitTest.RWX);
        h.t.mem(VmxHarness.HOST_RIP, "48 c7 c1 0" + type + " 00 00 00 " + EptExitTest.INVVPID_RCX_DATA + " "
                + VpidTlbTest.VMRESUME);
        h.t.bus.write(TestCpu.DATA, 8, 1);      // VPID 1
        h.t.bus.write(TestCpu.DATA + 8, 8, 0);
        assertThat(cpuidExit(h)).as("after INVVPID type %d", type).isEqualTo(fresh ? VpidTlbTest.NEW : VpidTlbTest.OLD);
    }

    private static long cpuidExit(VmxHarness h) {
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_RIP", v.read("GUEST_RIP") + e.instructionLength());
        return h.cpu.state().gpr[Reg.RBX];
    }
}
