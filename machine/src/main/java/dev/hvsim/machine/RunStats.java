package dev.hvsim.machine;

/**
 * What one {@link Machine#run} did.
 *
 * @param instructions instructions retired (faulting instructions count, as in {@code Cpu.instructions()})
 * @param cycles       modelled CPU cycles spent
 * @param wallNanos    host wall-clock time of the run
 */
public record RunStats(long instructions, long cycles, long wallNanos) {

    /** Guest instructions retired per host wall-clock microsecond (millions per second). */
    public double mips() {
        return wallNanos <= 0 ? 0 : instructions * 1000.0 / wallNanos;
    }

    /** Wall-clock seconds. */
    public double seconds() {
        return wallNanos / 1e9;
    }
}
