package dev.hvsim.vmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * INVPCID inside a VMX guest ("enable INVPCID", secondary bit 12, on; "INVLPG exiting", primary bit 9, off: SDM Vol.
 * 3C 26.3, no VM exit) invalidates only the guest's tag: with VPID on, INVPCID "invalidates ... associated with the
 * current VPID" (30.4.1, 30.4.3.3; INVPCID in Vol. 2A and 4.10.4.1). The host (VPID 0000H) reads X through a 2-MiB
 * page and keeps that translation. The guest (same page tables, identity EPT, VPID 1) reads X, rewrites the shared
 * PDE so that X maps NEW, reads X again (still OLD: its own stale translation), executes INVPCID of the given type
 * (descriptor: PCID 0, address X) and reads X once more (NEW), then VMCALL. Back in the host, X still reads OLD: the
 * guest's INVPCID did not touch the host's tag. With "enable VPID" off the entry and exit themselves flush VPID
 * 0000H's mappings (28.3.3.3, 29.5.5), so the host sees NEW (the contrast row).
 */
class GuestInvpcidTest {
    static final long X = 0x4000_0000L, OLD = 0x4000_0000L, NEW = 0x4020_0000L, PDE = TestCpu.PAGING + 0x3000,
            DESCRIPTOR = TestCpu.DATA;
    static final String HOST_READ = "48 8b 04 25 00 00 00 40"; // mov rax, [0x40000000]

    /** The guest: reads of X into RAX, RBX, RDX around a remap and INVPCID type {@code type}; VMCALL. */
    static String guest(int type) {
        return "48 8b 04 25 00 00 00 40 "                         // mov rax, [X]
                + "48 b9 87 00 20 40 00 00 00 00 "                // mov rcx, NEW | 87H
                + "48 89 0c 25 00 30 10 00 "                      // mov [PDE], rcx
                + "48 8b 1c 25 00 00 00 40 "                      // mov rbx, [X]
                + "48 c7 c1 0" + type + " 00 00 00 "              // mov rcx, type
                + "66 0f 38 82 0c 25 00 00 02 00 "                // invpcid rcx, [DESCRIPTOR]
                + "48 8b 14 25 00 00 00 40 "                      // mov rdx, [X]
                + "0f 01 c1";                                     // vmcall
    }

    @ParameterizedTest(name = "VPID {0}, INVPCID type {1}: host flushed {2}")
    @CsvSource({"1, 0, false", "1, 1, false", "1, 2, false", "1, 3, false", "0, 0, true"})
    void guestInvpcidInvalidatesOnlyTheGuestsTag(int vpid, int type, boolean hostFlushed) {
        VmxHarness h = EptExitTest.eptGuest(guest(type));
        Vmcs v = h.vmx.currentVmcs();
        v.write("CPU_BASED_VM_EXEC_CONTROL", v.read("CPU_BASED_VM_EXEC_CONTROL") & ~(1L << 9)); // INVLPG exiting off
        v.write("SECONDARY_VM_EXEC_CONTROL", 1L << 1 | (vpid != 0 ? 1L << 5 : 0) | 1L << 12);   // EPT, VPID, INVPCID
        v.write("VIRTUAL_PROCESSOR_ID", vpid);
        h.t.bus.write(OLD, 8, 0x01d);
        h.t.bus.write(NEW, 8, 0x0e1);
        h.t.bus.write(DESCRIPTOR, 8, 0);      // PCID 0
        h.t.bus.write(DESCRIPTOR + 8, 8, X);  // linear address
        assertThat(h.t.bus.read(PDE, 8) & ~0xfffL).as("X's PDE maps OLD").isEqualTo(OLD);
        assertThat(hostRead(h)).isEqualTo(0x01d);

        assertThat(h.exec(VmxHarness.VMLAUNCH)).isNull();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        VmExit e = (VmExit) h.cpu.lastVmExit();
        assertThat(e.reason()).as("the guest ran to its VMCALL, INVPCID did not exit").isEqualTo(ExitReason.VMCALL);
        long[] gpr = h.cpu.state().gpr;
        assertThat(gpr[Reg.RAX]).as("guest's first read").isEqualTo(0x01d);
        assertThat(gpr[Reg.RBX]).as("guest's read after the remap, before INVPCID: stale").isEqualTo(0x01d);
        assertThat(gpr[Reg.RDX]).as("guest's read after INVPCID type %d: fresh", type).isEqualTo(0x0e1);
        assertThat(hostRead(h)).as("host after the guest's INVPCID").isEqualTo(hostFlushed ? 0x0e1 : 0x01d);
    }

    private static long hostRead(VmxHarness h) {
        assertThat(h.t.reg(Reg.RAX, 0).code(HOST_READ).fault()).isNull();
        return h.t.reg(Reg.RAX);
    }
}
