package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.SvmRoundTrip;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.svm.VmcbBases;
import dev.hvsim.x86core.CpuProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Property (a) of issue 9 for SVM (AMD APM Vol. 2 15.5, 15.6, 15.7; Vol. 3 VMRUN, VMMCALL): random valid VMCBs of
 * every VmcbGenerator base, under nested paging with random nested and guest tables, enter; the guest's VMMCALL exits
 * with code 81H, the VMCB saved equal to the VMCB loaded field by field (the APM's exceptions: exit fields, NRIP,
 * EFER.LMA, CR0.ET, GUEST_INTERRUPT_MASK), the host state restored from VM_HSAVE_PA. Fixed seed
 * ({@code -Dhvsim.conform.seed}), printed with the first failure, shrunk, as a check-vmcb description.
 */
class SvmRoundTripTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);

    @Test
    void vmmcallRoundTripSavesWhatVmrunLoaded() {
        CpuProfile amd = CpuProfile.load("amd-zen");
        VmcbGenerator gen = new VmcbGenerator(amd);
        List<String> problems = new ArrayList<>();
        Map<String, Integer> perBase = new TreeMap<>();
        for (int i = 0; i < 90; i++) {
            long seed = SEED * 131 + i;
            SplittableRandom r = new SplittableRandom(seed);
            String base = VmcbBases.NAMES.get(i % VmcbBases.NAMES.size());
            VmcbCase c = gen.valid(base, r);
            long placeSeed = r.nextLong();
            String p = SvmRoundTrip.check(c, placeSeed);
            if (p != null) {
                problems.add("case seed " + seed + " (" + base + "): " + p);
                if (problems.size() == 1) {
                    System.out.println("first failing case, shrunk (check-vmcb description; image seed " + placeSeed
                            + "):\n" + Repro.text(Repro.checkVmcb(SvmRoundTrip.shrink(c, placeSeed))));
                }
            }
            perBase.merge(base, 1, Integer::sum);
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        assertThat(perBase).containsOnlyKeys(VmcbBases.NAMES);
    }
}
