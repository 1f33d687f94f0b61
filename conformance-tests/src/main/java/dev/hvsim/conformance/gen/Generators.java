package dev.hvsim.conformance.gen;

import dev.hvsim.x86core.CpuProfile;
import java.util.SplittableRandom;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

/**
 * The domain generators as QuickTheories {@link Gen}s, for property tests in a user's own JUnit tests. Each value is
 * built from one 64-bit seed drawn by QuickTheories (so a failing example is reproduced by its seed; the
 * structural shrinking that matters, back to a valid baseline, is {@code campaign.VmxShrinker}). The
 * generators keep no state between values and may be used from several threads.
 *
 * <pre>{@code
 * qt().withFixedSeed(42).withExamples(200)
 *     .forAll(Generators.validVmcs(VmxCpu.intelCore()))
 *     .checkAssert(c -> assertThat(c.check().kind()).isEqualTo(EntryOutcome.Kind.ENTERED));
 * }</pre>
 */
public final class Generators {
    private Generators() {}

    /** Seeds for the domain generators. */
    public static Gen<Long> seeds() {
        return SourceDSL.longs().all();
    }

    /** Valid VMCS cases of a random guest mode. */
    public static Gen<VmxCase> validVmcs(VmxCpu cpu) {
        return seeds().map(s -> new VmcsGenerator(cpu).valid(new SplittableRandom(s)));
    }

    /** Valid VMCS cases of one guest mode. */
    public static Gen<VmxCase> validVmcs(VmxCpu cpu, GuestMode mode) {
        return seeds().map(s -> new VmcsGenerator(cpu).valid(mode, new SplittableRandom(s)));
    }

    /** Valid VMCB cases of a random base. */
    public static Gen<VmcbCase> validVmcb(CpuProfile profile) {
        return seeds().map(s -> new VmcbGenerator(profile).valid(new SplittableRandom(s)));
    }

    /** Valid VMCB cases of a random base in a random guest mode of it ({@link VmcbGenerator#validAnyMode}). */
    public static Gen<VmcbCase> validVmcbAnyMode(CpuProfile profile) {
        return seeds().map(s -> {
            SplittableRandom r = new SplittableRandom(s);
            return new VmcbGenerator(profile).validAnyMode(dev.hvsim.svm.VmcbBases.NAMES.get(
                    r.nextInt(dev.hvsim.svm.VmcbBases.NAMES.size())), r);
        });
    }

    /**
     * Runnable VMCBs: valid cases of any base and mode with {@code code} at CS:RIP under nested paging, with random
     * guest and nested tables ({@link NptImages}; the VMMCALL intercept is set).
     */
    public static Gen<NptImages.Image> runnableVmcb(CpuProfile profile, byte[] code) {
        return validVmcbAnyMode(profile).zip(seeds(), (c, s) -> NptImages.place(c, code, new SplittableRandom(s), false));
    }

    /** Valid VMCB cases of one base ({@code VmcbBases}). */
    public static Gen<VmcbCase> validVmcb(CpuProfile profile, String base) {
        return seeds().map(s -> new VmcbGenerator(profile).valid(base, new SplittableRandom(s)));
    }
}
