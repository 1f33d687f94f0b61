package dev.hvsim.ept;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Msr;

/** EPT as the CPU's {@link dev.hvsim.x86core.SecondStage}: the guest's memory types come from its IA32_PAT. */
public final class EptTranslator extends NestedTranslator {

    public EptTranslator(Cpu cpu, EptFormat format) {
        super(cpu, format);
    }

    @Override
    protected long guestPat() {
        return cpu.state().msr(Msr.IA32_PAT);
    }
}
