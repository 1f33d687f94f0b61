package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuExtension;
import dev.hvsim.x86core.decode.Feature;

/**
 * Offers SVM to every CPU whose profile advertises it (Fn8000_0001 ECX[2]), through x86-core's
 * {@link CpuExtension.Provider} service: a machine built from the amd-zen profile has the SVM instructions and MSRs
 * wherever svm-model is on the class path.
 */
public final class SvmProvider implements CpuExtension.Provider {
    @Override
    public CpuExtension create(Cpu cpu) {
        return cpu.profile().has(Feature.SVM) ? SvmExtension.install(cpu) : null;
    }
}
