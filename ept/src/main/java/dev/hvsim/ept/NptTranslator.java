package dev.hvsim.ept;

import dev.hvsim.x86core.Cpu;

/** AMD nested paging as the CPU's {@link dev.hvsim.x86core.SecondStage}: guest memory types come from the VMCB's G_PAT. */
public final class NptTranslator extends NestedTranslator {
    private final NptFormat npt;

    public NptTranslator(Cpu cpu, NptFormat format) {
        super(cpu, format);
        this.npt = format;
    }

    @Override
    protected long guestPat() {
        return npt.guestPat();
    }
}
