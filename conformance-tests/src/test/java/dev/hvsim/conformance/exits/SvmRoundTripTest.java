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
 * every VmcbGenerator base and guest mode (64-bit, compatibility, protected mode without paging, with 32-bit paging,
 * with PAE paging), under nested paging with random nested and guest tables, enter; the guest's VMMCALL exits
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
        Map<String, Integer> perBase = new TreeMap<>(), perMode = new TreeMap<>();
        int largeNested = 0;
        for (int i = 0; i < 150; i++) {
            long seed = SEED * 131 + i;
            SplittableRandom r = new SplittableRandom(seed);
            String base = VmcbBases.NAMES.get(i % VmcbBases.NAMES.size());
            VmcbCase c = gen.validAnyMode(base, r);
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
            perMode.merge(VmcbGenerator.mode(c), 1, Integer::sum);
            largeNested += SvmRoundTrip.placed(c, placeSeed).gpaToHpa().size() >= 512 ? 1 : 0;
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        assertThat(perBase).containsOnlyKeys(VmcbBases.NAMES);
        assertThat(perMode).as("guest modes").containsOnlyKeys(VmcbGenerator.MODES);
        assertThat(largeNested).as("images with a 2 MiB nested page").isGreaterThan(30);
    }

    /**
     * Without NRIP save (CPUID Fn8000_000A EDX[NRIPS] = 0, a variant of amd-zen) the VMMCALL round trip leaves the
     * NRIP field as VMRUN found it (APM Vol. 2 15.7.1) and the saved RIP is still the VMMCALL's own.
     */
    @Test
    void withoutNripsTheRoundTripLeavesNripAlone() {
        CpuProfile amd = withoutNrips(CpuProfile.load("amd-zen"));
        VmcbGenerator gen = new VmcbGenerator(amd);
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            long seed = SEED * 7 + i;
            SplittableRandom r = new SplittableRandom(seed);
            VmcbCase c = gen.valid(VmcbBases.NAMES.get(i % VmcbBases.NAMES.size()), r);
            c = c.with("control.NRIP", r.nextLong());   // what a VMM left there: must survive the #VMEXIT
            String p = SvmRoundTrip.check(c, r.nextLong());
            if (p != null) {
                problems.add("case seed " + seed + ": " + p);
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
    }

    /** amd-zen with Fn8000_000A EDX bit 3 (NRIPS) clear. */
    static CpuProfile withoutNrips(CpuProfile p) {
        List<CpuProfile.CpuidLeaf> leaves = new ArrayList<>();
        for (CpuProfile.CpuidLeaf l : p.cpuid()) {
            if (l.leaf() == 0x8000000aL) {
                long edx = Long.decode(l.edx()) & ~(1L << 3);
                l = new CpuProfile.CpuidLeaf(l.leafHex(), l.subleaf(), l.eax(), l.ebx(), l.ecx(), "0x" + Long.toHexString(edx));
            }
            leaves.add(l);
        }
        assertThat(leaves).isNotEqualTo(p.cpuid());
        return new CpuProfile(p.name() + "-no-nrips", p.vendor(), p.description(), p.maxPhysAddr(), leaves,
                p.latency(), p.pageWalkReference(), p.tscPerCycle());
    }
}
