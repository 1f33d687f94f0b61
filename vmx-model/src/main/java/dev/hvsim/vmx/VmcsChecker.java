package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.bus.SparseMemory;
import java.util.Map;

/**
 * Checks a VMCS description without running anything: the VM-entry checks of {@link EntryChecks} on a CPU of the
 * given profile whose root-mode CR0, CR4 and IA32_EFER are as given, with the given physical memory (MSR-load area,
 * PDPTEs, VMCS link pointer). The 28.1 basic checks (current VMCS, launch state, MOV SS blocking) do not apply:
 * the described VMCS is current and its launch state matches the instruction. Behind {@code hvsim check-vmcs}.
 */
public final class VmcsChecker {
    /** Root-mode state by default: IA-32e mode with paging, CR0.NE and CR4.VMXE (VMX operation is possible). */
    public static final long DEFAULT_CR0 = 0x80000031L, DEFAULT_CR4 = 0x2020L, DEFAULT_EFER = 0xd01L;

    private VmcsChecker() {}

    /**
     * @param profile  a profile that advertises VMX (IllegalArgumentException otherwise)
     * @param vmcs     the field values (absent fields are 0)
     * @param memory   physical memory as quadwords by 8-aligned address
     * @param cr0      processor CR0 (must be allowed in VMX operation: IllegalArgumentException otherwise)
     * @param cr4      processor CR4 (likewise)
     * @param efer     processor IA32_EFER (LMA decides the address-space-size checks)
     */
    public static EntryOutcome check(CpuProfile profile, Map<VmcsField, Long> vmcs, Map<Long, Long> memory, long cr0,
            long cr4, long efer) {
        return check(profile, VmxCapabilities.forProfile(profile), vmcs, memory, cr0, cr4, efer);
    }

    /**
     * As {@link #check(CpuProfile, Map, Map, long, long, long)} with an explicit capability set instead of the one the
     * profile advertises (the conformance suite's richer capability sets; check-vmcs's "capabilities" key).
     */
    public static EntryOutcome check(CpuProfile profile, VmxCapabilities caps, Map<VmcsField, Long> vmcs,
            Map<Long, Long> memory, long cr0, long cr4, long efer) {
        if (!caps.vmxSupported()) {
            throw new IllegalArgumentException("profile " + profile.name() + " does not advertise VMX");
        }
        if (!caps.cr0Fixed().allows(cr0) || !caps.cr4Fixed().allows(cr4)) {
            throw new IllegalArgumentException(String.format("processor CR0 %#x / CR4 %#x are not allowed in VMX "
                    + "operation (IA32_VMX_CR0_FIXED0/1 %#x/%#x, IA32_VMX_CR4_FIXED0/1 %#x/%#x)", cr0, cr4,
                    caps.cr0Fixed().fixed0(), caps.cr0Fixed().fixed1(), caps.cr4Fixed().fixed0(), caps.cr4Fixed().fixed1()));
        }
        SparseMemory bus = new SparseMemory();
        memory.forEach((a, v) -> bus.write(a, 8, v));
        Cpu cpu = new Cpu(profile, bus, bus);
        VmxExtension x = VmxExtension.install(cpu, caps);
        cpu.state().cr0 = cr0;
        cpu.state().cr4 = cr4;
        cpu.state().efer = efer;
        cpu.modeChanged();
        return EntryChecks.check(VmcsSnapshot.of(vmcs), x.entryContext());
    }
}
