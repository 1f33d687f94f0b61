package dev.hvsim.conformance.nativediff;

import java.util.List;

/**
 * Something that can run {@link IsaCase}s: the host CPU ({@link NativeExecutor}) or the
 * hvsim model. Implementations must be deterministic and must survive every case, reporting
 * exceptions as {@link IsaOutcome#faultVector()}.
 */
public interface IsaExecutor {
    /**
     * Runs every case from its initial state, independently of the others.
     *
     * @return one outcome per case, in the same order
     */
    List<IsaOutcome> run(List<IsaCase> cases);
}
