package dev.hvsim.machine.apic;

/**
 * The local APIC timer (SDM Vol. 3A 11.5.4): one-shot, periodic and TSC-deadline modes, counting at the
 * core clock divided by the divide configuration register (11.5.4, Figure 11-10). Time is the owning CPU's
 * cycle counter, so the timer is deterministic; nothing is done per instruction: the machine asks
 * {@link #deadline()} and bounds the CPU's run to it, then calls {@link #expire(long)}.
 *
 * <p>Counts are computed lazily from the cycle at which the count was loaded: the current-count register
 * is {@code initial - elapsed / divisor} (one-shot, stopping at 0) or that value modulo the initial count
 * (periodic, 11.5.4 "the current-count register is automatically reloaded from the initial-count
 * register").
 */
final class ApicTimer {
    static final int ONE_SHOT = 0, PERIODIC = 1, TSC_DEADLINE = 2;

    /** Divide configuration register value (bits 0, 1, 3). */
    int divideConfig;
    /** Initial-count register. */
    long initial;
    /** Cycle at which the current count was loaded from the initial count (or the last period began). */
    long start;
    /** One-shot: the countdown reached 0 and was reported. */
    boolean expired = true;
    /** IA32_TSC_DEADLINE (0 = disarmed). */
    long tscDeadline;

    /** The divisor of divide configuration {@code dcr}: 2, 4, 8, 16, 32, 64, 128 or 1 (Figure 11-10). */
    static int divisor(int dcr) {
        int n = ((dcr & 8) >> 1) | (dcr & 3);
        return n == 7 ? 1 : 2 << n;
    }

    long period() {
        return initial * divisor(divideConfig);
    }

    /** Writing the initial-count register (re)starts the countdown (0 stops it). */
    void load(long count, long now) {
        initial = count & 0xffffffffL;
        start = now;
        expired = initial == 0;
    }

    /** The current-count register at cycle {@code now}. */
    long current(int mode, long now) {
        if (initial == 0 || mode == TSC_DEADLINE) {
            return 0;
        }
        long elapsed = (now - start) / divisor(divideConfig);
        if (mode == PERIODIC) {
            return initial - elapsed % initial;
        }
        return elapsed >= initial ? 0 : initial - elapsed;
    }

    /**
     * The cycle at which the timer next fires, or {@link Long#MAX_VALUE}. {@code tscToCycle} converts a
     * TSC value into the first cycle at which the TSC reaches it.
     */
    long deadline(int mode, java.util.function.LongUnaryOperator tscToCycle) {
        if (mode == TSC_DEADLINE) {
            return tscDeadline == 0 ? Long.MAX_VALUE : tscToCycle.applyAsLong(tscDeadline);
        }
        if (initial == 0 || (mode == ONE_SHOT && expired)) {
            return Long.MAX_VALUE;
        }
        return start + period();
    }

    /** The deadline passed at {@code now}: disarm (one-shot, TSC deadline) or start the next period. */
    void expire(int mode, long now) {
        if (mode == TSC_DEADLINE) {
            tscDeadline = 0; // SDM 11.5.4.1: the timer disarms itself when it fires
        } else if (mode == PERIODIC) {
            long p = period();
            start += p * Math.max(1, (now - start) / p); // missed periods are merged into one interrupt
        } else {
            expired = true;
        }
    }

    /** A write to the LVT timer register that changes the mode disarms the timer (SDM 11.5.4.1). */
    void modeChanged() {
        initial = 0;
        expired = true;
        tscDeadline = 0;
    }
}
