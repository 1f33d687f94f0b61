package dev.hvsim.conformance.nativediff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.nativediff.IsaGenerator.GeneratedCase;
import dev.hvsim.conformance.nativediff.IsaGenerator.Step;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated cases on the host CPU: the harness is deterministic, and the generator's
 * invariants hold on real hardware (only the expected faults, base registers intact).
 * Scale with {@code -Dhvsim.diff.cases=N}, reproduce with {@code -Dhvsim.diff.seed=S}.
 */
class NativeGeneratedCasesTest {
    private static final int CHUNK = 5_000;
    private static NativeExecutor executor;

    @BeforeAll
    static void build() {
        executor = TestCases.nativeExecutor();
    }

    @Test
    void harnessIsDeterministic() {
        List<IsaCase> cases = new IsaGenerator(TestCases.seed(), CpuFeatures.host()).cases(0, 2_000);
        List<IsaOutcome> first = executor.run(cases);
        List<IsaOutcome> second = executor.run(cases);
        for (int i = 0; i < cases.size(); i++) {
            List<Comparison.Difference> d = Comparison.diff(cases.get(i), first.get(i), second.get(i));
            assertThat(d).as("%s", (Object) report(i, cases.get(i), first.get(i), second.get(i), d)).isEmpty();
        }
        assertThat(second).isEqualTo(first); // undefined flags included
    }

    @Test
    void generatedCasesOnlyFaultWhereExpected() {
        long seed = TestCases.seed();
        IsaGenerator g = new IsaGenerator(seed, CpuFeatures.host());
        int total = TestCases.caseCount();
        long generating = 0;
        long running = 0;
        for (int first = 0; first < total; first += CHUNK) {
            long t0 = System.nanoTime();
            List<GeneratedCase> gen = new ArrayList<>();
            for (int i = first; i < Math.min(total, first + CHUNK); i++) {
                gen.add(g.generate(i));
            }
            long t1 = System.nanoTime();
            List<IsaOutcome> out = executor.run(gen.stream().map(GeneratedCase::isaCase).toList());
            long t2 = System.nanoTime();
            generating += t1 - t0;
            running += t2 - t1;
            for (int k = 0; k < gen.size(); k++) {
                checkInvariants(seed, first + k, gen.get(k), out.get(k));
            }
        }
        System.out.printf("native: %d cases, seed 0x%x: generated at %.0f cases/s, "
                + "NativeExecutor ran %.0f cases/s%n", total, seed, total / (generating / 1e9), total / (running / 1e9));
    }

    private static void checkInvariants(long seed, long index, GeneratedCase gc, IsaOutcome o) {
        IsaCase c = gc.isaCase();
        java.util.function.Supplier<String> where =
                () -> String.format("seed 0x%x case #%d%n%s", seed, index, c.disassembly());
        assertThat(o.gprs()[IsaLayout.RBX]).as(where).isEqualTo(c.gprs()[IsaLayout.RBX]);
        assertThat(o.gprs()[IsaLayout.RSI]).as(where).isEqualTo(c.gprs()[IsaLayout.RSI]);
        assertThat(o.gprs()[IsaLayout.RSP] - IsaLayout.DATA).as(where).isBetween(0x1800L, 0x1FF8L);
        if (!o.faulted()) {
            assertThat(o.ripOffset()).as(where).isEqualTo(c.code().length);
            return;
        }
        String faulting = gc.steps().stream().filter(s -> s.offset() == o.ripOffset())
                .map(Step::template).findFirst().orElse("(not an instruction boundary)");
        if (o.faultVector() == 0) {
            assertThat(faulting).as(where).matches("i?div E[bv]");
        } else {
            assertThat(o.faultVector()).as(where).isEqualTo(13);
            assertThat(faulting).as(() -> "only a misaligned CMPXCHG16B may #GP: " + where.get())
                    .isEqualTo("cmpxchg16b Mdq");
        }
    }

    private static String report(int index, IsaCase c, IsaOutcome a, IsaOutcome b, List<Comparison.Difference> d) {
        return Comparison.report(TestCases.seed(), index, CpuFeatures.host(), c, a, b, d);
    }
}
