package dev.hvsim.x86core;

/**
 * A stateful component that can copy its state out and put it back exactly (the debugger's periodic snapshots for
 * reverse execution, tools/DESIGN.md "Reverse execution"). Each component copies its own fields explicitly (no
 * reflection, no Java serialization); a composite (a {@link Cpu}, a machine) snapshots its parts and restores
 * them together. A snapshot is taken at an instruction boundary, between two runs, and may be restored any number
 * of times: restoring never hands the component an array the snapshot keeps.
 *
 * <p>What a component may leave out: caches whose contents never change the timeline (the decode cache's decoded
 * instructions and the translated blocks; see {@link Cpu#snapshot()}), configuration fixed at construction, and
 * listeners attached by the debugger itself.
 */
public interface Snapshottable {

    /** A copy of this component's state now. */
    Snapshot snapshot();

    /** A component's saved state. */
    interface Snapshot {
        /** Puts the component back in the state it had when the snapshot was taken. */
        void restore();

        /** Approximate heap bytes this snapshot holds of its own (for the debugger's memory bound). */
        default long bytes() {
            return 64;
        }
    }

    /** A snapshot of several components, restored in order. */
    static Snapshot all(Snapshot... parts) {
        return new Snapshot() {
            @Override
            public void restore() {
                for (Snapshot p : parts) {
                    p.restore();
                }
            }

            @Override
            public long bytes() {
                long b = 16L + 8L * parts.length;
                for (Snapshot p : parts) {
                    b += p.bytes();
                }
                return b;
            }
        };
    }
}
