package dev.hvsim.vmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Java code as VMX root operation (issue 4 item 5) through {@link VmxRoot}: the same entry and exit code as x86
 * VMLAUNCH/VMRESUME, typed exits with codecs, skip, resume, VM-entry failures with the failing rule.
 */
class VmxRootTest {
    static final long VMXON = 0x400000, VMCS = 0x401000, HOST_PAGE = 0x403000, GUEST_CODE = 0x200000;
    final TestCpu t = TestCpu.long64("intel-core");
    final Cpu cpu = t.cpu;
    final VmxRoot root;

    VmxRootTest() {
        VmxExtension.install(cpu);
        root = VmxRoot.of(cpu);
        root.vmxon(VMXON);
        root.load(VMCS, HOST_PAGE);
        for (Map.Entry<VmcsField, Long> e : VmcsBases.base(VmcsBases.LONG_MODE).entrySet()) {
            if (!e.getKey().name().startsWith("HOST_")) {
                root.write(e.getKey(), e.getValue());
            }
        }
        root.write("GUEST_CR3", TestCpu.PAGING);
        root.write("GUEST_CS_SELECTOR", 0x18);
        root.write("GUEST_GDTR_BASE", TestCpu.GDT);
        root.write("GUEST_RIP", GUEST_CODE);
        root.write("GUEST_RSP", 0x38000);
    }

    private VmExit runToExit() {
        StopReason r = cpu.run(100, Long.MAX_VALUE);
        assertThat(r).isEqualTo(StopReason.VM_EXIT);
        return root.lastExit();
    }

    @Test
    void javaEntersHandlesACpuidExitSkipsAndResumes() {
        // 0f a2 CPUID; 48 89 c3 MOV RBX,RAX; 0f 01 c1 VMCALL
        t.mem(GUEST_CODE, "0f a2 48 89 c3 0f 01 c1");
        cpu.state().gpr[Reg.RAX] = 0;
        EntryOutcome o = root.enter();
        assertThat(o.kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(root.vmcs().launchState()).isEqualTo(dev.hvsim.vmcs.LaunchState.LAUNCHED);
        VmExit e = runToExit();
        assertThat(e.reason()).isEqualTo(ExitReason.CPUID);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE);
        assertThat(e.instructionLength()).isEqualTo(2);
        assertThat(root.extension().inNonRoot()).isFalse();
        // the VMM emulates CPUID: RAX = 0x1234 and skips it
        root.setGpr(Reg.RAX, 0x1234);
        root.skipInstruction();
        assertThat(root.guestRip()).isEqualTo(GUEST_CODE + 2);
        assertThat(root.enter().kind()).isEqualTo(EntryOutcome.Kind.ENTERED); // VMRESUME (launched)
        e = runToExit();
        assertThat(e.reason()).isEqualTo(ExitReason.VMCALL);
        assertThat(e.guestRip()).isEqualTo(GUEST_CODE + 5);
        assertThat(root.gpr(Reg.RBX)).isEqualTo(0x1234); // the guest saw the emulated result
    }

    @Test
    void ioExitQualificationDecodes() {
        // e6 80 OUT 80H,AL ; 66 ed IN AX,DX (the base has unconditional I/O exiting)
        t.mem(GUEST_CODE, "e6 80 66 ed");
        root.enter();
        ExitQualifications.Io q = new ExitQualifications.Io(runToExit().qualification());
        assertThat(q.port()).isEqualTo(0x80);
        assertThat(q.size()).isEqualTo(1);
        assertThat(q.in()).isFalse();
        assertThat(q.immediate()).isTrue();
        assertThat(q.string()).isFalse();
        root.skipInstruction();
        cpu.state().gpr[Reg.RDX] = 0x3f8;
        root.enter();
        q = new ExitQualifications.Io(runToExit().qualification());
        assertThat(q.port()).isEqualTo(0x3f8);
        assertThat(q.size()).isEqualTo(2);
        assertThat(q.in()).isTrue();
        assertThat(q.immediate()).isFalse();
    }

    @Test
    void anEntryFailureNamesTheRuleAndLoadsHostState() {
        root.write("GUEST_CR0", 0x31); // PG = 0 without unrestricted guest: CR0 fixed bits (SDM 28.3.1.1)
        EntryOutcome o = root.enter();
        assertThat(o.kind()).isEqualTo(EntryOutcome.Kind.ENTRY_FAILURE);
        assertThat(o.violations()).isNotEmpty();
        assertThat(o.violations().get(0).id()).startsWith("GUEST-CR0");
        VmExit e = root.lastExit();
        assertThat(e.entryFailure()).isTrue();
        assertThat(e.reason()).isEqualTo(ExitReason.INVALID_GUEST_STATE);
        assertThat(root.extension().inNonRoot()).isFalse();
    }

    @Test
    void injectionWritesTheEntryInterruptionInformation() {
        root.inject(13, VmxRoot.HARDWARE_EXCEPTION, 0);
        assertThat(root.read("VM_ENTRY_INTR_INFO_FIELD")).isEqualTo(0x80000b0dL);
        assertThat(root.read("VM_ENTRY_EXCEPTION_ERROR_CODE")).isEqualTo(0);
    }

    @Test
    void instructionInformationDecodesTheModelsEncoding() {
        // VMREAD/VMWRITE register form: reg2 31:28, reg1 6:3, address size 9:7, register 10
        InstructionInformation i = new InstructionInformation(0x3 << 28 | 5 << 3 | 2 << 7 | 1 << 10);
        assertThat(i.reg2()).isEqualTo(3);
        assertThat(i.reg1()).isEqualTo(5);
        assertThat(i.addressSize()).isEqualTo(8);
        assertThat(i.register()).isTrue();
        InstructionInformation m = new InstructionInformation(2 | 1 << 7 | 3 << 15 | 1 << 22 | 6 << 23);
        assertThat(m.scaling()).isEqualTo(2);
        assertThat(m.addressSize()).isEqualTo(4);
        assertThat(m.segment()).isEqualTo(3);
        assertThat(m.indexValid()).isFalse();
        assertThat(m.baseValid()).isTrue();
        assertThat(m.base()).isEqualTo(6);
    }

    /** The region itself, without the CPU's processor-side copy of its current VMCS. */
    private Vmcs region() {
        return new Vmcs(t.bus, VMCS, root.extension().layout());
    }

    /** Field {@code name} as a debugger reading the region's bytes sees it (CpuExtension.overlay, as the gdb stub). */
    private long debuggerRead(String name) {
        dev.hvsim.vmcs.VmcsField f = dev.hvsim.vmcs.VmcsFields.get().byName(name);
        int off = root.extension().layout().offsetOf(f);
        byte[] region = new byte[4096];
        for (int i = 0; i < region.length; i++) {
            region[i] = (byte) t.bus.read(VMCS + i, 1);
        }
        cpu.extension().overlay(cpu, VMCS, region, 0, region.length);
        return new Vmcs(region, root.extension().layout()).read(f);
    }

    @Test
    void theCurrentVmcsCopyIsWrittenBackToTheRegionWhenItStopsBeingCurrentAndShownToADebugger() {
        long rspBefore = region().read("GUEST_RSP");
        root.write("GUEST_RSP", 0x37ff8);
        root.write("HOST_IA32_EFER_HIGH", 0x12); // a high access: bits 63:32 only
        assertThat(root.read("HOST_IA32_EFER") >>> 32).isEqualTo(0x12);
        assertThat(debuggerRead("GUEST_RSP")).isEqualTo(0x37ff8);
        assertThat(debuggerRead("HOST_IA32_EFER") >>> 32).isEqualTo(0x12);
        assertThat(region().read("GUEST_RSP")).isEqualTo(rspBefore); // reading wrote nothing
        root.write("HOST_IA32_EFER_HIGH", 0);
        t.mem(GUEST_CODE, "48 ff c4 0f a2"); // INC RSP; CPUID
        assertThat(root.enter().kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(runToExit().reason()).isEqualTo(ExitReason.CPUID);
        // the exit saved the guest state into the copy (29.3); VMCLEAR writes the copy back (25.11.1, 31.3)
        assertThat(root.read("GUEST_RSP")).isEqualTo(0x37ff9);
        Vmcs current = root.vmcs();
        root.extension().setCurrentVmcs(VmxExtension.NO_VMCS);
        assertThat(region().read("GUEST_RSP")).isEqualTo(0x37ff9);
        assertThat(region().read("GUEST_RIP")).isEqualTo(GUEST_CODE + 3);
        assertThat(region().read("VM_EXIT_REASON")).isEqualTo(ExitReason.CPUID);
        assertThat(region().read("VM_EXIT_INSTRUCTION_LEN")).isEqualTo(2);
        assertThat(region().read("HOST_IA32_EFER") >>> 32).isZero();
        // current again (VMPTRLD): the copy is read from the region, nothing lost
        root.use(current);
        assertThat(root.read("GUEST_RSP")).isEqualTo(0x37ff9);
        assertThat(root.read("VM_EXIT_REASON")).isEqualTo(ExitReason.CPUID);
    }

    @Test
    void aWriteOfPartOfAFieldTheCopyHoldsNewerTakesTheWrittenBytesAndKeepsTheOthers() {
        long rip = VMCS + root.extension().layout().offsetOf(dev.hvsim.vmcs.VmcsFields.get().byName("GUEST_RIP"));
        root.write("GUEST_RIP", 0x1122_3344_5566L); // in the copy, not yet in the region
        t.bus.write(rip, 1, 0xab); // a debugger's one-byte write into the region
        cpu.physicalWritten(rip, 1);
        assertThat(root.read("GUEST_RIP")).isEqualTo(0x1122_3344_55abL);
        assertThat(region().read("GUEST_RIP")).isEqualTo(0x1122_3344_55abL);
        assertThat(root.read("GUEST_RSP")).isEqualTo(0x38000); // a field the write did not touch keeps the copy's value
    }

    @Test
    void aWriteToTheRegionThatIsNotTheCpusOwnStoreReachesTheCopy() {
        long rip = VMCS + root.extension().layout().offsetOf(dev.hvsim.vmcs.VmcsFields.get().byName("GUEST_RIP"));
        t.bus.write(rip, 8, GUEST_CODE + 0x10);
        // an ordinary write behind the model's back is not in the copy (SDM 25.11.1: undefined while active) ...
        assertThat(root.read("GUEST_RIP")).isEqualTo(GUEST_CODE);
        // ... until it is reported as a debugger, loader or DMA write (Cpu.physicalWritten) ...
        cpu.physicalWritten(rip, 8);
        assertThat(root.read("GUEST_RIP")).isEqualTo(GUEST_CODE + 0x10);
        // ... or the VMCS is made current again (VMPTRLD reads the region)
        t.bus.write(rip, 8, GUEST_CODE + 0x20);
        root.extension().setCurrentVmcs(VMCS);
        assertThat(root.read("GUEST_RIP")).isEqualTo(GUEST_CODE + 0x20);
    }

    @Test
    void aFieldChangedBetweenEntriesIsCheckedAgain() {
        t.mem(GUEST_CODE, "0f a2 0f a2");
        assertThat(root.enter().kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(runToExit().reason()).isEqualTo(ExitReason.CPUID);
        root.skipInstruction();
        long cr0 = root.read("GUEST_CR0");
        root.write("GUEST_CR0", cr0 & ~0x80000000L); // PG = 0 without unrestricted guest (28.3.1.1)
        EntryOutcome o = root.enter();
        assertThat(o.kind()).isEqualTo(EntryOutcome.Kind.ENTRY_FAILURE);
        assertThat(o.violations().get(0).id()).startsWith("GUEST-CR0");
        root.write("GUEST_CR0", cr0);
        assertThat(root.enter().kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
        assertThat(runToExit().guestRip()).isEqualTo(GUEST_CODE + 2);
    }
}
