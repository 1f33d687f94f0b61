package dev.hvsim.conformance.gen;

import dev.hvsim.svm.SvmExtension;
import dev.hvsim.svm.VmcbSnapshot;
import dev.hvsim.svm.VmrunChecks;
import dev.hvsim.svm.VmrunContext;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.bus.SparseMemory;
import java.util.Map;

/**
 * The VMRUN checks on a {@link VmcbCase}, fast: {@link VmrunChecks#check} with the context of a CPU built once
 * (what {@link VmcbCase#check()} and {@code hvsim check-vmcb} build per call). Not thread-safe: one per thread.
 */
public final class VmrunEvaluator {
    private final CpuProfile profile;
    private final VmrunContext base;

    public VmrunEvaluator(CpuProfile profile) {
        this.profile = profile;
        SparseMemory bus = new SparseMemory();
        Cpu cpu = new Cpu(profile, bus, bus);
        SvmExtension x = cpu.extension() instanceof SvmExtension ? (SvmExtension) cpu.extension()
                : SvmExtension.install(cpu);
        cpu.state().cr4 |= Cpu.CR4_PAE;
        cpu.state().efer |= Cpu.EFER_LME | Cpu.EFER_LMA;
        this.base = x.vmrunContext();
    }

    public CpuProfile profile() {
        return profile;
    }

    public VmrunOutcome check(VmcbCase c) {
        return VmrunChecks.check(VmcbSnapshot.of(c.image()), context(c));
    }

    /** The context VMRUN's checks see for this case (memory, host CR0). */
    public VmrunContext context(VmcbCase c) {
        Map<Long, Long> mem = c.memory();
        return new VmrunContext(base.maxPhysAddr(), base.eferAllowed(), base.cr4Allowed(),
                (pa, size) -> VmxEvaluator.read(mem, pa, (int) size), c.hostCr0());
    }
}
