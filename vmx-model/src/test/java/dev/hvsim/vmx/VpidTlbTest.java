package dev.hvsim.vmx;

import static dev.hvsim.vmx.EptExitTest.EPTP;
import static dev.hvsim.vmx.EptExitTest.PS;
import static dev.hvsim.vmx.EptExitTest.RWX;
import static dev.hvsim.vmx.EptExitTest.WB;
import static dev.hvsim.vmx.EptExitTest.pde;
import static dev.hvsim.vmx.VmxHarness.GUEST_CODE;
import static dev.hvsim.vmx.VmxHarness.HOST_RIP;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The VPID-tagged TLB (SDM Vol. 3C 30.4 "Caching Translation Information": 30.4.1 VPID tagging, 30.4.3
 * invalidation by VM entry/exit, INVEPT and INVVPID). With "enable VPID" a VM exit and the next VM entry keep the
 * guest's translations, so a guest keeps using a translation whose EPT entry the VMM changed until the VMM
 * invalidates it, as hardware may; without VPID every VM entry invalidates VPID 0000H's mappings.
 */
class VpidTlbTest {
    static final long DATA_GPA = 0x700000, OLD = 0xaaaa, NEW = 0xbbbb;
    /** mov rax, 700000H ; mov rbx, [rax] ; cpuid ; jmp back to the start. */
    static final String GUEST = "48 b8 00 00 70 00 00 00 00 00 48 8b 18 0f a2 eb ef";
    static final String VMRESUME = "0f 01 c3";

    /** Runs the guest to its CPUID exit and returns the RBX it loaded; the VMM then skips CPUID. */
    private static long nextExit(VmxHarness h) {
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        Vmcs v = h.vmx.currentVmcs();
        v.write("GUEST_RIP", v.read("GUEST_RIP") + e.instructionLength());
        return h.cpu.state().gpr[Reg.RBX];
    }

    /**
     * @param vpid         0: "enable VPID" off
     * @param invalidation the host code run before VMRESUME after the remap (hex, may be empty)
     * @param rcx          the type register for INVEPT/INVVPID
     * @param desc         descriptor bits 63:0 at [DATA] (EPTP or VPID)
     * @param desc2        descriptor bits 127:64 (linear address for INVVPID type 0)
     * @param fresh        the guest sees the new mapping after the invalidation
     */
    @ParameterizedTest(name = "vpid {0}, {1} type {2} desc {3}: fresh {5}")
    @CsvSource(delimiter = '|', textBlock = """
        0 | none    | 0 | 0        | 0        | true
        1 | none    | 0 | 0        | 0        | false
        1 | INVEPT  | 1 | 0x50001e | 0        | true
        1 | INVEPT  | 1 | 0x60001e | 0        | false
        1 | INVEPT  | 2 | 0        | 0        | true
        1 | INVVPID | 0 | 1        | 0x700000 | true
        1 | INVVPID | 0 | 1        | 0x900000 | false
        1 | INVVPID | 0 | 2        | 0x700000 | false
        1 | INVVPID | 1 | 1        | 0        | true
        1 | INVVPID | 1 | 2        | 0        | false
        1 | INVVPID | 2 | 0        | 0        | true
        1 | INVVPID | 3 | 1        | 0        | true
        """)
    void aRemappedPageIsSeenAfterExactlyTheRightInvalidation(int vpid, String insn, long rcx, long desc, long desc2,
            boolean fresh) {
        VmxHarness h = EptExitTest.eptGuest(GUEST);
        Vmcs v = h.vmx.currentVmcs();
        v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 1 | (vpid != 0 ? 1L << 5 : 0));
        v.write("VIRTUAL_PROCESSOR_ID", vpid);
        h.t.bus.write(DATA_GPA, 8, OLD);
        h.t.bus.write(0x900000, 8, NEW);   // 700000H in the 2-MiB page 800000H
        assertThat(h.exec(VMLAUNCH)).isNull();
        assertThat(nextExit(h)).isEqualTo(OLD);
        // the VMM remaps the 2-MiB page 600000H (holding 700000H) to host-physical 800000H, then invalidates (or not) and resumes
        h.t.bus.write(pde(DATA_GPA), 8, 0x800000 | PS | WB | RWX);
        String code = insn.equals("none") ? "" : "48 c7 c1 0" + rcx + " 00 00 00 "
                + (insn.equals("INVEPT") ? EptExitTest.INVEPT_RCX_DATA : EptExitTest.INVVPID_RCX_DATA) + " ";
        h.t.mem(HOST_RIP, code + VMRESUME);
        h.t.bus.write(TestCpu.DATA, 8, desc);
        h.t.bus.write(TestCpu.DATA + 8, 8, desc2);
        assertThat(nextExit(h)).as("after the remap").isEqualTo(fresh ? NEW : OLD);
        assertThat(h.cpu.state().gpr[Reg.RAX]).isEqualTo(DATA_GPA);
        assertThat(h.vmx.currentVmcs().read("GUEST_RIP")).isEqualTo(GUEST_CODE + 15);
    }
}
