package dev.hvsim.ept;

/** The outcome of a walk: {@link Translated} or {@link Fault}. */
public sealed interface WalkResult permits Translated, Fault {

    /** Paging-structure memory references the walk made, both stages (cycle accounting). */
    int references();

    /** True for {@link Translated}. */
    boolean translated();
}
