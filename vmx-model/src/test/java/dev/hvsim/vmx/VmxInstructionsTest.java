package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.VMCALL;
import static dev.hvsim.vmx.VmxHarness.VMCLEAR;
import static dev.hvsim.vmx.VmxHarness.VMCS;
import static dev.hvsim.vmx.VmxHarness.VMCS2;
import static dev.hvsim.vmx.VmxHarness.VMLAUNCH;
import static dev.hvsim.vmx.VmxHarness.VMPTRLD;
import static dev.hvsim.vmx.VmxHarness.VMPTRST;
import static dev.hvsim.vmx.VmxHarness.VMREAD_RAX_RCX;
import static dev.hvsim.vmx.VmxHarness.VMRESUME;
import static dev.hvsim.vmx.VmxHarness.VMWRITE_RCX_RAX;
import static dev.hvsim.vmx.VmxHarness.VMXOFF;
import static dev.hvsim.vmx.VmxHarness.VMXON;
import static dev.hvsim.vmx.VmxHarness.VMXON_REGION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * The VMX instructions' #UD/#GP conditions and VMsucceed / VMfailInvalid / VMfailValid(n) outcomes (SDM Vol. 3C 31.2
 * conventions, 31.3 instruction pages; error numbers of vmx-instruction-errors.csv). Encodings: VMXON F3 0F C7 /6,
 * VMCLEAR 66 0F C7 /6, VMPTRLD 0F C7 /6, VMPTRST 0F C7 /7, VMREAD 0F 78, VMWRITE 0F 79, VMCALL 0F 01 C1,
 * VMLAUNCH 0F 01 C2, VMRESUME 0F 01 C3, VMXOFF 0F 01 C4; memory operand [20000H].
 */
class VmxInstructionsTest {
    static final int UD = 6, GP = 13;

    @Test
    void cpuidReportsVmxOnlyWhileTheModelIsInstalled() {
        // CPUID.1:ECX.VMX[5] (SDM Vol. 3C 24.6 "Discovering support for VMX")
        VmxHarness h = new VmxHarness();
        assertThat(h.cpu.has(dev.hvsim.x86core.decode.Feature.VMX)).isTrue();
        h.cpu.install(null);
        assertThat(h.cpu.has(dev.hvsim.x86core.decode.Feature.VMX)).isFalse();
        h.cpu.install(new VmxProvider().create(h.cpu));
        assertThat(h.cpu.has(dev.hvsim.x86core.decode.Feature.VMX)).isTrue();
    }

    @Test
    void vmxonNeedsCr4VmxeFeatureControlCr0FixedBitsAndCpl0() {
        VmxHarness h = new VmxHarness();
        h.cpu.state().cr4 &= ~Cpu.CR4_VMXE;
        assertThat(h.exec(VMXON, VMXON_REGION)).containsExactly(UD, -1);
        h.cpu.state().cr4 |= Cpu.CR4_VMXE;
        h.cpu.state().cr0 &= ~Cpu.CR0_NE;                                   // CR0.NE is fixed to 1
        assertThat(h.exec(VMXON, VMXON_REGION)).containsExactly(GP, 0);
        h.cpu.state().cr0 |= Cpu.CR0_NE;
        VmxHarness unlocked = new VmxHarness();
        unlocked.vmx.featureControl = 0;                                   // lock bit clear
        assertThat(unlocked.exec(VMXON, VMXON_REGION)).containsExactly(GP, 0);
        unlocked.vmx.featureControl = VmxExtension.FC_LOCK;                // VMX outside SMX disabled
        assertThat(unlocked.exec(VMXON, VMXON_REGION)).containsExactly(GP, 0);
        assertThat(h.exec(VMXON, VMXON_REGION)).isNull();
        assertThat(h.succeeded()).isTrue();
        assertThat(h.vmx.inVmxOperation()).isTrue();
    }

    @Test
    void vmxonPointerChecksAreVmfailInvalid() {
        VmxHarness h = new VmxHarness();
        assertThat(h.exec(VMXON, VMXON_REGION + 8)).isNull();              // not 4-KiB aligned
        assertThat(h.failedInvalid()).isTrue();
        assertThat(h.exec(VMXON, 1L << 40)).isNull();                      // beyond MAXPHYADDR (39)
        assertThat(h.failedInvalid()).isTrue();
        h.t.bus.write(VMXON_REGION, 4, 0x1234);                            // wrong revision id
        assertThat(h.exec(VMXON, VMXON_REGION)).isNull();
        assertThat(h.failedInvalid()).isTrue();
        assertThat(h.vmx.inVmxOperation()).isFalse();
    }

    @Test
    void vmxonInRootIsVmfail15() {
        VmxHarness h = new VmxHarness();
        h.exec(VMXON, VMXON_REGION);
        assertThat(h.exec(VMXON, VMXON_REGION)).isNull();
        assertThat(h.failedInvalid()).as("no current VMCS: VMfailInvalid").isTrue();
        h.exec(VMPTRLD, VMCS);
        assertThat(h.exec(VMXON, VMXON_REGION)).isNull();
        assertThat(h.failedValid(15)).isTrue();
    }

    @Test
    void vmxInstructionsOutsideVmxOperationAreUd() {
        VmxHarness h = new VmxHarness();
        for (String insn : new String[] {VMCLEAR, VMPTRLD, VMPTRST, VMREAD_RAX_RCX, VMWRITE_RCX_RAX, VMLAUNCH, VMRESUME,
                VMXOFF, VMCALL}) {
            assertThat(h.exec(insn, VMCS)).as(insn).containsExactly(UD, -1);
        }
    }

    @Test
    void vmxInstructionsAtCpl3AreGp() {
        VmxHarness h = new VmxHarness().ready();
        h.t.user();
        for (String insn : new String[] {VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD_RAX_RCX, VMWRITE_RCX_RAX, VMLAUNCH,
                VMRESUME, VMXOFF, VMCALL}) {
            assertThat(h.exec(insn, VMCS)).as(insn).containsExactly(GP, 0);
        }
    }

    @Test
    void compatibilityModeIsUd() {
        VmxHarness h = new VmxHarness().ready();
        h.cpu.state().seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0xc09b);        // 32-bit code segment, EFER.LMA = 1
        h.cpu.modeChanged();
        assertThat(h.exec(VMPTRST, 0)).containsExactly(UD, -1);
        assertThat(h.exec(VMXON, VMXON_REGION)).containsExactly(UD, -1);
    }

    @Test
    void vmclearErrors2And3AndLaunchState() {
        VmxHarness h = new VmxHarness().ready();
        assertThat(h.exec(VMCLEAR, VMCS + 4)).isNull();
        assertThat(h.failedValid(2)).isTrue();
        assertThat(h.exec(VMCLEAR, VMXON_REGION)).isNull();
        assertThat(h.failedValid(3)).isTrue();
        new Vmcs(h.t.bus, VMCS2, h.vmx.layout()).setLaunchState(LaunchState.LAUNCHED);
        assertThat(h.exec(VMCLEAR, VMCS2)).isNull();
        assertThat(h.succeeded()).isTrue();
        assertThat(new Vmcs(h.t.bus, VMCS2, h.vmx.layout()).launchState()).isEqualTo(LaunchState.CLEAR);
        assertThat(h.exec(VMCLEAR, VMCS)).isNull();                        // the current VMCS: pointer invalidated
        assertThat(h.succeeded()).isTrue();
        assertThat(h.vmx.currentVmcsPointer()).isEqualTo(-1L);
        assertThat(h.exec(VMCLEAR, 1)).isNull();
        assertThat(h.failedInvalid()).as("VMfail without current VMCS").isTrue();
    }

    @Test
    void vmptrldErrors9To11AndVmptrst() {
        VmxHarness h = new VmxHarness().ready();
        assertThat(h.exec(VMPTRLD, VMCS2 + 0x10)).isNull();
        assertThat(h.failedValid(9)).isTrue();
        assertThat(h.exec(VMPTRLD, VMXON_REGION)).isNull();
        assertThat(h.failedValid(10)).isTrue();
        h.t.bus.write(VMCS2, 4, 0x68760002L);                              // another revision id
        assertThat(h.exec(VMPTRLD, VMCS2)).isNull();
        assertThat(h.failedValid(11)).isTrue();
        // (a shadow-VMCS indicator is error 11 only without VMCS shadowing, which the profile now advertises:
        // VmcsShadowingTest.aShadowVmcsCanBeMadeCurrentButNotLaunched)
        h.header(VMCS2);
        assertThat(h.exec(VMPTRLD, VMCS2)).isNull();
        assertThat(h.succeeded()).isTrue();
        assertThat(h.exec(VMPTRST, 0)).isNull();
        assertThat(h.t.bus.read(TestCpu.DATA, 8)).isEqualTo(VMCS2);
    }

    @Test
    void vmreadVmwriteErrors() {
        VmxHarness h = new VmxHarness();
        h.exec(VMXON, VMXON_REGION);
        h.t.reg(Reg.RCX, 0x681e);
        assertThat(h.exec(VMREAD_RAX_RCX)).isNull();
        assertThat(h.failedInvalid()).as("no current VMCS").isTrue();
        h.exec(VMPTRLD, VMCS);
        h.t.reg(Reg.RCX, 0x2014);                                          // APIC_ACCESS_ADDR: no APIC virtualization
        assertThat(h.exec(VMREAD_RAX_RCX)).isNull();
        assertThat(h.failedValid(12)).isTrue();
        h.t.reg(Reg.RCX, 0x1_0000_681eL);                                 // bits 63:32 set
        assertThat(h.exec(VMREAD_RAX_RCX)).isNull();
        assertThat(h.failedValid(12)).isTrue();
        h.t.reg(Reg.RCX, 0x4402).reg(Reg.RAX, 10);                         // exit reason: read-only, MISC[29] = 1
        assertThat(h.exec(VMWRITE_RCX_RAX)).isNull();
        assertThat(h.succeeded()).isTrue();
        assertThat(h.vmx.currentVmcs().read("VM_EXIT_REASON")).isEqualTo(10);
    }

    @Test
    void vmwriteToReadOnlyFieldWithoutMiscBit29IsVmfail13() {
        VmxHarness h = new VmxHarness();
        var raw = new java.util.EnumMap<dev.hvsim.vmcs.msr.VmxMsr, Long>(dev.hvsim.vmcs.msr.VmxMsr.class);
        for (var m : dev.hvsim.vmcs.msr.VmxMsr.values()) {
            h.vmx.capabilities().raw(m).ifPresent(v -> raw.put(m, v));
        }
        raw.put(dev.hvsim.vmcs.msr.VmxMsr.IA32_VMX_MISC, raw.get(dev.hvsim.vmcs.msr.VmxMsr.IA32_VMX_MISC) & ~(1L << 29));
        VmxExtension x = VmxExtension.install(h.cpu, dev.hvsim.vmcs.msr.VmxCapabilities.of(raw));
        x.writeMsr(h.cpu, VmxExtension.IA32_FEATURE_CONTROL, 5);
        h.exec(VMXON, VMXON_REGION);
        h.exec(VMPTRLD, VMCS);
        h.t.reg(Reg.RCX, 0x4402).reg(Reg.RAX, 10);
        assertThat(h.exec(VMWRITE_RCX_RAX)).isNull();
        assertThat((h.rflags() & 0x8d5) == 0x40 && x.currentVmcs().read(F.VM_INSTRUCTION_ERROR) == 13).isTrue();
    }

    @Test
    void launchStateErrors4And5() {
        VmxHarness h = new VmxHarness().ready();
        assertThat(h.exec(VMRESUME)).isNull();                              // BASIC-RESUME-STATE
        assertThat(h.failedValid(5)).isTrue();
        h.vmx.currentVmcs().setLaunchState(LaunchState.LAUNCHED);
        assertThat(h.exec(VMLAUNCH)).isNull();                              // BASIC-LAUNCH-STATE
        assertThat(h.failedValid(4)).isTrue();
    }

    @Test
    void vmlaunchWithoutCurrentVmcsIsVmfailInvalid() {
        VmxHarness h = new VmxHarness();
        h.exec(VMXON, VMXON_REGION);
        assertThat(h.exec(VMLAUNCH)).isNull();                              // BASIC-NOVMCS
        assertThat(h.failedInvalid()).isTrue();
    }

    @Test
    void vmcallInRootIsVmfail1() {
        VmxHarness h = new VmxHarness().ready();
        assertThat(h.exec(VMCALL)).isNull();
        assertThat(h.failedValid(1)).isTrue();
    }

    @Test
    void vmxoffLeavesVmxOperationAndCr4VmxeIsLockedMeanwhile() {
        VmxHarness h = new VmxHarness().ready();
        // 0f 22 e0   mov cr4, rax  (clearing VMXE in VMX operation: #GP, SDM 24.8)
        h.t.reg(Reg.RAX, h.cpu.state().cr4 & ~Cpu.CR4_VMXE);
        assertThat(h.exec("0f 22 e0")).containsExactly(GP, 0);
        // 0f 22 c0   mov cr0, rax  (clearing NE, fixed to 1)
        h.t.reg(Reg.RAX, h.cpu.state().cr0 & ~Cpu.CR0_NE);
        assertThat(h.exec("0f 22 c0")).containsExactly(GP, 0);
        assertThat(h.exec(VMXOFF)).isNull();
        assertThat(h.succeeded()).isTrue();
        assertThat(h.vmx.inVmxOperation()).isFalse();
        h.t.reg(Reg.RAX, h.cpu.state().cr4 & ~Cpu.CR4_VMXE);
        assertThat(h.exec("0f 22 e0")).isNull();
    }

    @Test
    void featureControlLockAndCapabilityMsrs() {
        VmxHarness h = new VmxHarness();
        // 0f 30  wrmsr IA32_FEATURE_CONTROL after the lock: #GP
        h.t.reg(Reg.RCX, 0x3a).reg(Reg.RAX, 5).reg(Reg.RDX, 0);
        assertThat(h.exec("0f 30")).containsExactly(GP, 0);
        // 0f 32  rdmsr IA32_VMX_BASIC
        h.t.reg(Reg.RCX, 0x480);
        assertThat(h.exec("0f 32")).isNull();
        assertThat(h.t.reg(Reg.RDX) << 32 | h.t.reg(Reg.RAX)).isEqualTo(0x00d8100068760001L);
        h.t.reg(Reg.RCX, 0x48b);                                           // PROCBASED_CTLS2 (DEVIATIONS.md)
        assertThat(h.exec("0f 32")).isNull();
        assertThat(h.t.reg(Reg.RDX) << 32 | h.t.reg(Reg.RAX)).isEqualTo(0x02017cee00000000L);
        h.t.reg(Reg.RCX, 0x491);                                           // IA32_VMX_VMFUNC: EPTP switching
        assertThat(h.exec("0f 32")).isNull();
        assertThat(h.t.reg(Reg.RDX) << 32 | h.t.reg(Reg.RAX)).isEqualTo(1L);
        h.t.reg(Reg.RCX, 0x492);                                           // IA32_VMX_PROCBASED_CTLS3: absent
        assertThat(h.exec("0f 32")).containsExactly(GP, 0);
        h.t.reg(Reg.RCX, 0x481).reg(Reg.RAX, 0).reg(Reg.RDX, 0);            // capability MSRs are read-only
        assertThat(h.exec("0f 30")).containsExactly(GP, 0);
        VmxHarness fresh = new VmxHarness();
        fresh.vmx.featureControl = 0;
        fresh.t.reg(Reg.RCX, 0x3a).reg(Reg.RAX, 2).reg(Reg.RDX, 0);         // bit 1 without SMX: reserved
        assertThat(fresh.exec("0f 30")).containsExactly(GP, 0);
    }

    @Test
    void everyCpuOfAVmxProfileGetsTheExtensionThroughTheProvider() {
        var bus = new dev.hvsim.x86core.testing.TestBus();
        Cpu intel = new Cpu(dev.hvsim.x86core.CpuProfile.load("intel-core"), bus, bus);
        assertThat(intel.extension()).isInstanceOf(VmxExtension.class);
        assertThat(((VmxExtension) intel.extension()).capabilities().vmxSupported()).isTrue();
        Cpu amd = new Cpu(dev.hvsim.x86core.CpuProfile.load("amd-zen"), bus, bus);
        assertThat(amd.extension()).isNull();
    }
}
