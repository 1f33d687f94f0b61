package dev.hvsim.machine;

import java.time.Duration;

/**
 * Limits for one {@link Machine#run}.
 *
 * @param maxInstructions instructions to retire at most ({@link Long#MAX_VALUE}: no limit)
 * @param timeout         wall-clock time at most, checked between slices of instructions (null: none)
 */
public record RunLimits(long maxInstructions, Duration timeout) {

    public RunLimits {
        if (maxInstructions <= 0) {
            throw new IllegalArgumentException("instruction limit must be positive, not " + maxInstructions);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
    }

    /** No limit at all: the run ends only when the guest halts, shuts down or exits. */
    public static RunLimits none() {
        return new RunLimits(Long.MAX_VALUE, null);
    }

    /** At most {@code n} instructions. */
    public static RunLimits instructions(long n) {
        return new RunLimits(n, null);
    }

    /** These limits with a wall-clock timeout. */
    public RunLimits withTimeout(Duration t) {
        return new RunLimits(maxInstructions, t);
    }
}
