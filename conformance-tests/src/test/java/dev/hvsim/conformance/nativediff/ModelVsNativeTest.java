package dev.hvsim.conformance.nativediff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.CpuProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native-differential suite: random register/flag states and random sequences of unprivileged
 * integer instructions run on the model and natively on this host's CPU; every GPR, RIP, every defined
 * flag, the data region and the fault vector must match. The model uses the profile of the host's
 * vendor (undefined-flag policies are per vendor). Cases: {@code -Dhvsim.diff.cases=N} (default 20,000);
 * seed: {@code -Dhvsim.diff.seed=S}, printed with every failure; campaign mode is simply a large N.
 */
class ModelVsNativeTest {
    private static final int CHUNK = 5_000;
    private static final int REPORTS = 5;
    private static NativeExecutor nativeExec;
    private static ModelExecutor model;
    private static String profileName;

    @BeforeAll
    static void setUp() {
        nativeExec = TestCases.nativeExecutor();
        profileName = hostIsAmd() ? "amd-zen" : "intel-core";
        model = new ModelExecutor(CpuProfile.load(profileName));
    }

    static boolean hostIsAmd() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains("AuthenticAMD");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void handWrittenCasesMatch() {
        List<IsaCase> cases = List.of(
                TestCases.handWritten(TestCases.gprs(), 0, "48 01 d8", "add rax, rbx"),
                TestCases.handWritten(TestCases.gprs(), 0, "48 29 c0", "sub rax, rax"),
                TestCases.handWritten(TestCases.gprs(), 0, "48 f7 f1", "div rcx (by zero)"),
                TestCases.handWritten(TestCases.gprs(), 0, "0f 0b", "ud2"),
                TestCases.handWritten(TestCases.gprs(), 0, "cc", "int3"),
                TestCases.handWritten(TestCases.gprs(), 0, "48 89 03 53 5b", "mov [rbx], rax; push rbx; pop rbx"),
                TestCases.handWritten(TestCases.gprs(), 0, "48 8b 04 25 00 00 00 00", "mov rax, [0] (unmapped)"));
        compare(0, cases, 0);
    }

    @Test
    void generatedCasesMatchTheHostCpu() {
        long seed = TestCases.seed();
        IsaGenerator g = new IsaGenerator(seed, CpuFeatures.host());
        int total = TestCases.caseCount();
        List<String> failures = new ArrayList<>();
        int failed = 0;
        for (int first = 0; first < total; first += CHUNK) {
            List<IsaCase> cases = g.cases(first, Math.min(CHUNK, total - first));
            failed += compare(seed, cases, first, failures);
        }
        System.out.printf("native-differential: %d cases, seed 0x%x, profile %s, %d mismatches%n", total, seed,
                profileName, failed);
        assertThat(failed).as("mismatches (seed 0x%x, first %d shown):%n%s", seed, failures.size(),
                String.join("\n", failures)).isZero();
    }

    private void compare(long seed, List<IsaCase> cases, long firstIndex) {
        List<String> failures = new ArrayList<>();
        int failed = compare(seed, cases, firstIndex, failures);
        assertThat(failed).as("%s", String.join("\n", failures)).isZero();
    }

    private int compare(long seed, List<IsaCase> cases, long firstIndex, List<String> failures) {
        List<IsaOutcome> expected = nativeExec.run(cases);
        List<IsaOutcome> actual = model.run(cases);
        int failed = 0;
        for (int i = 0; i < cases.size(); i++) {
            List<Comparison.Difference> d = Comparison.diff(cases.get(i), expected.get(i), actual.get(i));
            if (!d.isEmpty()) {
                failed++;
                if (failures.size() < REPORTS) {
                    failures.add(Comparison.report(seed, firstIndex + i, CpuFeatures.host(), cases.get(i),
                            expected.get(i), actual.get(i), d));
                }
            }
        }
        return failed;
    }
}
