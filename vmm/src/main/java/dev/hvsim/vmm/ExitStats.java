package dev.hvsim.vmm;

import java.io.PrintStream;

/**
 * Exits by kind: count, modelled cycles charged to them (the policy's per-exit cost plus what the handling itself
 * ran, e.g. a single-stepped MMIO instruction) and host time spent in the VMM's handling (not deterministic).
 */
public final class ExitStats {
    private final long[] count = new long[ExitKind.values().length];
    private final long[] cycles = new long[count.length];
    private final long[] nanos = new long[count.length];

    void add(ExitKind k, long c, long ns) {
        count[k.ordinal()]++;
        cycles[k.ordinal()] += c;
        nanos[k.ordinal()] += ns;
    }

    public long count(ExitKind k) { return count[k.ordinal()]; }
    public long cycles(ExitKind k) { return cycles[k.ordinal()]; }
    public long hostNanos(ExitKind k) { return nanos[k.ordinal()]; }

    public long total() {
        long t = 0;
        for (long c : count) {
            t += c;
        }
        return t;
    }

    /** The table {@code hvsim run --exit-stats} prints: one row per kind that occurred, then the total. */
    public void print(PrintStream out) {
        out.printf("%-22s %10s %14s %12s%n", "exit kind", "count", "cycles", "host us");
        long n = 0, c = 0, ns = 0;
        for (ExitKind k : ExitKind.values()) {
            int i = k.ordinal();
            if (count[i] > 0) {
                out.printf("%-22s %10d %14d %12.1f%n", k.traceName(), count[i], cycles[i], nanos[i] / 1000.0);
                n += count[i];
                c += cycles[i];
                ns += nanos[i];
            }
        }
        out.printf("%-22s %10d %14d %12.1f%n", "total", n, c, ns / 1000.0);
    }
}
