package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.VmxRoundTrip;
import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmcsGenerator;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property (a) of issue 9 (SDM Vol. 3C 28.3.2, 29.3; 31 VMCALL): random valid states of every guest mode, made
 * runnable with random consistent guest page tables and EPT tables, enter; the guest's VMCALL exits with every
 * guest-state field saved equal to the value loaded. Fixed seed ({@code -Dhvsim.conform.seed}), printed on failure.
 */
class VmcallRoundTripTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);

    @Test
    void vmcallRoundTripSavesWhatEntryLoaded() {
        VmxCpu cpu = VmxCpu.intelCore();
        VmcsGenerator gen = new VmcsGenerator(cpu);
        List<String> problems = new ArrayList<>();
        Map<GuestMode, Integer> perMode = new EnumMap<>(GuestMode.class);
        int ept = 0;
        for (int i = 0; i < 120; i++) {
            long seed = SEED * 131 + i;
            SplittableRandom r = new SplittableRandom(seed);
            GuestMode mode = GuestMode.values()[i % GuestMode.values().length];
            VmxCase c = gen.valid(mode, r);
            String p = VmxRoundTrip.check(c, r);
            if (p != null) {
                problems.add("case seed " + seed + " (" + mode + "): " + p);
                if (problems.size() == 1) {
                    System.out.println("first failing case (check-vmcs description):\n" + Repro.text(Repro.checkVmcs(c)));
                }
            }
            perMode.merge(mode, 1, Integer::sum);
            ept += (c.get("SECONDARY_VM_EXEC_CONTROL") & 2) != 0 ? 1 : 0;
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        assertThat(perMode).hasSize(GuestMode.values().length);
        assertThat(ept).as("cases under EPT").isGreaterThan(25);
    }
}
