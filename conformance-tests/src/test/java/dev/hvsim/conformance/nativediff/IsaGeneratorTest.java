package dev.hvsim.conformance.nativediff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hvsim.conformance.nativediff.IsaGenerator.GeneratedCase;
import dev.hvsim.conformance.nativediff.IsaGenerator.Step;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The generator is reproducible and keeps its flag and layout guarantees. */
class IsaGeneratorTest {
    private static final long SEED = 42;

    @Test
    void sameSeedGivesSameCases() {
        List<IsaCase> a = new IsaGenerator(SEED, CpuFeatures.all()).cases(0, 1000);
        List<IsaCase> b = new IsaGenerator(SEED, CpuFeatures.all()).cases(0, 1000);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void caseAtIndexDoesNotDependOnWhatWasGeneratedBefore() {
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all());
        assertThat(g.caseAt(777)).isEqualTo(g.cases(700, 100).get(77));
    }

    @Test
    void differentSeedsGiveDifferentCases() {
        assertThat(new IsaGenerator(1, CpuFeatures.all()).cases(0, 50))
                .isNotEqualTo(new IsaGenerator(2, CpuFeatures.all()).cases(0, 50));
    }

    @Test
    void noInstructionReadsAnUndefinedFlag() {
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all());
        for (int i = 0; i < 20_000; i++) {
            GeneratedCase gc = g.generate(i);
            for (Step s : gc.steps()) {
                assertThat(s.reads() & s.undefinedBefore())
                        .as("case %d: %s reads undefined flags", i, s.text()).isZero();
                assertThat(gc.isaCase().undefinedFlagsAt()[s.offset()]).isEqualTo(s.undefinedBefore());
            }
        }
    }

    @Test
    void flagReadersAfterFlagClobberersGetADefinerFirst() {
        // Only MUL (SF ZF AF PF undefined), DIV (all undefined) and readers of every flag.
        List<Template> rows = Catalogue.all().stream()
                .filter(t -> List.of("mul", "div", "jle", "setp", "adc", "lahf", "cmovo").contains(t.mnemonic()))
                .toList();
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all(), rows);
        int definers = 0;
        for (int i = 0; i < 5_000; i++) {
            for (Step s : g.generate(i).steps()) {
                assertThat(s.reads() & s.undefinedBefore()).as(s.text()).isZero();
                boolean fromRows = rows.stream().anyMatch(t -> t.name().equals(s.template()));
                definers += fromRows || s.template().equals("prelude") ? 0 : 1;
            }
        }
        assertThat(definers).as("definer instructions inserted").isGreaterThan(1000);
    }

    @Test
    void reservedRegistersAreNeverDestinations() {
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all());
        for (int i = 0; i < 5_000; i++) {
            for (Step s : g.generate(i).steps()) {
                String dest = s.text().replaceFirst("^(lock )?\\S+ ", "").split(",")[0];
                if (writesFirstOperand(s.template())) {
                    assertThat(dest).as("case %d: %s", i, s.text())
                            .isNotIn("rbx", "ebx", "bx", "bl", "bh", "rsi", "esi", "si", "sil",
                                    "rsp", "esp", "sp", "spl");
                }
            }
        }
    }

    private static boolean writesFirstOperand(String templateName) {
        return Catalogue.all().stream().filter(t -> t.name().equals(templateName))
                .anyMatch(t -> t.has(Template.WRITES_DEST));
    }

    @Test
    void objdumpDecodesTheSameInstructionsAsTheTemplates() {
        assumeTrue(Disassembler.objdump(new byte[] {(byte) 0x90}).isPresent(), "objdump not available");
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all());
        for (int i = 0; i < 200; i++) {
            GeneratedCase gc = g.generate(i);
            Optional<String> dis = Disassembler.objdump(gc.isaCase().code());
            List<String> lines = dis.orElseThrow().lines()
                    .filter(l -> l.matches("\\s+[0-9a-f]+: ([0-9a-f]{2} )+\\s*\\S.*")).toList();
            assertThat(dis.get()).as(gc.isaCase().disassembly()).doesNotContain("(bad)");
            assertThat(lines).as("%s%nvs objdump%n%s", gc.isaCase().disassembly(), dis.get())
                    .hasSameSizeAs(gc.steps());
        }
    }

    @Test
    void everyRowAndRegisterKindIsGenerated() {
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all());
        java.util.Set<String> rows = new java.util.HashSet<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 30_000; i++) {
            for (Step s : g.generate(i).steps()) {
                rows.add(s.template());
                text.append(s.text()).append('\n');
            }
        }
        assertThat(rows).containsAll(Catalogue.all().stream().map(Template::name).toList());
        for (String form : List.of(" ah", "bh", "spl", "dil", "r15b", "lock ", "[esi", "[rsi+r",
                "*8+0x1000", "[0x1000", "xmmword ptr", "word ptr", "rax, 0x")) {
            assertThat(text.indexOf(form)).as("never generated: '%s'", form).isNotNegative();
        }
    }

    @Test
    void casesRespectTheLayout() {
        IsaGenerator g = new IsaGenerator(SEED, CpuFeatures.all());
        for (IsaCase c : g.cases(0, 2_000)) {
            assertThat(c.code().length).isBetween(1, IsaLayout.MAX_CODE);
            assertThat(c.gprs()[IsaLayout.RSP] - IsaLayout.DATA).isBetween(0x1C00L, 0x1EFFL);
            assertThat(c.gprs()[IsaLayout.RBX] - IsaLayout.DATA).isBetween(0x200L, 0xFFFL);
            assertThat(c.gprs()[IsaLayout.RSI] - IsaLayout.DATA).isBetween(0x200L, 0xFFFL);
            assertThat(c.rflags() & ~Flag.TRACKED).isEqualTo(0x2);
        }
    }
}
