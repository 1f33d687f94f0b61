package dev.hvsim.conformance.gen;

import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import dev.hvsim.x86core.CpuProfile;
import java.util.EnumMap;
import java.util.Map;

/**
 * A CPU profile together with the VMX capability set the generators respect (SDM Vol. 3C Appendix A: every control
 * within the allowed-0/allowed-1 settings of the capability MSRs, CR0/CR4 within the fixed bits).
 *
 * @param name    a short name used in reports and reproduction files
 * @param profile the CPU profile (MAXPHYADDR, linear-address width, MSRs)
 * @param caps    the capability MSRs the checks and the generators use
 * @param inForce whether {@code caps} is the set the profile itself advertises (then {@code check-vmcs} needs no
 *                "capabilities" key to reproduce a case)
 */
public record VmxCpu(String name, CpuProfile profile, VmxCapabilities caps, boolean inForce) {

    /** The intel-core profile with the capability set it advertises. */
    public static VmxCpu intelCore() {
        CpuProfile p = CpuProfile.load("intel-core");
        return new VmxCpu("intel-core", p, VmxCapabilities.forProfile(p), true);
    }

    /**
     * The intel-core profile with a richer capability set (virtual NMIs, TPR shadow, APIC virtualization, posted
     * interrupts, PML, VMFUNC, more activity states, entry to SMM, CR4.CET; but no EPT accessed/dirty flags), so that rules guarding controls the profile does not
     * advertise yet can be broken one at a time. Only the pure checks (and {@code check-vmcs} with its
     * "capabilities" key) run with it; the model cannot execute guests under it.
     */
    public static VmxCpu intelCoreRich() {
        CpuProfile p = CpuProfile.load("intel-core");
        return new VmxCpu("intel-core-rich", p, VmxCapabilities.of(RICH), false);
    }

    /** The capability MSRs of {@link #intelCoreRich()} (vmx-model's rule-test set, plus posted interrupts, APIC virtualization, PML, MBEC, entry to SMM and CR4.CET, minus EPT A/D). */
    public static final Map<VmxMsr, Long> RICH;

    static {
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        m.put(VmxMsr.IA32_VMX_BASIC, 0x00d8100068760001L);
        m.put(VmxMsr.IA32_VMX_PINBASED_CTLS, 0x000000ff00000016L);      // + posted interrupts (7)
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS, 0xfffbfffe0401e172L);
        m.put(VmxMsr.IA32_VMX_EXIT_CTLS, 0x007fefff00036dffL);
        m.put(VmxMsr.IA32_VMX_ENTRY_CTLS, 0x0000d7ff000011ffL);      // + entry to SMM (10)
        m.put(VmxMsr.IA32_VMX_MISC, 0x00000000600401e5L);
        m.put(VmxMsr.IA32_VMX_CR0_FIXED0, 0x80000021L);
        m.put(VmxMsr.IA32_VMX_CR0_FIXED1, 0xffffffffL);
        m.put(VmxMsr.IA32_VMX_CR4_FIXED0, 0x2000L);
        m.put(VmxMsr.IA32_VMX_CR4_FIXED1, 0xf733bcL);               // + CR4.CET (23)
        m.put(VmxMsr.IA32_VMX_VMCS_ENUM, 0x32L);
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS2, 0x02437fff00000000L); // + APIC virtualization, x2APIC, VID, PML, MBEC
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS3, 0L);
        m.put(VmxMsr.IA32_VMX_EPT_VPID_CAP, 0x00000f0106134141L);   // without EPT A/D (21)
        m.put(VmxMsr.IA32_VMX_TRUE_PINBASED_CTLS, 0x000000ff00000016L); // + posted interrupts (7)
        m.put(VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS, 0xfffbfffe04006172L);
        m.put(VmxMsr.IA32_VMX_TRUE_EXIT_CTLS, 0x007fefff00036dfbL);
        m.put(VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS, 0x0000d7ff000011fbL); // + entry to SMM (10)
        m.put(VmxMsr.IA32_VMX_VMFUNC, 1L);
        RICH = java.util.Collections.unmodifiableMap(m);
    }

    /** The raw MSR values of {@link #caps()} that are present. */
    public Map<VmxMsr, Long> msrs() {
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        for (VmxMsr msr : VmxMsr.values()) {
            caps.raw(msr).ifPresent(v -> m.put(msr, v));
        }
        return m;
    }
}
