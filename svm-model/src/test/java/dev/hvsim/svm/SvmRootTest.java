package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** Java code as the SVM host (issue 6 item 6) through {@link SvmRoot}: VMRUN, typed #VMEXITs, skip, resume. */
class SvmRootTest {
    static final long HSAVE = 0x400000, VMCB = 0x401000, IOPM = 0x404000, MSRPM = 0x408000, GUEST_CODE = 0x200000;
    final TestCpu t = TestCpu.long64("amd-zen");
    final Cpu cpu = t.cpu;
    final SvmRoot root;

    SvmRootTest() {
        SvmExtension.install(cpu);
        root = SvmRoot.of(cpu);
        root.enable(HSAVE);
        root.select(VMCB);
        CpuState s = cpu.state();
        for (int seg = Reg.ES; seg <= Reg.DS; seg++) {
            Transitions.storeSegment(cpu, VMCB, V.seg(seg), s.seg[seg]);
        }
        root.write("save.GDTR.limit", s.gdtrLimit);
        root.write("save.GDTR.base", s.gdtrBase);
        root.write("save.IDTR.limit", s.idtrLimit);
        root.write("save.IDTR.base", s.idtrBase);
        root.write("save.EFER", s.efer | Cpu.EFER_SVME);
        root.write("save.CR0", s.cr0);
        root.write("save.CR3", s.cr3);
        root.write("save.CR4", s.cr4);
        root.write("save.DR6", 0xffff0ff0L);
        root.write("save.DR7", 0x400);
        root.write("save.RFLAGS", 2);
        root.write("save.RIP", GUEST_CODE);
        root.write("save.RSP", 0x38000);
        root.write("control.INTERCEPT_MISC1", 1L << 18 | 1L << 27); // CPUID, IOIO
        root.write("control.INTERCEPT_MISC2", 3);                     // VMRUN, VMMCALL
        root.write("control.GUEST_ASID", 1);
        root.write("control.IOPM_BASE_PA", IOPM);
        root.write("control.MSRPM_BASE_PA", MSRPM);
        for (int i = 0; i < 12288; i += 8) {
            t.bus.write(IOPM + i, 8, -1L);
        }
    }

    private SvmExit runToExit() {
        assertThat(cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        return root.lastExit();
    }

    @Test
    void javaRunsTheGuestHandlesCpuidAndIoAndResumes() {
        // 0f a2 CPUID; 48 89 c3 MOV RBX,RAX; e6 80 OUT 80H,AL; 0f 01 d9 VMMCALL
        t.mem(GUEST_CODE, "0f a2 48 89 c3 e6 80 0f 01 d9");
        root.setGpr(Reg.RAX, 0);
        assertThat(root.vmrun()).isNull();
        assertThat(root.extension().inGuest()).isTrue();
        SvmExit e = runToExit();
        assertThat(e.exitCode()).isEqualTo(ExitCode.CPUID);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(e.nextRip()).isEqualTo(GUEST_CODE + 2);
        root.setGpr(Reg.RAX, 0x77);
        root.skipInstruction();
        assertThat(root.guestRip()).isEqualTo(GUEST_CODE + 2);
        assertThat(root.vmrun()).isNull();
        e = runToExit();
        assertThat(e.exitCode()).isEqualTo(ExitCode.IOIO);
        ExitInfo.Io io = new ExitInfo.Io(e.exitInfo1());
        assertThat(io.port()).isEqualTo(0x80);
        assertThat(io.size()).isEqualTo(1);
        assertThat(io.in()).isFalse();
        assertThat(io.string()).isFalse();
        assertThat(root.gpr(Reg.RBX)).isEqualTo(0x77);
        root.skipInstruction();
        assertThat(root.vmrun()).isNull();
        e = runToExit();
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 7);
    }

    @Test
    void aFailedVmrunNamesItsRules() {
        root.write("control.GUEST_ASID", 0);
        SvmExit e = root.vmrun();
        assertThat(e).isNotNull();
        assertThat(e.invalid()).isTrue();
        assertThat(e.violations()).extracting(VmrunViolation::id).contains("SVM-VMRUN-ASID0");
        assertThat(root.extension().inGuest()).isFalse();
        assertThat(root.lastExit()).isSameAs(e);
    }

    @Test
    void injectionWritesEventinj() {
        root.inject(14, SvmRoot.EXCEPTION, 2);
        assertThat(root.read("control.EVENTINJ")).isEqualTo(0x2_8000_0b0eL);
    }

    @Test
    void exitInfoCodecs() {
        ExitInfo.Io io = new ExitInfo.Io(0x03f8_0000L | 0x20 | 0x100 | 1 | 4 | 8);
        assertThat(io.port()).isEqualTo(0x3f8);
        assertThat(io.size()).isEqualTo(2);
        assertThat(io.addressSize()).isEqualTo(4);
        assertThat(io.in()).isTrue();
        assertThat(io.string()).isTrue();
        assertThat(io.rep()).isTrue();
        ExitInfo.NestedPageFault f = new ExitInfo.NestedPageFault(1L << 32 | 2 | 1);
        assertThat(f.present()).isTrue();
        assertThat(f.write()).isTrue();
        assertThat(f.fetch()).isFalse();
        assertThat(f.finalAddress()).isTrue();
        ExitInfo.EventInfo ev = new ExitInfo.EventInfo(0x2_8000_0b0eL);
        assertThat(ev.vector()).isEqualTo(14);
        assertThat(ev.type()).isEqualTo(3);
        assertThat(ev.errorCodeValid()).isTrue();
        assertThat(ev.errorCode()).isEqualTo(2);
    }

    /**
     * After a VMRUN, field accesses of the VMCB it ran go to that VMCB's page without the bus, and are the bytes the bus
     * reads and writes; another VMCB selected afterwards is read and written as itself, not through the first one's page.
     */
    @Test
    void fieldAccessesAfterVmrunReachTheSelectedVmcb() {
        t.mem(GUEST_CODE, "0f 01 d9"); // VMMCALL
        assertThat(root.vmrun()).isNull();
        assertThat(runToExit().exitCode()).isEqualTo(ExitCode.VMMCALL);
        root.writeOffset(V.RAX, 8, 0x1122334455667788L);
        assertThat(t.bus.read(VMCB + V.RAX, 8)).isEqualTo(0x1122334455667788L);
        t.bus.write(VMCB + V.RIP, 8, 0x123456L);
        assertThat(root.guestRip()).isEqualTo(0x123456L);
        assertThat(root.read("control.EXITCODE")).isEqualTo(ExitCode.VMMCALL);
        long other = VMCB + 0x10000;
        t.bus.write(other + V.EXITCODE, 8, 0x72);
        root.select(other);
        assertThat(root.read("control.EXITCODE")).isEqualTo(0x72L);
        root.writeOffset(V.RAX, 8, 5);
        assertThat(t.bus.read(other + V.RAX, 8)).isEqualTo(5L);
        assertThat(t.bus.read(VMCB + V.RAX, 8)).isEqualTo(0x1122334455667788L);
        root.select(VMCB);
        assertThat(root.gpr(Reg.RAX)).isEqualTo(0x1122334455667788L);
    }
}
