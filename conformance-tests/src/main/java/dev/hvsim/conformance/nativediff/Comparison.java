package dev.hvsim.conformance.nativediff;

import java.util.ArrayList;
import java.util.List;

/**
 * Compares two {@link IsaOutcome}s of the same {@link IsaCase} register by register and renders
 * a one-screen failure report. Status flags undefined at the outcome's final RIP (SDM Vol. 2
 * "Flags Affected", as tracked by the generator) are not compared.
 */
public final class Comparison {
    private static final int MAX_DATA_DIFFS = 8;

    private Comparison() {
    }

    /**
     * One differing item.
     *
     * @param what     {@code "RAX"}..{@code "R15"}, {@code "RIP"}, a flag name,
     *                 {@code "DATA[+0x1f0]"} or {@code "VECTOR"}
     * @param expected expected value, rendered
     * @param actual   actual value, rendered
     */
    public record Difference(String what, String expected, String actual) {
        @Override
        public String toString() {
            return String.format("%-14s expected %-20s actual %s", what, expected, actual);
        }
    }

    /** Everything that differs between {@code expected} and {@code actual}; empty if they agree. */
    public static List<Difference> diff(IsaCase c, IsaOutcome expected, IsaOutcome actual) {
        List<Difference> out = new ArrayList<>();
        if (expected.faultVector() != actual.faultVector()) {
            out.add(new Difference("VECTOR", vector(expected.faultVector()), vector(actual.faultVector())));
        }
        if (expected.ripOffset() != actual.ripOffset()) {
            out.add(new Difference("RIP", "+0x" + Long.toHexString(expected.ripOffset()),
                    "+0x" + Long.toHexString(actual.ripOffset())));
        }
        for (int i = 0; i < IsaLayout.GPR_COUNT; i++) {
            if (expected.gprs()[i] != actual.gprs()[i]) {
                out.add(new Difference(IsaLayout.GPR_NAMES.get(i), Hex.u64(expected.gprs()[i]),
                        Hex.u64(actual.gprs()[i])));
            }
        }
        flags(c, expected, actual, out);
        data(expected.data(), actual.data(), out);
        return out;
    }

    private static void flags(IsaCase c, IsaOutcome expected, IsaOutcome actual, List<Difference> out) {
        long ignored = c.undefinedFlagsAtOffset(expected.ripOffset());
        for (Flag f : Flag.values()) {
            if ((ignored & f.mask()) == 0 && f.in(expected.rflags()) != f.in(actual.rflags())) {
                out.add(new Difference(f.name(), bit(f.in(expected.rflags())), bit(f.in(actual.rflags()))));
            }
        }
    }

    private static void data(byte[] expected, byte[] actual, List<Difference> out) {
        int n = Math.max(expected.length, actual.length);
        int shown = 0;
        int more = 0;
        for (int i = 0; i < n; i++) {
            int e = i < expected.length ? expected[i] & 0xff : -1;
            int a = i < actual.length ? actual[i] & 0xff : -1;
            if (e != a) {
                if (shown++ < MAX_DATA_DIFFS) {
                    out.add(new Difference(String.format("DATA[+0x%x]", i), hexByte(e), hexByte(a)));
                } else {
                    more++;
                }
            }
        }
        if (more > 0) {
            out.add(new Difference("DATA", "", "... and " + more + " more differing bytes"));
        }
    }

    /**
     * A one-screen report: how to reproduce (seed, case index, features), the code as hex and
     * disassembly (objdump's too, when available), the initial state and the differences.
     *
     * @param seed     generator seed ({@code hvsim.diff.seed})
     * @param index    case index for {@link IsaGenerator#caseAt(long)}
     * @param features CPU features the generator used
     */
    public static String report(long seed, long index, CpuFeatures features, IsaCase c,
                                IsaOutcome expected, IsaOutcome actual, List<Difference> diffs) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("ISA mismatch: case #%d of -Dhvsim.diff.seed=0x%x (features %s)%n",
                index, seed, features));
        sb.append("code (").append(c.code().length).append(" bytes): ").append(Hex.bytes(c.code())).append('\n');
        sb.append(c.disassembly()).append('\n');
        Disassembler.objdump(c.code()).ifPresent(d -> sb.append("objdump:\n").append(d).append('\n'));
        sb.append("initial:").append(registers(c.gprs())).append("  flags=")
                .append(Flag.names(c.rflags() & Flag.TRACKED)).append('\n');
        sb.append(String.format("expected: vector %s, rip +0x%x; actual: vector %s, rip +0x%x%n",
                vector(expected.faultVector()), expected.ripOffset(), vector(actual.faultVector()),
                actual.ripOffset()));
        sb.append("not compared (undefined): ")
                .append(Flag.names(c.undefinedFlagsAtOffset(expected.ripOffset()))).append('\n');
        diffs.forEach(d -> sb.append("  ").append(d).append('\n'));
        return sb.toString();
    }

    private static String registers(long[] gprs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < gprs.length; i++) {
            sb.append(i % 4 == 0 ? "\n  " : "  ").append(String.format("%-3s=%s", IsaLayout.GPR_NAMES.get(i),
                    Hex.u64(gprs[i])));
        }
        return sb.toString();
    }

    private static String vector(int v) {
        return v == IsaOutcome.NO_FAULT ? "none" : v == IsaOutcome.TIMEOUT ? "timeout" : Integer.toString(v);
    }

    private static String bit(boolean b) {
        return b ? "1" : "0";
    }

    private static String hexByte(int b) {
        return b < 0 ? "absent" : String.format("0x%02x", b);
    }
}
