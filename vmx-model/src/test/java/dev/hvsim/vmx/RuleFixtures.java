package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.testing.TestBus;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Bases, capability sets and contexts for the pure VM-entry rule tests. */
final class RuleFixtures {
    private RuleFixtures() {}

    static final CpuProfile INTEL = CpuProfile.load("intel-core");
    /** The capability set in force for intel-core. */
    static final VmxCapabilities IN_FORCE = VmxCapabilities.forProfile(INTEL);

    /**
     * A richer set (the fuller target of the VMX issue plus "activate tertiary controls"), so that rules guarding
     * controls the profile does not advertise yet can be reached; only the pure checks use it.
     */
    static final VmxCapabilities RICH;

    static {
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        m.put(VmxMsr.IA32_VMX_BASIC, 0x00d8100068760001L);
        m.put(VmxMsr.IA32_VMX_PINBASED_CTLS, 0x0000007f00000016L);
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS, 0xfffbfffe0401e172L);
        m.put(VmxMsr.IA32_VMX_EXIT_CTLS, 0x007fefff00036dffL);
        m.put(VmxMsr.IA32_VMX_ENTRY_CTLS, 0x0000d3ff000011ffL);
        m.put(VmxMsr.IA32_VMX_MISC, 0x00000000600401e5L);
        m.put(VmxMsr.IA32_VMX_CR0_FIXED0, 0x80000021L);
        m.put(VmxMsr.IA32_VMX_CR0_FIXED1, 0xffffffffL);
        m.put(VmxMsr.IA32_VMX_CR4_FIXED0, 0x2000L);
        m.put(VmxMsr.IA32_VMX_CR4_FIXED1, 0x7733bcL);
        m.put(VmxMsr.IA32_VMX_VMCS_ENUM, 0x32L);
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS2, 0x02017cee00000000L);
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS3, 0L);
        m.put(VmxMsr.IA32_VMX_EPT_VPID_CAP, 0x00000f0106334141L);
        m.put(VmxMsr.IA32_VMX_TRUE_PINBASED_CTLS, 0x0000007f00000016L);
        m.put(VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS, 0xfffbfffe04006172L);
        m.put(VmxMsr.IA32_VMX_TRUE_EXIT_CTLS, 0x007fefff00036dfbL);
        m.put(VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS, 0x0000d3ff000011fbL);
        m.put(VmxMsr.IA32_VMX_VMFUNC, 1L);
        RICH = VmxCapabilities.of(m);
    }

    /** The set in force with IA32_VMX_EPT_VPID_CAP[21] (EPT accessed and dirty flags) cleared. */
    static VmxCapabilities withoutEptAccessedDirty() {
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        for (VmxMsr msr : VmxMsr.values()) {
            IN_FORCE.rdmsr(msr.index()).ifPresent(v -> m.put(msr, v));
        }
        m.put(VmxMsr.IA32_VMX_EPT_VPID_CAP, m.get(VmxMsr.IA32_VMX_EPT_VPID_CAP) & ~(1L << 21));
        return VmxCapabilities.of(m);
    }

    /** A base as a mutable map. */
    static Map<VmcsField, Long> base(String name) {
        return new LinkedHashMap<>(VmcsBases.base(name));
    }

    static VmcsField f(String name) {
        return VmcsFields.get().lookup(name);
    }

    /** Sparse memory plus a CPU of the intel-core profile for the WRMSR probe. */
    static final class Env {
        final Map<Long, Long> memory = new HashMap<>();
        boolean lma = true;
        VmxCapabilities caps = IN_FORCE;
        final Cpu cpu = new Cpu(INTEL, new TestBus(), new TestBus());

        EntryContext context() {
            return new EntryContext(caps, lma, INTEL.maxPhysAddr(), INTEL.linearAddressBits(),
                    (pa, size) -> {
                        long v = 0;
                        for (int i = size - 1; i >= 0; i--) {
                            v = v << 8 | (memory.getOrDefault((pa + i) & ~7L, 0L) >>> (8 * ((pa + i) & 7)) & 0xff);
                        }
                        return v;
                    },
                    (index, value) -> VmEntry.wouldFault(cpu, index, value));
        }
    }

    static EntryOutcome check(Map<VmcsField, Long> vmcs, Env env) {
        return EntryChecks.check(VmcsSnapshot.of(vmcs), env.context());
    }
}
