package dev.hvsim.conformance.gen;

import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryContext;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.VmcsSnapshot;
import dev.hvsim.vmx.VmxExtension;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.bus.SparseMemory;
import java.util.Map;

/**
 * The VM-entry checks on a {@link VmxCase}, fast: the same {@link EntryChecks#check} that {@link VmxCase#check()}
 * (and {@code hvsim check-vmcs}) runs, on a context whose CPU (for the WRMSR probe of 28.4) is built once per
 * processor mode instead of once per check. Not thread-safe: one per thread. The conformance suite tests that it
 * agrees with {@link VmxCase#check()}.
 */
public final class VmxEvaluator {
    private final VmxCpu cpu;
    private final EntryContext.MsrProbe[] probes = new EntryContext.MsrProbe[2];

    public VmxEvaluator(VmxCpu cpu) {
        this.cpu = cpu;
        for (int lma = 0; lma < 2; lma++) {
            SparseMemory bus = new SparseMemory();
            Cpu c = new Cpu(cpu.profile(), bus, bus);
            VmxExtension x = VmxExtension.install(c, cpu.caps());
            c.state().cr0 = VmxCase.CR0;
            c.state().cr4 = lma == 1 ? VmxCase.CR4_LMA : VmxCase.CR4_LEGACY;
            c.state().efer = lma == 1 ? VmxCase.EFER_LMA : VmxCase.EFER_LEGACY;
            c.modeChanged();
            probes[lma] = x.entryContext().msrProbe();
        }
    }

    public VmxCpu cpu() {
        return cpu;
    }

    public EntryOutcome check(VmxCase c) {
        if (!c.cpu().name().equals(cpu.name())) {
            throw new IllegalArgumentException("case of " + c.cpu().name() + " given to the evaluator of " + cpu.name());
        }
        Map<Long, Long> mem = c.memory();
        EntryContext ctx = new EntryContext(cpu.caps(), c.processorLma(), cpu.profile().maxPhysAddr(),
                cpu.profile().linearAddressBits(), (pa, size) -> read(mem, pa, size), probes[c.processorLma() ? 1 : 0]);
        return EntryChecks.check(VmcsSnapshot.of(c.fields()), ctx);
    }

    static long read(Map<Long, Long> mem, long pa, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            long a = pa + i;
            v = v << 8 | (mem.getOrDefault(a & ~7L, 0L) >>> (8 * (a & 7)) & 0xff);
        }
        return v;
    }
}
