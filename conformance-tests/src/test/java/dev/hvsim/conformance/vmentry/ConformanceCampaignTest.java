package dev.hvsim.conformance.vmentry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Campaign;
import dev.hvsim.conformance.campaign.Failure;
import dev.hvsim.conformance.campaign.RuleCoverage;
import dev.hvsim.conformance.campaign.SvmProperties;
import dev.hvsim.conformance.campaign.VmxProperties;
import org.junit.jupiter.api.Test;

/**
 * The VM-entry (SDM Vol. 3C 28.2-28.4) and VMRUN (APM Vol. 2 15.5.1) properties as a short fixed-seed campaign, the
 * engine of {@code hvsim conform}: valid states enter, single-rule mutants fail with their group's outcome naming the
 * rule, several broken rules follow the checking order, check-vmcs/check-vmcb agree with the engine; every implemented
 * rule is violated at least once (the coverage table is printed). Seed: -Dhvsim.conform.seed (printed on failure).
 */
class ConformanceCampaignTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);

    @Test
    void intel() {
        // 2 single-rule cases per 4, the rules in turn: 4 x rules / 2 cases reach every rule once, x2 for twice
        run(true, false, 4L * VmxProperties.ruleCount());
    }

    @Test
    void amd() {
        Campaign.Result r = run(false, true, 8L * SvmProperties.ruleCount());
        // the SVM executed properties (round trip, protocol, isolation) ran and are counted in the summary
        assertThat(r.executed()).containsKeys("svm-round-trip", "svm-protocol", "svm-isolation");
        assertThat(r.executed()).allSatisfy((k, n) -> assertThat(n).as(k).isGreaterThanOrEqualTo(2));
        // VMRUN's instruction-level rows (#UD without EFER.SVME, #GP at CPL > 0, #GP for rAX) provoked by svm-protocol
        for (String id : dev.hvsim.conformance.campaign.RuleCoverage.SVM_INSTRUCTION_LEVEL) {
            assertThat(r.coverage().svmCount(id)).as(id).isPositive();
        }
        assertThat(r.summaryJson()).contains("\"svm-round-trip\"", "\"svm-protocol\"", "\"svm-isolation\"");
    }

    /** Determinism: the same seed gives the same failures and coverage counts on 1 and on 3 threads. */
    @Test
    void sameSeedSameResultWhateverTheThreads() {
        long cases = 2L * SvmProperties.ruleCount() + 2L * VmxProperties.ruleCount() / 3;
        Campaign.Result one = Campaign.run(new Campaign.Config(true, true, cases, SEED + 1, 1), n -> { });
        Campaign.Result three = Campaign.run(new Campaign.Config(true, true, cases, SEED + 1, 3), n -> { });
        assertThat(three.failures()).isEqualTo(one.failures());
        assertThat(three.coverage().rows(true, true)).isEqualTo(one.coverage().rows(true, true));
        assertThat(three.executed()).isEqualTo(one.executed());
        assertThat(one.coverage().rows(true, true).stream().mapToLong(RuleCoverage.Row::count).sum()).isPositive();
    }

    private static Campaign.Result run(boolean intel, boolean amd, long cases) {
        Campaign.Result r = Campaign.run(new Campaign.Config(intel, amd, cases, SEED, 2), n -> { });
        System.out.println(r.coverage().table(intel, amd));
        StringBuilder why = new StringBuilder("seed " + SEED + "\n");
        for (Failure f : r.failures()) {
            why.append(f).append('\n').append(f.json() == null ? "" : f.json() + "\n");
        }
        assertThat(r.casesRun()).isEqualTo(cases);
        assertThat(r.failures()).as(why.toString()).isEmpty();
        assertThat(r.uncovered()).as("rules never violated (seed %d)", SEED).isEmpty();
        for (RuleCoverage.Row row : r.coverage().rows(intel, amd)) {
            assertThat(row.status()).as(row.id()).isNotEqualTo("rule without a reference row");
        }
        return r;
    }
}
