package dev.hvsim.benchmarks;

import dev.hvsim.machine.RunOutcome;

/**
 * A benchmark guest did not finish with v = 0 on the debug-exit port (it failed its own check, shut
 * down, halted, or hit the per-run limit). Carries the run's outcome.
 */
public final class BenchException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient RunOutcome outcome;

    /** The guest {@code name} ended with {@code outcome}. */
    public BenchException(String name, RunOutcome outcome) {
        super("benchmark guest " + name + " did not pass: " + outcome.describe(), null, false, false);
        this.outcome = outcome;
    }

    /** How the failing run ended. */
    public RunOutcome outcome() {
        return outcome;
    }
}
