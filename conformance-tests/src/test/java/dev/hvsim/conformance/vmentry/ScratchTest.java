package dev.hvsim.conformance.vmentry;

import dev.hvsim.conformance.gen.*;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void scratch() {
        for (VmxCpu cpu : new VmxCpu[] {VmxCpu.intelCore(), VmxCpu.intelCoreRich()}) {
            VmcsGenerator g = new VmcsGenerator(cpu);
            for (GuestMode m : GuestMode.values()) {
                int bad = 0;
                java.util.Map<String, Integer> why = new java.util.TreeMap<>();
                for (int i = 0; i < 300; i++) {
                    var o = g.valid(m, new SplittableRandom(i)).check();
                    if (o.kind() != dev.hvsim.vmx.EntryOutcome.Kind.ENTERED) { bad++; o.all().forEach(v -> why.merge(v.id(), 1, Integer::sum)); }
                }
                System.out.println(cpu.name() + " " + m + " bad=" + bad + " " + why);
            }
        }
    }
}
