package dev.hvsim.benchmarks;

import java.util.Arrays;
import java.util.List;

/**
 * What {@link BenchRunner} measured.
 *
 * @param guest   guest name
 * @param profile CPU profile name
 * @param warmup  the warm-up runs (not part of the statistics)
 * @param runs    the measured runs
 * @param host    the JVM and CPU it ran on
 */
public record BenchResult(String guest, String profile, List<Sample> warmup, List<Sample> runs, HostInfo host) {

    /**
     * One run: instructions retired, modelled cycles, host wall-clock nanoseconds, the CPU time of the
     * thread that ran the guest (less sensitive than wall time to other load on a busy machine), and the VM exits
     * (VMX) / #VMEXITs (SVM) that root-mode x86 code in the guest took (0 for a guest that is no hypervisor), and
     * the TLB and page-walk counts of the run ({@link PagingStats}).
     */
    public record Sample(long instructions, long cycles, long wallNanos, long cpuNanos, long vmExits, PagingStats paging) {
        /** A run without VM exits. */
        public Sample(long instructions, long cycles, long wallNanos, long cpuNanos) {
            this(instructions, cycles, wallNanos, cpuNanos, 0);
        }

        /** A run without paging statistics. */
        public Sample(long instructions, long cycles, long wallNanos, long cpuNanos, long vmExits) {
            this(instructions, cycles, wallNanos, cpuNanos, vmExits, PagingStats.NONE);
        }

        /** Microseconds of wall time per VM exit round trip (exit, handler, re-entry) of this run; 0 without exits. */
        public double microsPerExit() {
            return vmExits <= 0 ? 0 : wallNanos / 1000.0 / vmExits;
        }

        /** Microseconds of the running thread's CPU time per VM exit round trip; 0 without exits or CPU time. */
        public double cpuMicrosPerExit() {
            return vmExits <= 0 || cpuNanos <= 0 ? 0 : cpuNanos / 1000.0 / vmExits;
        }

        /** Guest MIPS of this run (wall time). */
        public double mips() {
            return wallNanos <= 0 ? 0 : instructions * 1000.0 / wallNanos;
        }

        /** Guest MIPS of this run measured against the running thread's CPU time. */
        public double cpuMips() {
            return cpuNanos <= 0 ? 0 : instructions * 1000.0 / cpuNanos;
        }
    }

    public BenchResult {
        warmup = List.copyOf(warmup);
        runs = List.copyOf(runs);
    }

    /** Median guest MIPS of the measured runs (mean of the middle two for an even count). */
    public double medianMips() {
        double[] m = runs.stream().mapToDouble(Sample::mips).sorted().toArray();
        if (m.length == 0) {
            return 0;
        }
        int mid = m.length / 2;
        return m.length % 2 == 1 ? m[mid] : (m[mid - 1] + m[mid]) / 2;
    }

    /** Median guest MIPS of the measured runs against thread CPU time. */
    public double medianCpuMips() {
        double[] m = runs.stream().mapToDouble(Sample::cpuMips).sorted().toArray();
        if (m.length == 0) {
            return 0;
        }
        int mid = m.length / 2;
        return m.length % 2 == 1 ? m[mid] : (m[mid - 1] + m[mid]) / 2;
    }

    /** Best (highest) guest MIPS of the measured runs. */
    public double bestMips() {
        return runs.stream().mapToDouble(Sample::mips).max().orElse(0);
    }

    /** Instructions retired by one run (the same for every run of a deterministic guest). */
    public long instructionsPerRun() {
        return runs.isEmpty() ? 0 : runs.get(0).instructions();
    }

    /** Modelled cycles of one run. */
    public long cyclesPerRun() {
        return runs.isEmpty() ? 0 : runs.get(0).cycles();
    }

    /** VM exits taken by one run (the same for every run of a deterministic guest); 0 for a guest that is no hypervisor. */
    public long vmExitsPerRun() {
        return runs.isEmpty() ? 0 : runs.get(0).vmExits();
    }

    /** TLB and page-walk counts of one run (the same for every run of a deterministic guest). */
    public PagingStats pagingPerRun() {
        return runs.isEmpty() ? PagingStats.NONE : runs.get(0).paging();
    }

    /** Median microseconds per VM exit round trip (wall time); 0 without exits. */
    public double medianMicrosPerExit() {
        return median(runs.stream().mapToDouble(Sample::microsPerExit).sorted().toArray());
    }

    /** Median microseconds per VM exit round trip against the thread's CPU time; 0 without exits. */
    public double medianCpuMicrosPerExit() {
        return median(runs.stream().mapToDouble(Sample::cpuMicrosPerExit).sorted().toArray());
    }

    /** Best (lowest) microseconds per VM exit round trip (wall time); 0 without exits. */
    public double bestMicrosPerExit() {
        return runs.stream().mapToDouble(Sample::microsPerExit).min().orElse(0);
    }

    /** VM exit round trips per second of thread CPU time, from {@link #medianCpuMicrosPerExit()}; 0 without exits. */
    public double exitsPerCpuSecond() {
        double us = medianCpuMicrosPerExit();
        return us <= 0 ? 0 : 1e6 / us;
    }

    private static double median(double[] sorted) {
        if (sorted.length == 0) {
            return 0;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Wall-clock nanoseconds of the measured runs, sorted. */
    public long[] sortedWallNanos() {
        long[] w = runs.stream().mapToLong(Sample::wallNanos).toArray();
        Arrays.sort(w);
        return w;
    }
}
