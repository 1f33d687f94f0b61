package dev.hvsim.conformance.vmentry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.hvsim.conformance.gen.Generators;
import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmrunEvaluator;
import dev.hvsim.conformance.gen.VmrunMutators;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.conformance.gen.VmxEvaluator;
import dev.hvsim.conformance.gen.VmxMutators;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.EntryRule;
import dev.hvsim.x86core.CpuProfile;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The example of conformance-tests/DESIGN.md "Using the generators", as a test: QuickTheories with fixed seeds over
 * the domain generators (QuickTheories prints the seed of a failing run).
 */
class GeneratorsExampleTest {

    /** SDM Vol. 3C 28.2-28.4: a VMCS valid by construction passes every VM-entry check, in every guest mode. */
    @Test
    void validVmcsStatesEnter() {
        for (GuestMode mode : GuestMode.values()) {
            qt().withFixedSeed(0x9_2026L + mode.ordinal()).withExamples(60)
                    .forAll(Generators.validVmcs(VmxCpu.intelCore(), mode))
                    .checkAssert(c -> assertThat(c.check().kind()).as("%s: %s", mode, c.check().all())
                            .isEqualTo(EntryOutcome.Kind.ENTERED));
        }
    }

    /** Breaking one rule of a valid state gives that rule's group outcome, naming the rule. */
    @Test
    void breakingGuestCr0FixedBitsIsAnInvalidGuestStateExit() {
        VmxCpu cpu = VmxCpu.intelCore();
        VmxMutators mutators = new VmxMutators(new VmxEvaluator(cpu));
        EntryRule rule = VmxMutators.rule("GUEST-CR0-FIXED");
        qt().withFixedSeed(7).withExamples(30).forAll(Generators.validVmcs(cpu, GuestMode.LONG_64), Generators.seeds())
                .checkAssert((valid, seed) -> {
                    VmxCase mutant = mutators.breakOnly(rule, valid, new SplittableRandom(seed)).orElseThrow();
                    EntryOutcome o = mutant.check();
                    assertThat(o).isInstanceOf(EntryOutcome.EntryFailureExit.class);
                    assertThat(((EntryOutcome.EntryFailureExit) o).reason()).isEqualTo(33);
                    assertThat(VmxCase.ids(o.violations())).containsExactly("GUEST-CR0-FIXED");
                });
    }

    /** APM Vol. 2 15.5.1: valid VMCBs enter; clearing the VMRUN intercept is VMEXIT_INVALID naming the rule. */
    @Test
    void vmcbs() {
        CpuProfile amd = CpuProfile.load("amd-zen");
        VmrunMutators mutators = new VmrunMutators(new VmrunEvaluator(amd));
        qt().withFixedSeed(11).withExamples(100).forAll(Generators.validVmcb(amd)).checkAssert(c -> {
            assertThat(c.check().kind()).as("%s", c.check().violations()).isEqualTo(VmrunOutcome.Kind.ENTERED);
            VmcbCase m = mutators.breakOnly(VmrunMutators.rule("SVM-VMRUN-INTERCEPT"), c, new SplittableRandom(1))
                    .orElseThrow();
            assertThat(VmcbCase.ids(m.check().violations())).containsExactly("SVM-VMRUN-INTERCEPT");
        });
    }

    /**
     * APM Vol. 2 15.5-15.7 with QuickTheories: any valid VMCB in any guest mode, made runnable under nested paging,
     * survives the VMMCALL round trip; a runnable image's VMCB enters (check-vmcb) with nested paging on.
     */
    @Test
    void vmmcallRoundTrips() {
        CpuProfile amd = CpuProfile.load("amd-zen");
        qt().withFixedSeed(13).withExamples(40).forAll(Generators.validVmcbAnyMode(amd), Generators.seeds())
                .checkAssert((c, seed) -> assertThat(dev.hvsim.conformance.campaign.SvmRoundTrip.check(c, seed)).isNull());
        qt().withFixedSeed(14).withExamples(20).forAll(Generators.runnableVmcb(amd, new byte[] {0x0f, 0x01, (byte) 0xd9}))
                .checkAssert(img -> {
                    assertThat(img.vmcbCase().check().kind()).isEqualTo(VmrunOutcome.Kind.ENTERED);
                    assertThat(img.vmcbCase().get("control.NESTED_CTL") & 1).isEqualTo(1);
                    assertThat(img.gpaToHpa()).containsKey(img.codeGpa() & ~0xfffL);
                });
    }

    /**
     * APM Vol. 2 15.5.1 (CR0.CD = 0 with CR0.NW = 1 is illegal): the rule can be broken alone from every valid VMCB,
     * including those with CD = 1, NW = 0, where no single bit flip breaks it (found by a long campaign: the single-rule
     * property then reported "no mutant").
     */
    @Test
    void cr0CdNwBreaksAloneFromEveryCacheSetting() {
        CpuProfile amd = CpuProfile.load("amd-zen");
        VmrunMutators mutators = new VmrunMutators(new VmrunEvaluator(amd));
        java.util.Set<Long> settings = new java.util.HashSet<>();
        qt().withFixedSeed(21).withExamples(60).forAll(Generators.validVmcb(amd), Generators.seeds())
                .checkAssert((c, seed) -> {
                    settings.add(c.get("save.CR0") >>> 29 & 3);
                    VmcbCase m = mutators.breakOnly(VmrunMutators.rule("SVM-VMRUN-CR0-CDNW"), c,
                            new SplittableRandom(seed)).orElseThrow();
                    assertThat(VmcbCase.ids(m.check().violations())).containsExactly("SVM-VMRUN-CR0-CDNW");
                });
        assertThat(settings).contains(2L);   // CD = 1, NW = 0 was among them
    }
}
