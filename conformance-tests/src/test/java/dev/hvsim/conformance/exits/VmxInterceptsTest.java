package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.VmxIntercepts;
import dev.hvsim.conformance.gen.VmxCpu;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property (b) of issue 9 for VMX (SDM Vol. 3C 26.1.2-26.1.3, 29.2.1, 29.2.5): every snippet of the catalogue under
 * random intercept configurations exits iff the configuration says so, with the exit information decoding to its
 * operands. Fixed seed ({@code -Dhvsim.conform.seed}), printed on failure.
 */
class VmxInterceptsTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);
    /** Unconditional exits (26.1.2) and never-exiting reads (MOV from CR0/CR4 read the shadow, 26.3). */
    static final java.util.Set<String> ALWAYS = java.util.Set.of("CPUID", "INVD"),
            NEVER = java.util.Set.of("MOV RAX, CR0", "MOV RCX, CR4", "PUSHF", "POPF");

    @Test
    void snippetsExitIffTheConfigurationSaysSo() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int n = 0;
        for (VmxIntercepts.Snippet sn : VmxIntercepts.CATALOGUE) {
            // at least 8 cases per snippet, more (up to 40) until both branches were seen
            for (int i = 0; i < 8 || i < 40 && !(seen.containsKey(sn.name() + " exits")
                    && (seen.containsKey(sn.name() + " runs") || seen.containsKey(sn.name() + " faults"))); i++) {
                long seed = SEED * 7919 + n++;
                String p = VmxIntercepts.check(VmxCpu.intelCore(), new SplittableRandom(seed), sn, seen);
                if (p != null && problems.isEmpty()) {     // the first failure is shrunk and printed as its file
                    VmxIntercepts.Trial t = VmxIntercepts.shrink(
                            VmxIntercepts.generate(VmxCpu.intelCore(), new SplittableRandom(seed), sn));
                    problems.add("case seed " + seed + ": " + p + "\nshrunk: "
                            + Repro.text(VmxIntercepts.repro(t, VmxIntercepts.run(t).problem())));
                } else if (p != null) {
                    problems.add("case seed " + seed + ": " + p);
                }
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        // every conditional snippet was seen both exiting and running in the guest (CPUID and INVD always exit)
        for (VmxIntercepts.Snippet sn : VmxIntercepts.CATALOGUE) {
            if (!NEVER.contains(sn.name())) {
                assertThat(seen).as(sn.name()).containsKey(sn.name() + " exits");
            }
            if (!ALWAYS.contains(sn.name())) {   // the other branch: executes in the guest, or faults before exiting
                assertThat(seen.containsKey(sn.name() + " runs") || seen.containsKey(sn.name() + " faults"))
                        .as(sn.name() + " runs or faults").isTrue();
            }
        }
    }

    /**
     * The same property in compatibility mode, 32-bit protected mode with and without PAE, real mode under
     * unrestricted guest and virtual-8086 mode (operand and address sizes of the mode; exceptions with priority over
     * exits, 26.1.1).
     */
    @Test
    void snippetsInOtherGuestModes() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int n = 0;
        for (dev.hvsim.conformance.gen.GuestMode mode : VmxIntercepts.OTHER_MODES) {
            for (VmxIntercepts.Snippet sn : VmxIntercepts.modeRows(mode)) {
                for (int i = 0; i < 5; i++) {
                    long seed = SEED * 7877 + n++;
                    VmxIntercepts.Trial t = VmxIntercepts.generate(VmxCpu.intelCore(), new SplittableRandom(seed), sn, mode);
                    VmxIntercepts.Result res = VmxIntercepts.run(t);
                    String key = mode + " " + sn.name() + (res.expect().vector() >= 0 ? " faults"
                            : res.expect().reason() >= 0 ? " exits" : " runs");
                    seen.merge(key, 1, Integer::sum);
                    if (res.problem() != null && problems.isEmpty()) {
                        VmxIntercepts.Trial small = VmxIntercepts.shrink(t);
                        problems.add(mode + " case seed " + seed + ": " + res.problem() + "\nshrunk: "
                                + Repro.text(VmxIntercepts.repro(small, VmxIntercepts.run(small).problem())));
                    } else if (res.problem() != null) {
                        problems.add(mode + " case seed " + seed + ": " + res.problem());
                    }
                }
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        for (dev.hvsim.conformance.gen.GuestMode mode : VmxIntercepts.OTHER_MODES) {
            assertThat(seen.keySet()).as("%s exits", mode).anyMatch(k -> k.startsWith(mode + " ") && k.endsWith(" exits"));
            assertThat(seen.keySet()).as("%s runs", mode).anyMatch(k -> k.startsWith(mode + " ") && k.endsWith(" runs"));
        }
        assertThat(seen.keySet()).as("virtual-8086 #GP before exits").anyMatch(k -> k.startsWith("VIRTUAL_8086 ") && k.endsWith(" faults"));
    }
}
