package dev.hvsim.ept;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Msr;

/**
 * AMD nested paging as the CPU's {@link dev.hvsim.x86core.SecondStage}. Guest memory types come from the CPU's PAT
 * register: while a guest runs with nested paging it holds the guest's PAT, which VMRUN loaded from the VMCB's G_PAT
 * and guest WRMSRs change (APM Vol. 2 15.25.4, 15.25.8); {@link NptFormat#guestPat} is the G_PAT of VMRUN, used by
 * the walker on its own.
 */
public final class NptTranslator extends NestedTranslator {

    public NptTranslator(Cpu cpu, NptFormat format) {
        super(cpu, format);
    }

    @Override
    protected long guestPat() {
        return cpu.state().msr(Msr.IA32_PAT);
    }
}
