package dev.hvsim.x86core;

/**
 * The deterministic generator behind RDRAND and RDSEED (SplitMix64; seeded per CPU): the same guest
 * and profile produce the same "random" numbers on every run. Deviation: real hardware is a true
 * entropy source; see DEVIATIONS.md.
 */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public void seed(long seed) {
        this.state = seed;
    }

    /** The generator's state (a snapshot copies it; {@link #seed} puts it back). */
    public long state() {
        return state;
    }

    public long next() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
