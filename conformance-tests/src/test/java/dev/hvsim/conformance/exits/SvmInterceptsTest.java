package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.SvmIntercepts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property (b) of issue 9 for SVM (AMD APM Vol. 2 15.7.1, 15.8-15.14, Table 15-7): every snippet of the SVM catalogue
 * under random intercept vectors, IOPM and MSRPM exits iff the configuration says so, with EXITINFO1/2 and NRIP
 * decoding to its operands. Fixed seed ({@code -Dhvsim.conform.seed}), printed on failure with the shrunk
 * reproduction file.
 */
class SvmInterceptsTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);
    /** Snippets that exit whatever the configuration (none) or never (RDRAND has no SVM intercept). */
    static final Set<String> NEVER_EXITS = Set.of("RDRAND EAX");

    @Test
    void snippetsExitIffTheConfigurationSaysSo() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int n = 0;
        for (SvmIntercepts.Snippet sn : SvmIntercepts.CATALOGUE) {
            // at least 8 cases per snippet, more (up to 40) until both branches were seen
            for (int i = 0; i < 8 || i < 40 && !(seen.containsKey(sn.name() + " exits")
                    && (seen.containsKey(sn.name() + " runs") || seen.containsKey(sn.name() + " faults"))); i++) {
                long seed = SEED * 7907 + n++;
                String p = SvmIntercepts.check(new SplittableRandom(seed), sn, seen);
                if (p != null && !problems.isEmpty()) {
                    problems.add("case seed " + seed + ": " + p);
                } else if (p != null) {      // the first failure is shrunk and printed as its reproduction file
                    SvmIntercepts.Trial t = SvmIntercepts.shrink(SvmIntercepts.generate(new SplittableRandom(seed), sn));
                    problems.add("case seed " + seed + ": " + p + "\nshrunk: "
                            + Repro.text(SvmIntercepts.repro(t, SvmIntercepts.run(t).problem())));
                }
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        for (SvmIntercepts.Snippet sn : SvmIntercepts.CATALOGUE) {
            assertThat(seen.containsKey(sn.name() + " runs") || seen.containsKey(sn.name() + " faults"))
                    .as(sn.name() + " runs or faults").isTrue();
            if (!NEVER_EXITS.contains(sn.name())) {
                assertThat(seen).as(sn.name()).containsKey(sn.name() + " exits");
            }
        }
    }

    /** The same property in a 32-bit protected-mode guest without paging (operand and address sizes of the mode). */
    @Test
    void snippetsInProtectedMode() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int n = 0;
        for (SvmIntercepts.Snippet sn : SvmIntercepts.legacyRows()) {
            for (int i = 0; i < 4 || i < 30 && !(seen.containsKey(sn.name() + " exits")
                    && (seen.containsKey(sn.name() + " runs") || seen.containsKey(sn.name() + " faults"))); i++) {
                long seed = SEED * 7883 + n++;
                SvmIntercepts.Trial t = SvmIntercepts.generate(new SplittableRandom(seed), sn, true);
                SvmIntercepts.Result res = SvmIntercepts.run(t);
                long code = res.expect().code();
                seen.merge(sn.name() + (code >= 0x40 && code < 0x60 ? " faults" : code >= 0 ? " exits" : " runs"), 1,
                        Integer::sum);
                if (res.problem() != null) {
                    problems.add("case seed " + seed + ": " + res.problem() + (problems.isEmpty() ? "\nshrunk: "
                            + Repro.text(SvmIntercepts.repro(SvmIntercepts.shrink(t), null)) : ""));
                }
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        assertThat(SvmIntercepts.legacyRows()).hasSizeGreaterThan(40);
        for (SvmIntercepts.Snippet sn : SvmIntercepts.legacyRows()) {
            assertThat(seen.containsKey(sn.name() + " runs") || seen.containsKey(sn.name() + " faults"))
                    .as(sn.name() + " runs or faults").isTrue();
            if (!NEVER_EXITS.contains(sn.name())) {
                assertThat(seen).as(sn.name()).containsKey(sn.name() + " exits");
            }
        }
    }
}
