package dev.hvsim.x86core.jit;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;

/**
 * A basic block of 64-bit guest code translated into JVM bytecode by {@link BlockTranslator}: the
 * superclass of the generated hidden classes. {@link #run} executes whole passes of the block (a block
 * whose last instruction branches back to its own start loops inside the generated method) and returns
 * how far it got; the caller ({@code Cpu}'s fast loop) adds the instructions and cycles.
 *
 * <p>Generated code never throws and never leaves the RAM pages the TLB already maps: an instruction that
 * needs anything else (a TLB miss, a non-canonical return address, a store to a page holding decoded
 * code) ends the block <em>before</em> it changes any state (a side exit), and the interpreter executes
 * it, so faults, page walks, MMIO and self-modifying stores are always the interpreter's.
 */
public abstract class TranslatedBlock {
    /** Result bit: the block stopped at a side exit (before instruction {@link #exitIndex}). */
    public static final long SIDE_EXIT = 0x80;

    /** Linear RIP the block was translated at (its constants depend on it). */
    long startRip;
    /** Instructions in one pass. */
    int length;
    /** Cycles of one pass. */
    long passCycles;
    /** cumulativeCycles[k]: cycles of the first k instructions. */
    long[] cumulativeCycles;
    /** True when the block's last instruction branches back to its start (the block loops). */
    boolean loops;

    protected TranslatedBlock() {}

    /**
     * Executes at most {@code maxPasses} (at least 1) complete passes, stopping early at a side exit or
     * when the block leaves (its last instruction does not return to the start). Writes back registers,
     * lazy flags and RIP before it returns.
     *
     * @return {@code passes << 8 | k}, plus {@link #SIDE_EXIT} when it stopped before instruction k of
     *         the pass after {@code passes} complete ones (k = 0 otherwise)
     */
    public abstract long run(Cpu cpu, CpuState s, long maxPasses);

    public long startRip() { return startRip; }
    public int length() { return length; }
    public long passCycles() { return passCycles; }
    public boolean loops() { return loops; }

    /** Cycles of the first {@code k} instructions of a pass. */
    public long cyclesBefore(int k) { return cumulativeCycles[k]; }

    /** Complete passes in a {@link #run} result. */
    public static long passes(long result) { return result >>> 8; }

    /** Instructions of the incomplete pass in a {@link #run} result. */
    public static int exitIndex(long result) { return (int) result & 0x7f; }

    public static boolean sideExit(long result) { return (result & SIDE_EXIT) != 0; }
}
