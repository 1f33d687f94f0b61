package dev.hvsim.conformance.vmentry;

import dev.hvsim.conformance.gen.*;
import dev.hvsim.vmx.*;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void scratch() {
        long t0 = System.nanoTime();
        java.util.Map<String, java.util.Set<String>> found = new java.util.TreeMap<>();
        for (VmxCpu cpu : new VmxCpu[] {VmxCpu.intelCore(), VmxCpu.intelCoreRich()}) {
            VmcsGenerator g = new VmcsGenerator(cpu); VmxMutators mu = new VmxMutators(new VmxEvaluator(cpu));
            for (EntryRule rule : EntryChecks.rules()) {
                for (GuestMode m : GuestMode.values()) {
                    SplittableRandom r = new SplittableRandom(rule.id().hashCode() * 31 + m.ordinal());
                    var c = mu.breakOnly(rule, g.valid(m, r), r);
                    found.computeIfAbsent(rule.id(), k -> new java.util.TreeSet<>());
                    if (c.isPresent()) found.get(rule.id()).add(cpu.name().replace("intel-core", "ic") + ":" + m);
                }
            }
        }
        found.forEach((k, v) -> { if (v.isEmpty()) System.out.println("MISSING " + k); });
        System.out.println("rules=" + found.size() + " ms=" + (System.nanoTime() - t0) / 1000000);
    }
}
