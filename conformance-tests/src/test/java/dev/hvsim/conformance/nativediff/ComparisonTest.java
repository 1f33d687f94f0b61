package dev.hvsim.conformance.nativediff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Differences are reported by name and undefined flags are ignored. */
class ComparisonTest {
    private static final IsaCase CASE = new IsaCase(TestCases.gprs(), 0x2, TestCases.hex("48 f7 e1"),
            new byte[0], Flag.maskOf(Flag.SF, Flag.ZF, Flag.AF, Flag.PF), "mul rcx");

    private static IsaOutcome outcome(long rax, long rflags, byte first) {
        long[] g = TestCases.gprs();
        g[IsaLayout.RAX] = rax;
        byte[] data = new byte[IsaLayout.DATA_SIZE];
        data[0] = first;
        return new IsaOutcome(g, rflags, 3, data, IsaOutcome.NO_FAULT);
    }

    @Test
    void identicalOutcomesHaveNoDifferences() {
        assertThat(Comparison.diff(CASE, outcome(1, 0, (byte) 0), outcome(1, 0, (byte) 0))).isEmpty();
    }

    @Test
    void undefinedFlagsAreIgnoredDefinedOnesAreNot() {
        IsaOutcome expected = outcome(1, Flag.ZF.mask(), (byte) 0);
        IsaOutcome actual = outcome(1, Flag.CF.mask(), (byte) 0);
        assertThat(Comparison.diff(CASE, expected, actual)).extracting(Comparison.Difference::what)
                .containsExactly("CF");
    }

    @Test
    void registersDataAndVectorAreNamed() {
        IsaOutcome expected = outcome(1, 0, (byte) 0);
        long[] g = TestCases.gprs();
        IsaOutcome actual = new IsaOutcome(g, 0, 0, new byte[IsaLayout.DATA_SIZE], 0);
        List<Comparison.Difference> d = Comparison.diff(CASE, expected, outcome(2, 0, (byte) 7));
        assertThat(d).extracting(Comparison.Difference::what).containsExactly("RAX", "DATA[+0x0]");
        assertThat(Comparison.diff(CASE, expected, actual)).extracting(Comparison.Difference::what)
                .startsWith("VECTOR", "RIP", "RAX");
    }

    @Test
    void reportNamesSeedIndexBytesAndDifferences() {
        IsaOutcome expected = outcome(1, 0, (byte) 0);
        IsaOutcome actual = outcome(2, 0, (byte) 0);
        String r = Comparison.report(0xABCL, 17, CpuFeatures.none(), CASE, expected, actual,
                Comparison.diff(CASE, expected, actual));
        assertThat(r).contains("case #17", "hvsim.diff.seed=0xabc", "48 f7 e1", "mul rcx", "RAX",
                "0x0000000000000001", "0x0000000000000002");
        assertThat(r.lines().count()).isLessThan(40);
    }
}
