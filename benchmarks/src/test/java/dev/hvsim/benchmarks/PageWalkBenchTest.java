package dev.hvsim.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.x86core.CpuProfile;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The page-walk figures {@code hvsim bench} reports, on the guests made for them (guests/src/main/c/nested-walk.h):
 * a guest on its own 4-level, 4 KiB tables under a 4-level, 4 KiB second stage (EPT on intel-core, nested paging
 * on amd-zen) that flushes its TLB with MOV CR3 at the start of each of 2000 rounds and then reads 64 pages 8
 * times. With no paging-structure caches every walk under the second stage is cold: 4 x (4 + 1) + 4 = 24
 * references (SDM Vol. 3C 29.3.2; AMD APM Vol. 2 15.25.5). The first pass of a round misses on each page (a
 * walk), the other 7 hit, so the TLB brings the references per access down from 24 to about 3.
 */
class PageWalkBenchTest {
    static final int ROUNDS = 2000, PAGES = 64, PASSES = 8;

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"vmx-ept-walk, intel-core", "svm-npt-walk, amd-zen"})
    void everyWalkUnderTheSecondStageIsTwentyFourReferencesAndTheTlbServesTheRest(String guest, String profile)
            throws Exception {
        CpuProfile p = CpuProfile.load(profile);
        BenchRunner r = new BenchRunner(p, new BenchRunner.Options(Duration.ZERO, 0, 1, 1,
                RunLimits.instructions(100_000_000)));
        byte[] elf = Guests.bytes(guest);
        PagingStats s = r.run(guest, m -> m.loadElf(elf)).pagingPerRun();

        assertThat(s.nestedWalkReferences()).as("24 references per nested walk").isEqualTo(24 * s.nestedWalks());
        // each round: one walk per buffer page, plus the guest's code page(s) after the flush (one or two)
        assertThat(s.nestedWalks()).isBetween((long) ROUNDS * PAGES, (long) ROUNDS * (PAGES + 2) + 2);
        // passes 2..8 of each round hit the TLB
        assertThat(s.tlbHits()).isGreaterThanOrEqualTo((long) ROUNDS * PAGES * (PASSES - 1));
        assertThat(s.walks()).isGreaterThanOrEqualTo(s.nestedWalks());
        assertThat(s.referenceCycles()).isEqualTo(p.pageWalkReference());
        assertThat(s.walkCycles()).isEqualTo(s.walkReferences() * p.pageWalkReference());
        double perAccess = (double) s.nestedWalkReferences() / ((long) ROUNDS * PAGES * PASSES);
        assertThat(perAccess).as("references per buffer access with the TLB").isLessThan(24.0 / PASSES + 1);
    }
}
