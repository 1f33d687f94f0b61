package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.AluHarness.c;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.exec.AluHarness.Case;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Per-form tests of CLC, STC, CMC, CLD, STD, LAHF, SAHF (SDM Vol. 2A/2B) and the undocumented SALC in
 * every code size, with LAHF/SAHF's CPUID gate in 64-bit mode and SALC's #UD there. The LAHF/SAHF/SALC
 * values agree with the AMD Zen vectors of AluNativeVectorsTest.
 */
class FlagOpsTest {
    private static final String[] MODES = {"r16", "p16", "p32", "l64", "r16:amd", "p32:amd", "l64:amd"};

    static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        for (String m : MODES) {
            l.add(c(m, "f8", "clc", "fl=OSZAPC", "fl=OSZAP"));
            l.add(c(m, "f8", "clc", "fl=-", "fl=-"));
            l.add(c(m, "f9", "stc", "fl=Z", "fl=ZC"));
            l.add(c(m, "f5", "cmc", "fl=OC", "fl=O"));
            l.add(c(m, "f5", "cmc", "fl=S", "fl=SC"));
            // LAHF: AH = SF:ZF:0:AF:0:PF:1:CF, the rest of RAX kept
            l.add(c(m, "9f", "lahf", "rax=0x12345678 fl=OSZAPC", "rax=0x1234d778 fl=OSZAPC"));
            l.add(c(m, "9f", "lahf", "rax=0xffff fl=-", "rax=0x02ff fl=-"));
            // SAHF: SF/ZF/AF/PF/CF from AH, OF kept; bits 1, 3, 5 of AH ignored
            l.add(c(m, "9e", "sahf", "rax=0xff00 fl=O", "rax=0xff00 fl=OSZAPC"));
            l.add(c(m, "9e", "sahf", "rax=0x2a00 fl=SZAPC", "fl=-"));
            l.add(c(m, "9e", "sahf", "rax=0x4100 fl=-", "fl=ZC"));
            if (!m.startsWith("l64")) {
                l.add(c(m, "d6", "salc", "rax=0x1234 fl=C", "rax=0x12ff fl=C"));
                l.add(c(m, "d6", "salc", "rax=0x12ff fl=OSZAP", "rax=0x1200 fl=OSZAP"));
            } else {
                l.add(c(m, "d6", "salc (invalid in 64-bit mode)", "rax=0x1234 fl=C", "#UD"));
            }
        }
        l.add(c("l64:legacy", "9f", "lahf in 64-bit mode without CPUID LAHF-SAHF", "", "#UD"));
        l.add(c("l64:legacy", "9e", "sahf in 64-bit mode without CPUID LAHF-SAHF", "", "#UD"));
        l.add(c("p32:legacy", "9f", "lahf outside 64-bit mode needs no CPUID bit", "rax=0 fl=C", "rax=0x0300 fl=C"));
        l.add(c("r16:legacy", "9e", "sahf outside 64-bit mode needs no CPUID bit", "rax=0x0100 fl=-", "fl=C"));
        l.add(c("p32", "f0 f9", "lock stc", "", "#UD"));
        return l;
    }

    @TestFactory
    Stream<DynamicTest> everyForm() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> AluHarness.check(c)));
    }

    @Test
    void cldAndStdChangeOnlyDf() {
        for (String m : new String[] {"r16", "p16", "p32", "l64"}) {
            // fd std ; fc cld
            TestCpu t = AluHarness.cpu(m);
            t.code("fd fc");
            t.cpu.state().setOszapc(Flags.CF | Flags.ZF);
            long before = t.cpu.state().rflags();
            t.step(1);
            assertThat(t.cpu.state().rflags()).as(m + " std").isEqualTo(before | Flags.DF);
            t.step(1);
            assertThat(t.cpu.state().rflags()).as(m + " cld").isEqualTo(before & ~Flags.DF);
        }
    }
}
