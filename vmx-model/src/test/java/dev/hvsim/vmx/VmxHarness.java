package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.Map;

/**
 * A 64-bit CPU of the intel-core profile with VMX installed, CR0.NE and CR4.VMXE set and IA32_FEATURE_CONTROL
 * locked with VMX enabled outside SMX: ready for VMXON. Code runs at {@link TestCpu#CODE}; memory operands are
 * at {@link TestCpu#DATA} (absolute disp32 encodings).
 */
final class VmxHarness {
    static final long VMXON_REGION = 0x400000, VMCS = 0x401000, VMCS2 = 0x402000, GUEST_CODE = 0x200000,
            HOST_RIP = 0x10800;
    /** {@code [DATA]} as a SIB + disp32 memory operand with ModRM.reg = r: mod 00, rm 100, SIB 25H. */
    static String mem(int reg) {
        return String.format("%02x 25 00 00 02 00", (reg << 3) | 4);
    }

    static final String VMXON = "f3 0f c7 " + mem(6), VMCLEAR = "66 0f c7 " + mem(6), VMPTRLD = "0f c7 " + mem(6),
            VMPTRST = "0f c7 " + mem(7), VMREAD_RAX_RCX = "0f 78 c8", VMWRITE_RCX_RAX = "0f 79 c8",
            VMLAUNCH = "0f 01 c2", VMRESUME = "0f 01 c3", VMXOFF = "0f 01 c4", VMCALL = "0f 01 c1";

    final TestCpu t;
    final Cpu cpu;
    final VmxExtension vmx;

    VmxHarness() {
        t = TestCpu.long64("intel-core");
        cpu = t.cpu;
        vmx = VmxExtension.install(cpu);
        cpu.state().cr0 |= Cpu.CR0_NE;
        cpu.state().cr4 |= Cpu.CR4_VMXE;
        vmx.writeMsr(cpu, VmxExtension.IA32_FEATURE_CONTROL, VmxExtension.FC_LOCK | VmxExtension.FC_VMX_OUTSIDE_SMX);
        header(VMXON_REGION);
        header(VMCS);
        header(VMCS2);
    }

    void header(long region) {
        t.bus.write(region, 4, VmcsLayout.HVSIM_REVISION_ID);
    }

    /** Runs one instruction with {@code operand} at [DATA]; returns the fault {vector, error} or null. */
    int[] exec(String hex, long operand) {
        t.bus.write(TestCpu.DATA, 8, operand);
        return t.code(hex).fault();
    }

    int[] exec(String hex) {
        return t.code(hex).fault();
    }

    long rflags() {
        return cpu.state().rflags();
    }

    boolean succeeded() {
        return (rflags() & Flags.OSZAPC) == 0;
    }

    boolean failedInvalid() {
        return (rflags() & Flags.OSZAPC) == Flags.CF;
    }

    /** VMfailValid(n): ZF alone set and n in the VM-instruction error field. */
    boolean failedValid(int n) {
        return (rflags() & Flags.OSZAPC) == Flags.ZF && vmx.currentVmcs().read(F.VM_INSTRUCTION_ERROR) == n;
    }

    /** VMXON and VMPTRLD of {@link #VMCS}, asserting success. */
    VmxHarness ready() {
        if (exec(VMXON, VMXON_REGION) != null || !succeeded()) {
            throw new AssertionError("VMXON failed");
        }
        if (exec(VMPTRLD, VMCS) != null || !succeeded()) {
            throw new AssertionError("VMPTRLD failed");
        }
        return this;
    }

    /** Fills the current VMCS with the long-mode base, adapted to this CPU's memory (paging, GDT, code). */
    VmxHarness longModeGuest(String guestCode) {
        Vmcs v = vmx.currentVmcs();
        for (Map.Entry<VmcsField, Long> e : VmcsBases.base(VmcsBases.LONG_MODE).entrySet()) {
            v.write(e.getKey(), e.getValue());
        }
        v.write("HOST_CR3", TestCpu.PAGING);
        v.write("GUEST_CR3", TestCpu.PAGING);
        v.write("HOST_CS_SELECTOR", 0x18);
        v.write("GUEST_CS_SELECTOR", 0x18);
        v.write("HOST_GDTR_BASE", TestCpu.GDT);
        v.write("GUEST_GDTR_BASE", TestCpu.GDT);
        v.write("HOST_RIP", HOST_RIP);
        v.write("HOST_RSP", TestCpu.STACK);
        v.write("GUEST_RIP", GUEST_CODE);
        v.write("GUEST_RSP", 0x38000);
        t.mem(GUEST_CODE, guestCode);
        return this;
    }
}
