package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.SvmIsolation;
import dev.hvsim.conformance.campaign.SvmProperties;
import dev.hvsim.conformance.campaign.SvmProtocol;
import dev.hvsim.conformance.campaign.SvmRoundTrip;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.svm.VmcbBases;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Shrinking of the SVM executed properties (issue 9 item 2): sequences and streams shrink to 1-minimal subsequences
 * that still fail the same way and replay from their text; VMCB cases shrink to the fewest fields that differ from
 * their base and still fail, written as a check-vmcb description. The "failures" here are predicates over real runs
 * of the model (the properties themselves hold), so that the shrinkers' results can be stated exactly.
 */
class SvmShrinkingTest {
    @Test
    void deltaDebuggingKeepsExactlyTheStepsThatMatter() {
        List<Integer> l = new SplittableRandom(3).ints(60, 0, 1000).boxed().collect(Collectors.toList());
        l.add(17, 7001);
        l.add(44, 7002);
        List<Integer> small = SvmProtocol.shrink(l, x -> x.contains(7001) && x.contains(7002));
        assertThat(small).containsExactly(7001, 7002);
    }

    @Test
    void aProtocolSequenceShrinksToTheTwoStepsThatProduceTheOutcomesAndReplays() {
        long setup = 99;
        List<SvmProtocol.Step> steps = null;
        SplittableRandom r = new SplittableRandom(5);
        // a random sequence in which both outcomes occur
        for (int i = 0; i < 50 && steps == null; i++) {
            List<SvmProtocol.Step> t = SvmProtocol.steps(r, 30);
            Map<String, Integer> seen = new TreeMap<>();
            assertThat(SvmProtocol.run(setup, t, seen)).isNull();
            if (seen.containsKey("VMRUN -> #VMEXIT(VMEXIT_INVALID)") && seen.containsKey("VMSAVE -> success")) {
                steps = t;
            }
        }
        assertThat(steps).isNotNull();
        List<SvmProtocol.Step> small = SvmProtocol.shrink(steps, t -> {
            Map<String, Integer> seen = new TreeMap<>();
            return SvmProtocol.run(setup, t, seen) == null && seen.containsKey("VMRUN -> #VMEXIT(VMEXIT_INVALID)")
                    && seen.containsKey("VMSAVE -> success");
        });
        assertThat(small).hasSize(2);
        assertThat(small).extracting(SvmProtocol.Step::op)
                .containsExactlyInAnyOrder(SvmProtocol.Op.VMRUN, SvmProtocol.Op.VMSAVE);
        assertThat(small).allMatch(s -> s.cpl() == 0);
        String text = SvmProtocol.text(setup, small);
        assertThat(text.lines().count()).isEqualTo(3);
        assertThat(SvmProtocol.replay(text)).isNull();
    }

    @Test
    void anIsolationStreamShrinksToTheStoresThatMatterAndReplays() {
        // "fails": a stream that leaves the guest by a nested page fault; shrunk to one instruction
        long setup = -1;
        List<byte[]> insns = null;
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 200 && insns == null; i++) {
            long s = r.nextLong();
            List<byte[]> t = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                t.add(HexFormat.of().parseHex(new String[] {"488903", "50", "4801cb", "48ffc0"}[r.nextInt(4)]));
            }
            Map<String, Integer> stats = new TreeMap<>();
            assertThat(SvmIsolation.run(s, t, stats)).isNull();
            if (stats.containsKey("exit code 400")) {
                setup = s;
                insns = t;
            }
        }
        assertThat(insns).isNotNull();
        long seed = setup;
        List<byte[]> small = SvmProtocol.shrink(insns, t -> {
            Map<String, Integer> stats = new TreeMap<>();
            return SvmIsolation.run(seed, t, stats) == null && stats.containsKey("exit code 400");
        });
        assertThat(small.size()).isLessThan(insns.size());
        for (int i = 0; i < small.size(); i++) {   // 1-minimal: dropping any one instruction loses the fault
            List<byte[]> t = new ArrayList<>(small);
            t.remove(i);
            Map<String, Integer> stats = new TreeMap<>();
            if (!t.isEmpty()) {
                SvmIsolation.run(seed, t, stats);
                assertThat(stats).doesNotContainKey("exit code 400");
            }
        }
        assertThat(SvmIsolation.replay(SvmIsolation.text(seed, small))).isNull();
    }

    @Test
    void aVmcbCaseShrinksToTheOneFieldThatMattersAsACheckVmcbDescription() throws Exception {
        CpuProfile amd = CpuProfile.load("amd-zen");
        VmcbCase c = new VmcbGenerator(amd).valid(VmcbBases.LONG_MODE, new SplittableRandom(8));
        long dr6 = VmcbCase.ofBase(amd, VmcbBases.LONG_MODE).get("save.DR6");
        assertThat(c.diffFromBase().size()).isGreaterThan(10);
        c = c.with("save.DR6", dr6 | 0x1);
        long seed = 4;
        VmcbCase small = SvmProperties.shrink(c, VmcbCase.ofBase(amd, VmcbBases.LONG_MODE),
                x -> x.check().kind() == VmrunOutcome.Kind.ENTERED && SvmRoundTrip.check(x, seed) == null
                        && (x.get("save.DR6") & 1) != 0);
        assertThat(small.diffFromBase()).containsOnlyKeys("save.DR6");
        JsonNode json = new ObjectMapper().readTree(Repro.text(Repro.checkVmcb(small)));
        assertThat(json.get("base").asText()).isEqualTo(VmcbBases.LONG_MODE);
        assertThat(json.get("vmcb").size()).isEqualTo(1);
        assertThat(Long.decode(json.get("vmcb").get("save.DR6").asText()) & 1).isEqualTo(1);
    }
}
