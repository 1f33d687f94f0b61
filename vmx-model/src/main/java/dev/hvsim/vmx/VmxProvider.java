package dev.hvsim.vmx;

import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;

/**
 * Offers VMX to every CPU whose profile advertises it (CPUID.1:ECX.VMX with an advertised capability set), through
 * x86-core's {@link CpuExtension.Provider} service: a machine built from the intel-core profile has the VMX
 * instructions and MSRs wherever vmx-model is on the class path.
 */
public final class VmxProvider implements CpuExtension.Provider {
    @Override
    public CpuExtension create(Cpu cpu) {
        VmxCapabilities caps = VmxCapabilities.forProfile(cpu.profile());
        return caps.vmxSupported() ? VmxExtension.install(cpu, caps) : null;
    }
}
