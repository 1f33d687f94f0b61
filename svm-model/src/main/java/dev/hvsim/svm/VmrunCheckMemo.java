package dev.hvsim.svm;

import java.util.Arrays;

/**
 * Remembers the inputs of one CPU's last VMRUN whose consistency checks all passed, so that a VMRUN with the same
 * inputs does not evaluate the rules again (ARCHITECTURE.md "Performance notes"; the SVM counterpart of vmx-model's
 * {@code EntryCheckMemo}). The outcome is exactly {@link VmrunChecks#check}'s: every rule of {@link VmrunRules#ALL}
 * is a pure function of the snapshot bytes it reads, of the context's scalars (MAXPHYADDR, the EFER and CR4 bits
 * the CPU supports, the host's CR0) and of physical memory. So when the context is the same object as at the last
 * check (the owner builds a new one whenever a scalar changes), no rule read memory (the PAE PDPTE rule of a legacy-PAE
 * guest without nested paging does: such VMRUNs are always checked in full), and every 8-byte word of the VMCB that
 * the last check read holds the same value, every rule would take the same path again and pass again.
 *
 * <p>The words a check depends on are noted while it runs ({@link VmcbSnapshot#track}), not taken from
 * {@link VmrunRule#fields()}, so an incomplete field list cannot make the memo wrong. A failed check is never
 * remembered: VMEXIT_INVALID always comes from a full evaluation, with every violated rule.
 */
final class VmrunCheckMemo {
    /** The 8-byte words of the VMCB the last full check read (one bit each, 512 words). */
    private final long[] reads = new long[VmcbSnapshot.SIZE / 8 / 64];
    /** The byte offsets of those words, {@link #count} of them, and their values then. */
    private final int[] offsets = new int[VmcbSnapshot.SIZE / 8];
    private final long[] values = new long[VmcbSnapshot.SIZE / 8];
    private int count;
    private VmrunContext lastContext;
    private boolean valid;
    /** Set by the context's memory reader during a full check. */
    private boolean touched;

    /** Notes that a rule read physical memory (the context's memory reader calls this). */
    void touched() {
        touched = true;
    }

    /** The outcome of VMRUN's checks on {@code v} in {@code ctx}: remembered when nothing they read changed. */
    VmrunOutcome check(VmcbSnapshot v, VmrunContext ctx) {
        if (valid && ctx == lastContext && unchanged(v)) {
            return VmrunChecks.ENTERED;
        }
        valid = false;
        Arrays.fill(reads, 0L);
        touched = false;
        VmrunOutcome o;
        v.track(reads);
        try {
            o = VmrunChecks.check(v, ctx);
        } finally {
            v.track(null);
        }
        if (o.kind() == VmrunOutcome.Kind.ENTERED && !touched) {
            int n = 0;
            for (int w = 0; w < reads.length; w++) {
                for (long bits = reads[w]; bits != 0; bits &= bits - 1) {
                    int off = (w << 6 | Long.numberOfTrailingZeros(bits)) << 3;
                    offsets[n] = off;
                    values[n++] = v.word(off);
                }
            }
            count = n;
            lastContext = ctx;
            valid = true;
        }
        return o;
    }

    private boolean unchanged(VmcbSnapshot v) {
        for (int i = 0; i < count; i++) {
            if (values[i] != v.word(offsets[i])) {
                return false;
            }
        }
        return true;
    }
}
