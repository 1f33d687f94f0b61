package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.exec.AluHarness.Case;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The four case tables every ALU family test has: forms measured on AMD silicon (run on amd-zen, and on
 * intel-core where only the documented undefined flags may differ), fault and feature-gate cases, and
 * the Intel undefined-flag policy cases. Subclasses supply the tables.
 */
abstract class AluFamilyTest {
    private final List<Case> silicon;
    private final List<Case> faults;
    private final List<Case> intelPolicy;
    private final ToLongFunction<Case> vendorFlags;

    /**
     * @param silicon     every operand form with the results measured on AMD silicon
     * @param faults      fault and CPUID-feature-gate cases
     * @param intelPolicy cases pinning the Intel profile's undefined-flag policy
     * @param vendorFlags the flags a case may set differently on the Intel profile (DEVIATIONS.md)
     */
    AluFamilyTest(List<Case> silicon, List<Case> faults, List<Case> intelPolicy, ToLongFunction<Case> vendorFlags) {
        this.silicon = silicon;
        this.faults = faults;
        this.intelPolicy = intelPolicy;
        this.vendorFlags = vendorFlags;
    }

    @TestFactory
    Stream<DynamicTest> everyFormMatchesSiliconOnAmd() {
        return silicon.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }

    @TestFactory
    Stream<DynamicTest> intelDiffersOnlyInDocumentedFlags() {
        return silicon.stream().map(c -> DynamicTest.dynamicTest(c.toString(),
                () -> AluHarness.checkOnIntel(c, vendorFlags.applyAsLong(c))));
    }

    @TestFactory
    Stream<DynamicTest> faultsAndFeatureGates() {
        return faults.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }

    @TestFactory
    Stream<DynamicTest> intelPolicy() {
        return intelPolicy.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }
}
