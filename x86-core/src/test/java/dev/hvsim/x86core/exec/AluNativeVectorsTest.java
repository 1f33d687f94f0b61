package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Differential test against silicon: replays vectors measured on a real AMD Zen core (this repository's
 * build host, see src/test/native/alu/README.md) on the amd-zen profile and requires identical registers
 * and status flags, undefined flags included, or the same exception. 64-bit lines run in 64-bit mode,
 * 32-bit lines (decimal adjust, SALC) in 32-bit protected mode.
 */
class AluNativeVectorsTest {
    private static final int[] REGS = {Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX, Reg.RSI, Reg.RDI, Reg.R8};

    @Test
    void amdZenVectorsMatchTheModel() throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                AluNativeVectorsTest.class.getResourceAsStream("amd-zen-alu.vectors"), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                if (!l.startsWith("#") && !l.isBlank()) {
                    lines.add(l);
                }
            }
        }
        assertThat(lines).hasSizeGreaterThan(2000);
        TestCpu l64 = AluHarness.cpu("l64:amd");
        TestCpu p32 = AluHarness.cpu("p32:amd");
        List<String> failures = new ArrayList<>();
        for (String line : lines) {
            String failure = replay(line.startsWith("64 ") ? l64 : p32, line);
            if (failure != null) {
                failures.add(failure);
            }
        }
        assertThat(failures).as("vectors that differ from silicon").isEmpty();
    }

    /** Returns null when the model reproduces the line, else a description of the difference. */
    private static String replay(TestCpu t, String line) {
        String[] f = line.split("\\|");
        String hex = f[0].substring(3, f[0].indexOf(';')).trim();
        String[] in = f[1].trim().split(" ");
        String out = f[2].trim();
        StringBuilder spec = new StringBuilder();
        for (int i = 0; i < REGS.length; i++) {
            spec.append(Reg.GPR_NAMES[REGS[i]]).append("=0x").append(in[i]).append(' ');
        }
        spec.append("fl=").append(AluHarness.flagString(Long.parseLong(in[7], 16)));
        int vector = AluHarness.run(t, line.startsWith("64 ") ? "l64" : "p32", hex, spec.toString());
        if (out.startsWith("#")) {
            return vector == (out.equals("#DE") ? 0 : 6) ? null : line + " => model vector " + vector;
        }
        if (vector != AluHarness.NO_FAULT) {
            return line + " => model raised vector " + vector;
        }
        String[] o = out.split(" ");
        var s = t.cpu.state();
        StringBuilder got = new StringBuilder();
        boolean same = true;
        for (int i = 0; i < REGS.length; i++) {
            long want = Long.parseUnsignedLong(o[i], 16);
            long have = s.gpr[REGS[i]];
            if (line.startsWith("32 ")) {
                have &= 0xffffffffL; // the compatibility-mode harness reports 32-bit registers
            }
            same &= want == have;
            got.append(Long.toHexString(have)).append(' ');
        }
        long wantFlags = Long.parseLong(o[7], 16) & Flags.OSZAPC;
        same &= wantFlags == s.oszapc();
        got.append(Long.toHexString(s.oszapc()));
        return same ? null : line + " => model " + got;
    }
}
