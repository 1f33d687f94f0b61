package dev.hvsim.vmx;

import dev.hvsim.vmcs.msr.VmxCapabilities;

/**
 * Remembers, per VM-entry rule of one CPU, the outcome of its last evaluation and the VMCS fields that evaluation
 * read, so that the next VMLAUNCH/VMRESUME re-runs only the rules an input of which changed (ARCHITECTURE.md
 * "Performance notes"). The outcome is exactly that of {@link EntryChecks#check(VmcsSnapshot, EntryContext)}: a rule
 * is a pure function of the snapshot fields it reads and of the context, so when none of the fields its last
 * evaluation read has changed (compared by value with the last checked snapshot), the context's scalars are the same
 * and it read no memory, evaluating it again would take the same path and give the same answer.
 *
 * <p>The fields a rule depends on are recorded while it runs ({@link VmcsSnapshot} notes every field read), not taken
 * from {@link EntryRule#fields()}, so an incomplete field list cannot make the memo wrong. A rule that read physical
 * memory or probed WRMSR (through the context this memo makes) is always evaluated again, as is every rule when the
 * capabilities, processor LMA, address widths or current-VMCS pointer differ from the last check, or when the last
 * check did not finish.
 */
final class EntryCheckMemo {
    private final EntryContext.Memory memory;
    private final EntryContext.MsrProbe msrProbe;
    private final int words;
    /** Per rule of {@link EntryChecks#STATE_RULES}: the snapshot fields (bits by catalogue index) its last run read. */
    private final long[][] reads;
    private final boolean[] violated;
    private final boolean[] touchedMemory;
    /** {@link #violated} and {@link #touchedMemory} as bit sets by rule index (for {@link #allHold}). */
    private final long[] violatedBits;
    private final long[] memoryBits;
    /** Per field (catalogue index): the rules (bits by rule index) whose last run read it; the inverse of reads. */
    private final long[][] dependents;
    /** The rules a field of which changed between the last checked snapshot and this one (valid during a check). */
    private final long[] stale;
    /** The fields the rule being evaluated reads (compared with its last read set afterwards). */
    private final long[] scratch;
    private long[] lastValues;
    private EntryContext lastContext;
    private boolean valid;
    /** This check evaluates every rule (no usable memo). */
    private boolean all;
    private boolean touched;

    /** A memo whose contexts read {@code memory} and probe with {@code msrProbe}, noting that a rule did. */
    EntryCheckMemo(EntryContext.Memory memory, EntryContext.MsrProbe msrProbe) {
        this.memory = (pa, size) -> {
            touched = true;
            return memory.read(pa, size);
        };
        this.msrProbe = (index, value) -> {
            touched = true;
            return msrProbe.wouldFault(index, value);
        };
        int n = EntryChecks.STATE_RULES.size();
        this.words = (VmcsSnapshot.size() + 63) >>> 6;
        this.reads = new long[n][words];
        this.violated = new boolean[n];
        this.touchedMemory = new boolean[n];
        this.dependents = new long[VmcsSnapshot.size()][(n + 63) >>> 6];
        this.stale = new long[(n + 63) >>> 6];
        this.scratch = new long[words];
        this.violatedBits = new long[(n + 63) >>> 6];
        this.memoryBits = new long[(n + 63) >>> 6];
    }

    /** The context for a check with this memo; the same object while the arguments stay the same (no allocation). */
    EntryContext context(VmxCapabilities caps, boolean processorLma, int physAddrBits, int linearBits,
            long currentVmcs) {
        EntryContext c = lastContext;
        if (c == null || c.caps() != caps || c.processorLma() != processorLma || c.physAddrBits() != physAddrBits
                || c.linearBits() != linearBits || c.currentVmcs() != currentVmcs) {
            c = new EntryContext(caps, processorLma, physAddrBits, linearBits, memory, msrProbe, currentVmcs);
        }
        return c;
    }

    /** For the next {@link #begin} only: the fields that may differ from the last checked snapshot, or null. */
    private long[] onlyChanged;

    /**
     * The next {@link #begin} compares only the fields set in {@code changed} (bits by catalogue index) with the last
     * checked snapshot: the caller knows that no other field can differ (VmEntry: the processor-side VMCS copy notes
     * every field it changes). Null: compare every field.
     */
    void onlyChanged(long[] changed) {
        onlyChanged = changed;
    }

    private EntryState lastState;

    /** The rules' view of {@code snapshot} under {@code ctx}: the same object while both are (no allocation per entry). */
    EntryState state(VmcsSnapshot snapshot, EntryContext ctx) {
        EntryState s = lastState;
        if (s == null || s.snapshot() != snapshot || s.context() != ctx) {
            s = new EntryState(snapshot, ctx); // EntryState is immutable
            lastState = s;
        }
        return s;
    }

    /** Starts a check: decides which fields changed, or that every rule runs. */
    void begin(VmcsSnapshot snapshot, EntryContext ctx) {
        long[] hint = onlyChanged;
        onlyChanged = null;
        long[] now = snapshot.values();
        boolean same = valid && ctx == lastContext && lastValues != null && lastValues.length == now.length;
        valid = false; // until end(): a check that throws leaves the memo empty
        all = !same;
        if (ctx.memory() != memory || ctx.msrProbe() != msrProbe) {
            lastContext = null; // not our context: memory reads would go unnoticed
            lastValues = null;
            all = true;
            return;
        }
        if (same && hint != null) {
            java.util.Arrays.fill(stale, 0L);
            long[] last = lastValues;
            for (int w = 0; w < hint.length; w++) {
                long bits = hint[w];
                while (bits != 0) {
                    int f = w << 6 | Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    if (f < now.length && now[f] != last[f]) {
                        changed(f, now, last);
                    }
                }
            }
        } else if (same) {
            java.util.Arrays.fill(stale, 0L);
            long[] last = lastValues;
            for (int f = 0; f < now.length; f++) {
                if (now[f] != last[f]) {
                    changed(f, now, last);
                }
            }
        } else {
            lastValues = now.clone();
        }
        lastContext = ctx;
    }

    /** Field {@code f} differs from the last checked snapshot: the rules that read it are stale. */
    private void changed(int f, long[] now, long[] last) {
        last[f] = now[f];
        long[] d = dependents[f];
        for (int w = 0; w < d.length; w++) {
            stale[w] |= d[w];
        }
    }

    /** Whether rule {@code i} of {@link EntryChecks#STATE_RULES} is violated: remembered, or evaluated now. */
    boolean violated(int i, EntryRule r, EntryState s) {
        if (!all && !touchedMemory[i] && (stale[i >>> 6] >>> i & 1) == 0) {
            return violated[i];
        }
        long[] read = reads[i], fresh = scratch;
        for (int w = 0; w < fresh.length; w++) { // a few words: a plain loop, not Arrays.fill's stub
            fresh[w] = 0;
        }
        touched = false;
        VmcsSnapshot snap = s.snapshot();
        snap.track(fresh);
        try {
            violated[i] = r.check().violated(s);
        } finally { // a rule that throws keeps its old read set (the check is left invalid: end() is not reached)
            snap.track(null);
        }
        touchedMemory[i] = touched;
        if (!sameBits(fresh, read)) { // a re-run usually reads the same fields: nothing to re-register
            setDependent(read, i, false);
            System.arraycopy(fresh, 0, read, 0, fresh.length);
            setDependent(read, i, true);
        }
        long bit = 1L << i;
        int w = i >>> 6;
        violatedBits[w] = violated[i] ? violatedBits[w] | bit : violatedBits[w] & ~bit;
        memoryBits[w] = touched ? memoryBits[w] | bit : memoryBits[w] & ~bit;
        return violated[i];
    }

    /**
     * After {@link #begin}: evaluates only the rules that {@link #violated} would evaluate (an input changed, or
     * the rule read memory or probed an MSR) and says whether every rule of {@code rules} holds now; the others
     * keep their remembered results, which are the results they would give (see the class comment). False when
     * some rule is violated or this check has to evaluate every rule: the caller then walks all rules in order with
     * {@link #violated} to collect the violations (which evaluates nothing twice that it need not).
     */
    boolean allHold(java.util.List<EntryRule> rules, EntryState s) {
        if (all) {
            return false;
        }
        long[] stale = this.stale, mem = memoryBits;
        for (int w = 0; w < stale.length; w++) {
            long bits = stale[w] | mem[w];
            while (bits != 0) {
                int i = w << 6 | Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                violated(i, rules.get(i), s);
                stale[w] &= ~(1L << i); // evaluated with the current inputs: not stale any more
            }
        }
        for (long v : violatedBits) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code a} and {@code b} (bit sets of the same length) are equal. */
    private static boolean sameBits(long[] a, long[] b) {
        for (int w = 0; w < a.length; w++) {
            if (a[w] != b[w]) {
                return false;
            }
        }
        return true;
    }

    /** Marks (or clears) rule {@code rule} as a dependent of every field in {@code fields}. */
    private void setDependent(long[] fields, int rule, boolean on) {
        for (int w = 0; w < fields.length; w++) {
            long bits = fields[w];
            while (bits != 0) {
                int f = w << 6 | Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (on) {
                    dependents[f][rule >>> 6] |= 1L << rule;
                } else {
                    dependents[f][rule >>> 6] &= ~(1L << rule);
                }
            }
        }
    }

    /** The check finished: its results may be reused by the next one. */
    void end() {
        valid = lastContext != null;
    }

    /** Forgets every remembered result: the next check evaluates every rule. */
    void invalidate() {
        valid = false;
        onlyChanged = null;
        lastContext = null;
        lastValues = null;
    }
}
