package dev.hvsim.benchmarks;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.CpuProfile;
import java.io.OutputStream;
import java.time.Duration;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest-level benchmark used by {@code hvsim bench}: runs a guest to its debug-exit several times on a
 * fresh machine each time, after warm-up runs that let HotSpot compile the interpreter, and reports
 * guest MIPS = instructions retired / host wall-clock time of the run; also reported against the CPU
 * time of the thread that ran the guest, which other load on the machine disturbs less.
 *
 * <p>Each run must end with v = 0 on the debug-exit port (the benchmark guests check their own
 * result); anything else is a {@link BenchException}. Guest output is discarded.
 */
public final class BenchRunner {

    /** Loads the guest into a fresh machine (and thereby sets its start state). */
    @FunctionalInterface
    public interface GuestLoader {
        void load(Machine machine) throws LoadException;
    }

    /**
     * How long and how often to run.
     *
     * @param budget         wall-clock time to spend on measured runs (more runs while it lasts)
     * @param warmup         wall-clock time to spend on warm-up runs at least (more while it lasts, after
     *                       {@code warmupRuns}): HotSpot compiles the hot paths of a fresh JVM only after many
     *                       executions, and a short guest run is over long before C2 has compiled them
     * @param warmupRuns     runs before measuring at least, not reported in the statistics
     * @param minRuns        measured runs at least, even past the budget
     * @param maxRuns        measured runs at most
     * @param perRunLimits   limits for each single run (a guest that never exits fails the benchmark)
     */
    public record Options(Duration budget, Duration warmup, int warmupRuns, int minRuns, int maxRuns,
            RunLimits perRunLimits) {
        public Options {
            if (warmupRuns < 0 || minRuns < 1 || maxRuns < minRuns) {
                throw new IllegalArgumentException("bad run counts: warm-up " + warmupRuns + ", min " + minRuns
                        + ", max " + maxRuns);
            }
            if (budget.isNegative() || warmup.isNegative()) {
                throw new IllegalArgumentException("negative time: budget " + budget + ", warm-up " + warmup);
            }
        }

        /** Exactly {@code warmupRuns} warm-up runs (no warm-up time), then as {@code budget} and the counts say. */
        public Options(Duration budget, int warmupRuns, int minRuns, int maxRuns, RunLimits perRunLimits) {
            this(budget, Duration.ZERO, warmupRuns, minRuns, maxRuns, perRunLimits);
        }

        /** {@link #forBudget(Duration, Duration)} with a warm-up of a quarter of {@code budget}. */
        public static Options forBudget(Duration budget) {
            return forBudget(budget, budget.dividedBy(4));
        }

        /**
         * At least one warm-up run and more while {@code warmup} lasts, then 3 to {@value #MAX_RUNS} measured runs
         * within {@code budget}, each at most 10^11 instructions or 10 minutes.
         */
        public static Options forBudget(Duration budget, Duration warmup) {
            return new Options(budget, warmup, 1, 3, MAX_RUNS, new RunLimits(100_000_000_000L, Duration.ofMinutes(10)));
        }
    }

    /** Measured runs at most in {@link Options#forBudget}. */
    public static final int MAX_RUNS = 2000;

    private final CpuProfile profile;
    private final Options options;

    /** A runner building machines with {@code profile}. */
    public BenchRunner(CpuProfile profile, Options options) {
        this.profile = profile;
        this.options = options;
    }

    /**
     * Runs the guest called {@code name}.
     *
     * @throws BenchException when a run does not end with v = 0
     * @throws LoadException  when the guest cannot be loaded
     */
    public BenchResult run(String name, GuestLoader loader) throws BenchException, LoadException {
        List<BenchResult.Sample> warmup = new ArrayList<>();
        long warmupNanos = options.warmup().toNanos();
        long warmupStart = System.nanoTime();
        while (warmup.size() < options.warmupRuns() || System.nanoTime() - warmupStart < warmupNanos) {
            warmup.add(once(name, loader));
        }
        List<BenchResult.Sample> runs = new ArrayList<>();
        long budgetNanos = options.budget().toNanos();
        long start = System.nanoTime();
        while (runs.size() < options.minRuns()
                || (runs.size() < options.maxRuns() && System.nanoTime() - start < budgetNanos)) {
            runs.add(once(name, loader));
        }
        return new BenchResult(name, profile.name(), warmup, runs, HostInfo.current());
    }

    private BenchResult.Sample once(String name, GuestLoader loader) throws BenchException, LoadException {
        Machine m = new Machine(MachineConfig.of(profile, OutputStream.nullOutputStream()));
        loader.load(m);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu0 = threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : -1;
        RunOutcome o = m.run(options.perRunLimits());
        long cpuNanos = cpu0 < 0 ? 0 : threads.getCurrentThreadCpuTime() - cpu0;
        if (!(o instanceof RunOutcome.GuestExit) || ((RunOutcome.GuestExit) o).value() != 0) {
            throw new BenchException(name, o);
        }
        return new BenchResult.Sample(o.stats().instructions(), o.stats().cycles(), o.stats().wallNanos(), cpuNanos,
                m.vmExits(), PagingStats.of(m));
    }
}
