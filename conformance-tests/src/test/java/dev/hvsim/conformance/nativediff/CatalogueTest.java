package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.Flag.CF;
import static dev.hvsim.conformance.nativediff.Flag.OF;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sanity of the catalogue rows against SDM Vol. 2 facts that are easy to restate. */
class CatalogueTest {
    @Test
    void everyFlagReaderDeclaresWhatItReads() {
        for (Template t : Catalogue.all()) {
            boolean reader = t.has(Template.CONDITIONAL)
                    || List.of("adc", "sbb", "rcl", "rcr", "lahf", "cmc").contains(t.mnemonic());
            long reads = t.rule() == FlagRule.FIXED ? t.flags().reads() : t.rule().effectAnyCount(32).reads();
            assertThat(reads != 0).as(t.name()).isEqualTo(reader);
        }
    }

    @Test
    void formsAreUnique() {
        Set<String> seen = new HashSet<>();
        for (Template t : Catalogue.all()) {
            assertThat(seen.add(t.name() + "/" + t.sizes())).as(t.name()).isTrue();
        }
    }

    @Test
    void shiftFlagRulesFollowTheSdm() {
        // SAL/SAR/SHL/SHR: count 0 affects nothing; OF only for count 1; AF undefined otherwise.
        assertThat(FlagRule.SHIFT_LOGICAL.effect(32, 0)).isEqualTo(FlagEffect.NONE);
        assertThat(FlagRule.SHIFT_LOGICAL.effect(32, 32)).isEqualTo(FlagEffect.NONE); // masked to 0
        assertThat(FlagRule.SHIFT_LOGICAL.effect(32, 1).undefines()).isEqualTo(Flag.AF.mask());
        assertThat(FlagRule.SHIFT_LOGICAL.effect(32, 2).undefines()).isEqualTo(Flag.AF.mask() | OF.mask());
        // CF undefined for SHL/SHR when count >= operand size (8/16-bit only), not for SAR.
        assertThat(FlagRule.SHIFT_LOGICAL.effect(8, 9).undefines() & CF.mask()).isNotZero();
        assertThat(FlagRule.SHIFT_ARITHMETIC.effect(8, 9).undefines() & CF.mask()).isZero();
        // Count in CL: flags may be untouched (count 0), so nothing is guaranteed defined.
        FlagEffect cl = FlagRule.SHIFT_LOGICAL.effectAnyCount(64);
        assertThat(cl.defines()).isZero();
        assertThat(cl.apply(0)).isEqualTo(Flag.AF.mask() | OF.mask());
        // RCL/RCR read CF.
        assertThat(FlagRule.ROTATE_CARRY.effect(16, 3).reads()).isEqualTo(CF.mask());
    }

    @Test
    void conditionCodesReadTheirFlags() {
        assertThat(Flag.names(Catalogue.conditionReads(0x4))).isEqualTo("ZF");      // E
        assertThat(Flag.names(Catalogue.conditionReads(0x7))).isEqualTo("CF|ZF");   // A
        assertThat(Flag.names(Catalogue.conditionReads(0xC))).isEqualTo("SF|OF");   // L
        assertThat(Flag.names(Catalogue.conditionReads(0xF))).isEqualTo("ZF|SF|OF"); // G
        assertThat(Flag.names(Catalogue.conditionReads(0xB))).isEqualTo("PF");      // NP
    }

    @Test
    void featureRowsAreDroppedWithoutTheFeature() {
        List<String> none = Catalogue.available(CpuFeatures.none()).stream().map(Template::mnemonic).toList();
        assertThat(none).doesNotContain("lzcnt", "tzcnt", "popcnt", "cmpxchg16b", "lahf", "sahf");
        assertThat(Catalogue.available(CpuFeatures.all())).hasSameSizeAs(Catalogue.all());
    }
}
