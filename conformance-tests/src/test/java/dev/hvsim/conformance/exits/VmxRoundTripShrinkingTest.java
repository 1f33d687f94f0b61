package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.VmxRoundTrip;
import dev.hvsim.conformance.campaign.VmxShrinker;
import dev.hvsim.conformance.gen.VmcsGenerator;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.vmx.EntryOutcome;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Shrinking of the VMCALL round trip (issue 9 item 2): a case shrinks, through real runs with one image seed, to the
 * fewest fields that differ from its guest mode's base while the round trip keeps failing (or holding) on the same
 * fields, and the result is written as a check-vmcs description of its placed image. The round trip holds on the
 * model, so the "failures" are predicates over real runs whose shrunk result can be stated exactly.
 */
class VmxRoundTripShrinkingTest {
    private static final VmxCpu CPU = VmxCpu.intelCore();

    @Test
    void aHoldingCaseShrinksToItsBaseThroughRealRuns() {
        SplittableRandom r = new SplittableRandom(41);
        VmxCase c = new VmcsGenerator(CPU).valid(r);
        long imageSeed = r.nextLong();
        assertThat(VmxRoundTrip.diffs(c, new SplittableRandom(imageSeed))).isEmpty();
        VmxCase base = VmxCase.ofBase(CPU, c.mode());
        assertThat(VmxShrinker.diff(c, base)).as("a random state differs from its base").isNotEmpty();
        // the signature of a holding trip is empty: every reverted field keeps it, so everything is reverted
        VmxCase small = VmxRoundTrip.shrink(c, imageSeed);
        assertThat(VmxShrinker.diff(small, base)).isEmpty();
        assertThat(small.check().kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
    }

    @Test
    void aFailurePredicateOverRealRunsKeepsOnlyTheFieldItNeedsAndIsWrittenForCheckVmcs() {
        SplittableRandom r = new SplittableRandom(7);
        VmxCase c = new VmcsGenerator(CPU).valid(r);
        c = c.with("GUEST_RFLAGS", c.get("GUEST_RFLAGS") | 1L << 11);   // OF: the field the "failure" needs
        long imageSeed = r.nextLong();
        VmxCase base = VmxCase.ofBase(CPU, c.mode());
        // "fails": the trip runs (and holds) with OF set in the RFLAGS it loads and saves
        VmxCase small = VmxShrinker.shrink(c, base, x -> x.check().kind() == EntryOutcome.Kind.ENTERED
                && (x.get("GUEST_RFLAGS") & 1L << 11) != 0
                && VmxRoundTrip.diffs(x, new SplittableRandom(imageSeed)).isEmpty());
        assertThat(VmxShrinker.diff(small, base)).containsOnlyKeys(
                dev.hvsim.vmcs.VmcsFields.get().lookup("GUEST_RFLAGS"));
        ObjectNode json = Repro.checkVmcs(VmxRoundTrip.placed(small, new SplittableRandom(imageSeed)).vmxCase());
        assertThat(json.path("vmcs").path("GUEST_RFLAGS").asText()).isNotEmpty();
        assertThat(Long.decode(json.path("vmcs").path("GUEST_RFLAGS").asText()) & 1L << 11).isNotZero();
        assertThat(json.path("memory").isArray()).as("the placed image's page tables and code").isTrue();
    }
}
