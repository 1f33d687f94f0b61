package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.SvmIsolation;
import dev.hvsim.conformance.campaign.SvmProtocol;
import dev.hvsim.conformance.campaign.VmxIsolation;
import dev.hvsim.conformance.gen.VmxCpu;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Shrinking of the VMX isolation property (issue 9 item 2): a stream run in the configuration drawn from its set-up
 * seed shrinks to a 1-minimal subsequence that still "fails" the same way and replays from its text. Isolation holds
 * on the model, so the "failure" is a predicate over real runs: the stream leaves the guest by a triple fault (its fault finds no IDT).
 */
class VmxIsolationShrinkingTest {
    private static final VmxCpu CPU = VmxCpu.intelCore();
    /** The guest has no usable IDT: a fault of the stream (e.g. #PF of MOV [RBX]) ends in a triple-fault exit. */
    private static final String TRIPLE_FAULT = "exit reason 2";

    @Test
    void aStreamShrinksToTheInstructionsThatLeaveTheGuestAndReplays() {
        long setup = 0;
        List<byte[]> insns = null;
        SplittableRandom r = new SplittableRandom(12);
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < 300 && insns == null; i++) {
            long s = r.nextLong();
            List<byte[]> t = new ArrayList<>();
            for (int k = 0; k < 8; k++) {   // MOV [RBX], RAX; PUSH RAX; ADD RBX, RCX; INC RAX
                t.add(HexFormat.of().parseHex(new String[] {"488903", "50", "4801cb", "48ffc0"}[r.nextInt(4)]));
            }
            Map<String, Integer> stats = new TreeMap<>();
            assertThat(VmxIsolation.run(CPU, s, t, stats)).isNull();
            stats.forEach((k, v) -> seen.merge(k, v, Integer::sum));
            if (stats.containsKey(TRIPLE_FAULT)) {
                setup = s;
                insns = t;
            }
        }
        assertThat(insns).as("a stream that ends in a triple fault; seen %s", seen).isNotNull();
        long seed = setup;
        List<byte[]> small = SvmProtocol.shrink(insns, t -> {
            Map<String, Integer> stats = new TreeMap<>();
            return VmxIsolation.run(CPU, seed, t, stats) == null && stats.containsKey(TRIPLE_FAULT);
        });
        assertThat(small.size()).isLessThan(insns.size());
        for (int i = 0; i < small.size(); i++) {   // 1-minimal: dropping any one instruction loses the fault
            List<byte[]> t = new ArrayList<>(small);
            t.remove(i);
            if (!t.isEmpty()) {
                Map<String, Integer> stats = new TreeMap<>();
                VmxIsolation.run(CPU, seed, t, stats);
                assertThat(stats).doesNotContainKey(TRIPLE_FAULT);
            }
        }
        String text = SvmIsolation.text(seed, small);
        assertThat(VmxIsolation.replay(CPU, text)).isNull();
        Map<String, Integer> stats = new TreeMap<>();
        VmxIsolation.run(CPU, seed, small, stats);
        assertThat(stats).containsKey(TRIPLE_FAULT);
    }
}
