package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Table-driven per-form tests for the ALU families: a case is a mode, raw bytes, the disassembly, an input
 * state and the expected output state, written as {@code "rax=5 rcx=3 fl=CZ m32=0x1234"}.
 *
 * <p>Modes: {@code r16} real mode, {@code p16}/{@code p32} flat protected mode, {@code l64} 64-bit mode,
 * optionally suffixed {@code :amd} (profile amd-zen) or {@code :legacy} (test profile alu-legacy without
 * BMI1/BMI2/ADX/POPCNT/LZCNT/LAHF-SAHF-in-64-bit); the default profile is intel-core. Keys: {@code rax}..
 * {@code r15} (whole 64-bit register), {@code fl} (exactly the six status flags, letters of OSZAPC, "-"
 * for none), {@code m8|m16|m32|m64[@offset]} (memory at the data area). The value {@code @} (or
 * {@code @+n}) is the data area's offset in DS for the mode: register-indirect memory operands use it.
 * Output {@code #DE}, {@code #UD} or {@code #GP} expects that exception, with every GPR but rSP unchanged.
 */
final class AluHarness {
    static final int NO_FAULT = -1;
    private static final Pattern MEM = Pattern.compile("m(8|16|32|64)(?:@([+-]?(?:0x)?[0-9a-f]+))?");

    private AluHarness() {}

    /** One case: mode, raw bytes, disassembly, input and expected output. */
    record Case(String mode, String hex, String asm, String in, String out) {
        @Override
        public String toString() {
            return mode + " " + hex + " (" + asm + ") " + in + " -> " + out;
        }
    }

    static Case c(String mode, String hex, String asm, String in, String out) {
        return new Case(mode, hex, asm, in, out);
    }

    /** Records the first event delivered (the instruction's own fault). */
    static final class FaultRecorder implements ExecutionListener {
        int vector = NO_FAULT;

        @Override
        public void onEvent(Cpu cpu, int v, int errorCode, boolean external) {
            if (vector == NO_FAULT) {
                vector = v;
            }
        }
    }

    static TestCpu cpu(String mode) {
        String[] parts = mode.split(":");
        String profile = parts.length < 2 ? "intel-core" : parts[1].equals("amd") ? "amd-zen"
                : parts[1].equals("legacy") ? "alu-legacy" : parts[1];
        TestCpu t;
        switch (parts[0]) {
            case "r16": t = TestCpu.real(profile); break;
            case "p16": t = TestCpu.protectedFlat(16, profile); break;
            case "p32": t = TestCpu.protectedFlat(32, profile); break;
            case "l64": t = TestCpu.long64(profile); break;
            default: throw new IllegalArgumentException(mode);
        }
        if (dataOffset(parts[0]) == 0) { // 16-bit addressing: DS based at the data area
            var s = t.cpu.state();
            if (parts[0].equals("p16")) { // and a 16-bit IP: CS based at the code
                Segment cs = s.seg[Reg.CS];
                cs.set(cs.selector, TestCpu.CODE, cs.limit, cs.attr);
                t.cpu.modeChanged();
            }
            int attr = parts[0].equals("r16") ? 0x93 : 0x93 | Segment.ATTR_G;
            s.seg[Reg.DS].set(parts[0].equals("r16") ? (int) (TestCpu.DATA >>> 4) : 0x10, TestCpu.DATA,
                    parts[0].equals("r16") ? 0xffff : 0xffffffffL, attr);
        }
        return t;
    }

    static long dataOffset(String baseMode) {
        return baseMode.endsWith("16") ? 0 : TestCpu.DATA;
    }

    /** Parses "OSZAPC" letters into flag bits ("-" or "" for none). */
    static long flags(String s) {
        long f = 0;
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case 'O': f |= Flags.OF; break;
                case 'S': f |= Flags.SF; break;
                case 'Z': f |= Flags.ZF; break;
                case 'A': f |= Flags.AF; break;
                case 'P': f |= Flags.PF; break;
                case 'C': f |= Flags.CF; break;
                case '-': break;
                default: throw new IllegalArgumentException("flag " + ch);
            }
        }
        return f;
    }

    static String flagString(long f) {
        StringBuilder b = new StringBuilder();
        String letters = "OSZAPC";
        long[] bits = {Flags.OF, Flags.SF, Flags.ZF, Flags.AF, Flags.PF, Flags.CF};
        for (int i = 0; i < 6; i++) {
            if ((f & bits[i]) != 0) {
                b.append(letters.charAt(i));
            }
        }
        return b.length() == 0 ? "-" : b.toString();
    }

    private static Map<String, String> parse(String spec) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : spec.trim().split("\\s+")) {
            if (kv.isEmpty()) {
                continue;
            }
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq).toLowerCase(Locale.ROOT), kv.substring(eq + 1));
        }
        return m;
    }

    private static long value(String v, String baseMode) {
        if (v.startsWith("@")) {
            return dataOffset(baseMode) + (v.length() > 1 ? num(v.substring(1)) : 0);
        }
        return num(v);
    }

    private static long num(String v) {
        boolean neg = v.startsWith("-");
        String s = neg || v.startsWith("+") ? v.substring(1) : v;
        long x = s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        return neg ? -x : x;
    }

    private static int gpr(String name) {
        for (int i = 0; i < 16; i++) {
            if (Reg.GPR_NAMES[i].equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Loads the input state, executes one instruction and returns the fault vector or {@link #NO_FAULT}. */
    static int run(TestCpu t, String baseMode, String hex, String in) {
        var s = t.cpu.state();
        for (Map.Entry<String, String> e : parse(in).entrySet()) {
            String k = e.getKey();
            if (k.equals("fl")) {
                s.setOszapc(flags(e.getValue()));
                continue;
            }
            long v = value(e.getValue(), baseMode);
            if (gpr(k) >= 0) {
                s.gpr[gpr(k)] = v;
            } else {
                Matcher m = MEM.matcher(k);
                assertThat(m.matches()).as("key " + k).isTrue();
                long off = m.group(2) == null ? 0 : num(m.group(2));
                t.bus.write(TestCpu.DATA + off, Integer.parseInt(m.group(1)) / 8, v);
            }
        }
        t.code(hex);
        FaultRecorder rec = new FaultRecorder();
        t.cpu.setListener(rec);
        t.step(1);
        t.cpu.setListener(null);
        return rec.vector;
    }

    /** Runs a case and checks every expected value, RIP after the instruction, or the expected fault. */
    static void check(Case c) {
        check(c, 0);
    }

    /**
     * Runs the case on the Intel profile: the amd-zen expectations must hold except for the flags in
     * {@code vendorFlags}, where the documented vendor policies differ (DEVIATIONS.md "ALU families").
     */
    static void checkOnIntel(Case c, long vendorFlags) {
        check(new Case(c.mode().replace(":amd", ""), c.hex(), c.asm(), c.in(), c.out()), vendorFlags);
    }

    /** As {@link #check(Case)}, ignoring the status flags in {@code ignoredFlags}. */
    static void check(Case c, long ignoredFlags) {
        String baseMode = c.mode().split(":")[0];
        TestCpu t = cpu(c.mode());
        var s = t.cpu.state();
        long[] before = new long[16];
        int len = HexFormat.of().parseHex(c.hex().replace(" ", "")).length;
        Map<String, String> in = parse(c.in());
        // pre-load registers to compare after a fault
        for (Map.Entry<String, String> e : in.entrySet()) {
            if (gpr(e.getKey()) >= 0) {
                s.gpr[gpr(e.getKey())] = value(e.getValue(), baseMode);
            }
        }
        System.arraycopy(s.gpr, 0, before, 0, 16);
        long rip0 = TestCpu.CODE - s.seg[Reg.CS].base;
        int vector = run(t, baseMode, c.hex(), c.in());
        String out = c.out().trim();
        if (out.startsWith("#")) {
            int want = out.equals("#DE") ? 0 : out.equals("#UD") ? 6 : out.equals("#GP") ? 13 : -2;
            assertThat(vector).as(c + ": exception").isEqualTo(want);
            for (int i = 0; i < 16; i++) {
                if (i != Reg.RSP) {
                    assertThat(s.gpr[i]).as(c + ": " + Reg.GPR_NAMES[i] + " unchanged by the fault").isEqualTo(before[i]);
                }
            }
            return;
        }
        assertThat(vector).as(c + ": no exception expected").isEqualTo(NO_FAULT);
        assertThat(s.rip).as(c + ": RIP").isEqualTo(rip0 + len);
        for (Map.Entry<String, String> e : parse(out).entrySet()) {
            String k = e.getKey();
            if (k.equals("fl")) {
                assertThat(flagString(s.oszapc() & ~ignoredFlags)).as(c + ": flags")
                        .isEqualTo(flagString(flags(e.getValue()) & ~ignoredFlags));
            } else if (gpr(k) >= 0) {
                assertThat(Long.toHexString(s.gpr[gpr(k)])).as(c + ": " + k)
                        .isEqualTo(Long.toHexString(value(e.getValue(), baseMode)));
            } else {
                Matcher m = MEM.matcher(k);
                assertThat(m.matches()).as("key " + k).isTrue();
                long off = m.group(2) == null ? 0 : num(m.group(2));
                int size = Integer.parseInt(m.group(1)) / 8;
                assertThat(Long.toHexString(t.bus.read(TestCpu.DATA + off, size))).as(c + ": " + k)
                        .isEqualTo(Long.toHexString(value(e.getValue(), baseMode) & Flags.mask(size)));
            }
        }
    }
}
