package dev.hvsim.benchmarks;

import dev.hvsim.machine.Machine;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Mmu;

/**
 * The TLB and page-walk counts of one benchmark run, summed over the machine's CPUs, from x86-core's {@link Mmu}
 * counters: TLB hits, walks (TLB misses), paging-structure references of all walks (both stages, PAE PDPTE loads
 * included), and the walks made under a second stage (EPT or nested paging) with their references. Each
 * reference costs the profile's {@code pageWalkReference} cycles ({@link #referenceCycles}).
 *
 * @param tlbHits                accesses the TLB served
 * @param walks                  TLB misses (page walks)
 * @param walkReferences         paging-structure references of all walks
 * @param nestedWalks            completed walks with a second stage installed
 * @param nestedWalkReferences   their references, both stages (24 per cold 4-level-on-4-level walk)
 * @param referenceCycles        cycles the profile charges per reference
 */
public record PagingStats(long tlbHits, long walks, long walkReferences, long nestedWalks, long nestedWalkReferences,
        int referenceCycles) {
    /** No counts (a sample recorded without them). */
    public static final PagingStats NONE = new PagingStats(0, 0, 0, 0, 0, 0);

    /** The counts of {@code m}'s CPUs (read after the run). */
    public static PagingStats of(Machine m) {
        long hits = 0, walks = 0, refs = 0, nested = 0, nestedRefs = 0;
        int cost = 0;
        for (Cpu c : m.cpus()) {
            Mmu mmu = c.mmu();
            hits += mmu.tlbHits();
            walks += mmu.walks();
            refs += mmu.walkReferences();
            nested += mmu.nestedWalks();
            nestedRefs += mmu.nestedWalkReferences();
            cost = c.profile().pageWalkReference();
        }
        return new PagingStats(hits, walks, refs, nested, nestedRefs, cost);
    }

    /** Walks (misses) per TLB lookup; 0 without lookups. */
    public double tlbMissRate() {
        return tlbHits + walks == 0 ? 0 : (double) walks / (tlbHits + walks);
    }

    /** Paging-structure references per walk; 0 without walks. */
    public double referencesPerWalk() {
        return walks == 0 ? 0 : (double) walkReferences / walks;
    }

    /** References per walk made under a second stage; 0 without such walks. */
    public double referencesPerNestedWalk() {
        return nestedWalks == 0 ? 0 : (double) nestedWalkReferences / nestedWalks;
    }

    /** Modelled cycles spent on paging-structure references (all walks). */
    public long walkCycles() {
        return walkReferences * referenceCycles;
    }
}
