package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.exec.AluHarness.Case;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The four case tables every ALU family test has: forms measured on AMD silicon (run on amd-zen, and on
 * intel-core where only the documented undefined flags may differ), fault and feature-gate cases, and
 * the Intel undefined-flag policy cases. Subclasses supply the tables.
 */
abstract class AluFamilyTest {

    /** Every operand form with the results measured on AMD silicon. */
    abstract List<Case> siliconCases();

    abstract List<Case> faultCases();

    abstract List<Case> intelPolicyCases();

    /** The flags a case may set differently on the Intel profile (DEVIATIONS.md policy). */
    abstract long vendorFlags(Case c);

    @TestFactory
    Stream<DynamicTest> everyFormMatchesSiliconOnAmd() {
        return siliconCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }

    @TestFactory
    Stream<DynamicTest> intelDiffersOnlyInDocumentedFlags() {
        return siliconCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(),
                () -> AluHarness.checkOnIntel(c, vendorFlags(c))));
    }

    @TestFactory
    Stream<DynamicTest> faultsAndFeatureGates() {
        return faultCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }

    @TestFactory
    Stream<DynamicTest> intelPolicy() {
        return intelPolicyCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }
}
