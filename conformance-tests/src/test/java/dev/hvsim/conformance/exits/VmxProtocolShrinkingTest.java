package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.SvmProtocol;
import dev.hvsim.conformance.campaign.VmxProtocol;
import dev.hvsim.conformance.gen.VmxCpu;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Shrinking of the VMX instruction protocol (issue 9 item 2): each step draws from its own seed, so steps can be
 * dropped without changing the others; a sequence shrinks to a 1-minimal one that still "fails" the same way and
 * replays from its text. The protocol holds on the model, so the "failure" is a predicate over real runs.
 */
class VmxProtocolShrinkingTest {
    private static final VmxCpu CPU = VmxCpu.intelCore();
    private static final String READ = "VMREAD -> success", LAUNCH = "VMLAUNCH -> entered+VMCALL exit";

    private static boolean reaches(long setup, List<Long> seeds) {
        Map<String, Integer> seen = new TreeMap<>();
        return VmxProtocol.run(CPU, setup, seeds, seen, new ArrayList<>()) == null && seen.containsKey(READ)
                && seen.containsKey(LAUNCH);
    }

    @Test
    void aSequenceShrinksToTheStepsThatProduceTheOutcomesAndReplays() {
        SplittableRandom r = new SplittableRandom(2026);
        long setup = r.nextLong();
        List<Long> seeds = null;
        for (int i = 0; i < 40 && seeds == null; i++) {
            List<Long> t = new ArrayList<>();
            for (int k = 0; k < 60; k++) {
                t.add(r.nextLong());
            }
            if (reaches(setup, t)) {
                seeds = t;
            }
        }
        assertThat(seeds).as("a random sequence with a successful VMREAD and VMLAUNCH").isNotNull();
        List<Long> original = seeds;
        List<Long> small = SvmProtocol.shrink(original, t -> reaches(setup, t));
        // at least VMXON, VMPTRLD, VMREAD and VMLAUNCH; far fewer than the 60 drawn
        assertThat(small.size()).isBetween(4, 12);
        assertThat(original).containsAll(small);
        for (int i = 0; i < small.size(); i++) {   // 1-minimal: no single step can be dropped
            List<Long> t = new ArrayList<>(small);
            t.remove(i);
            assertThat(reaches(setup, t)).as("without step %d", i).isFalse();
        }
        String text = VmxProtocol.text(setup, small);
        assertThat(text.lines().count()).isEqualTo(small.size() + 1);
        assertThat(VmxProtocol.replay(CPU, text)).as("the protocol holds on the replay").isNull();
        List<String> log = new ArrayList<>();
        VmxProtocol.run(CPU, setup, small, new TreeMap<>(), log);
        assertThat(log).anyMatch(l -> l.startsWith("VMXON") && l.endsWith("success"))
                .anyMatch(l -> l.startsWith("VMPTRLD") && l.endsWith("success"));
    }

    @Test
    void badReplayTextIsRejected() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VmxProtocol.replay(CPU, "step 1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("setup SEED");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VmxProtocol.replay(CPU, "setup 1\nvmxon"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
    }
}
