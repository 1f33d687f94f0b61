package dev.hvsim.ept;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.SecondStage;
import dev.hvsim.x86core.fault.VmExitSignal;

/**
 * The x86-core {@link SecondStage} SPI over the {@link TwoStageWalker}'s second stage, for one CPU: each
 * call walks the second-stage tables, charges the references to the CPU, and either returns the
 * host-physical address or throws a {@link VmExitSignal} whose payload is the {@link Fault}.
 */
public abstract sealed class NestedTranslator implements SecondStage permits EptTranslator, NptTranslator {
    protected final Cpu cpu;
    private final TwoStageWalker walker;
    private final SecondStageFormat format;
    private int lastAllowed;
    private MemoryType lastMemoryType = MemoryType.WB;

    NestedTranslator(Cpu cpu, SecondStageFormat format) {
        this.cpu = cpu;
        this.format = format;
        this.walker = new TwoStageWalker(cpu.bus());
    }

    public SecondStageFormat format() {
        return format;
    }

    /** The PAT the guest's memory types come from (IA32_PAT for EPT, the VMCB's G_PAT for nested paging). */
    protected abstract long guestPat();

    @Override
    public long translate(long guestPhys, int access, int flags, long guestLinear) {
        AccessContext c = AccessContext.fromCore(flags, guestLinear, guestPat());
        WalkResult r = walker.translateGuestPhysical(format, guestPhys, Access.ofCore(access), c, true);
        cpu.mmu().chargeWalkReferences(r.references());
        if (!r.translated()) {
            throw new VmExitSignal(r);
        }
        Translated t = (Translated) r;
        lastMemoryType = t.memoryType();
        int p = t.permissions();
        lastAllowed = (format.allows(p, Access.READ, c.guestUserPage()) ? ALLOW_READ : 0)
                | (format.allows(p, Access.WRITE, c.guestUserPage()) && t.dirty() ? ALLOW_WRITE : 0)
                | (format.allows(p, Access.EXECUTE, c.guestUserPage()) ? ALLOW_EXEC : 0);
        return t.hostPhys();
    }

    /** The effective memory type of the last access this translator allowed (WB before the first). */
    public MemoryType lastMemoryType() {
        return lastMemoryType;
    }

    @Override
    public int lastAllowed() {
        return lastAllowed;
    }

    @Override
    public long probe(long guestPhys) {
        WalkResult r = walker.translateGuestPhysical(format, guestPhys, Access.READ, AccessContext.finalAccess(0), false);
        return r.translated() ? ((Translated) r).hostPhys() : -1;
    }
}
