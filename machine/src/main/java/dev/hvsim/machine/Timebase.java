package dev.hvsim.machine;

/**
 * Modelled time: every clock of the machine is derived from the CPUs' cycle counters, never from the
 * host's clock, so a run is deterministic (machine/DESIGN.md, "Timing").
 *
 * <ul>
 *   <li>The core clock is nominally {@link #CORE_HZ} (1 GHz): one modelled cycle is one nanosecond.</li>
 *   <li>The TSC advances by the profile's {@code tscPerCycle} per cycle (1 for the shipped profiles).</li>
 *   <li>The local APIC timer counts at the core clock divided by its divide configuration (one count per
 *       cycle at divide-by-1).</li>
 *   <li>The 8254 PIT counts at {@link #PIT_HZ} (1.193182 MHz, the PC's 14.31818 MHz / 12).</li>
 *   <li>The CMOS clock advances by one second per {@link #CORE_HZ} cycles.</li>
 * </ul>
 */
public final class Timebase {
    /** Nominal core clock in Hz: one cycle per nanosecond. */
    public static final long CORE_HZ = 1_000_000_000L;
    /** The 8254's input clock in Hz. */
    public static final long PIT_HZ = 1_193_182L;

    private Timebase() {}

    /** Whole ticks of a {@code hz} clock elapsed in {@code cycles} core cycles (floor; no overflow). */
    public static long ticks(long cycles, long hz) {
        return (cycles / CORE_HZ) * hz + (cycles % CORE_HZ) * hz / CORE_HZ;
    }

    /** The first cycle count at which {@code ticks} ticks of a {@code hz} clock have elapsed (ceiling). */
    public static long cyclesFor(long ticks, long hz) {
        long whole = ticks / hz, rest = ticks % hz;
        return whole * CORE_HZ + (rest * CORE_HZ + hz - 1) / hz;
    }
}
