package dev.hvsim.conformance.nativediff;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HexFormat;

/** Helpers shared by the native-differential tests. */
final class TestCases {
    /** Default seed for CI runs; override with {@code -Dhvsim.diff.seed=...}. */
    static final long DEFAULT_SEED = 0x5EED_1234_ABCDL;

    private TestCases() {
    }

    /** {@code hvsim.diff.seed} (decimal or 0x-hex), or {@link #DEFAULT_SEED}. */
    static long seed() {
        String s = System.getProperty("hvsim.diff.seed");
        return s == null || s.isBlank() ? DEFAULT_SEED : Long.decode(s.trim());
    }

    /** {@code hvsim.diff.cases}, default 20000. */
    static int caseCount() {
        return Integer.getInteger("hvsim.diff.cases", 20000);
    }

    /** Skips (not fails) on hosts that cannot run x86-64 Linux code at all. */
    static NativeExecutor nativeExecutor() {
        assumeTrue(HarnessBuild.hostSupported(), "native harness needs Linux/x86-64");
        return NativeExecutor.create();
    }

    /** All-zero GPRs except RBX = DATA+0x100 and RSP = DATA+0x1000. */
    static long[] gprs() {
        long[] g = new long[IsaLayout.GPR_COUNT];
        g[IsaLayout.RBX] = IsaLayout.DATA + 0x100;
        g[IsaLayout.RSP] = IsaLayout.DATA + 0x1000;
        return g;
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    static IsaCase handWritten(long[] gprs, long rflags, String code, String text) {
        return new IsaCase(gprs, rflags, hex(code), new byte[IsaLayout.DATA_SIZE], 0, text);
    }
}
