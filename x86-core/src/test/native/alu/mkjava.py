import sys
def write(path, cls, doc, rows, extra_imports, body):
    src = f'''package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.AluHarness.c;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.exec.AluHarness.Case;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
{extra_imports}
/**
{doc}
 */
class {cls} {{
    /**
     * Every operand form, register and memory, in each code size where it exists, on the amd-zen profile.
     * Expected values were measured on AMD Zen silicon (src/test/native/alu/gen_cases.py ran the same
     * operation natively; 16/32-bit operand sizes are mode-independent, so a 64-bit host run gives the
     * expectation for the 16- and 32-bit code sizes too).
     */
    static final List<Case> SILICON = List.of(
{rows});

{body}
    @TestFactory
    Stream<DynamicTest> everyFormMatchesSiliconOnAmd() {{
        return SILICON.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }}

    @TestFactory
    Stream<DynamicTest> intelDiffersOnlyInDocumentedFlags() {{
        return SILICON.stream().map(c -> DynamicTest.dynamicTest(c.toString(),
                () -> AluHarness.checkOnIntel(c, vendorFlags(c))));
    }}

    @TestFactory
    Stream<DynamicTest> faultsAndFeatureGates() {{
        return FAULTS.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }}

    @TestFactory
    Stream<DynamicTest> intelPolicy() {{
        return INTEL_POLICY.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }}
}}
'''
    open(path, "w").write(src)
