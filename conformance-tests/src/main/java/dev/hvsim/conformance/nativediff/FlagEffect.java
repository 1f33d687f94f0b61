package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.Flag.STATUS;

/**
 * What one instruction does to the status flags, as the "Flags Affected" section of its
 * SDM Vol. 2 entry states: which flags it reads, which it leaves with a defined value and
 * which it leaves architecturally undefined. Flags in none of the sets are unaffected.
 *
 * <p>The generator tracks a mask of currently undefined flags; {@link #apply} gives the mask
 * after the instruction. {@link #union} merges the effects of alternatives (e.g. every
 * possible CL shift count), giving the conservative result.
 *
 * @param reads     flags whose value the instruction uses
 * @param defines   flags left with a defined value
 * @param undefines flags left undefined (disjoint from {@code defines})
 */
public record FlagEffect(long reads, long defines, long undefines) {
    /** No flag read or changed. */
    public static final FlagEffect NONE = new FlagEffect(0, 0, 0);

    /** Normalises: a flag both defined and undefined counts as undefined. */
    public FlagEffect {
        defines &= ~undefines;
    }

    /** The undefined-flag mask after this instruction, given the mask before it. */
    public long apply(long undefinedBefore) {
        return (undefinedBefore & ~defines) | undefines;
    }

    /** Whether this instruction would read a flag undefined in {@code undefinedBefore}. */
    public boolean readsUndefined(long undefinedBefore) {
        return (reads & undefinedBefore) != 0;
    }

    /**
     * The effect of "one of these happens": reads any, defines only what all define,
     * undefines what any undefines (a flag some alternative leaves unchanged keeps its state).
     */
    public static FlagEffect union(Iterable<FlagEffect> alternatives) {
        long reads = 0;
        long defines = STATUS;
        long undefines = 0;
        for (FlagEffect e : alternatives) {
            reads |= e.reads;
            defines &= e.defines;
            undefines |= e.undefines;
        }
        return new FlagEffect(reads, defines, undefines);
    }
}
