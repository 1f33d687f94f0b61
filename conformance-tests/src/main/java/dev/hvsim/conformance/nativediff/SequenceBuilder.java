package dev.hvsim.conformance.nativediff;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds one instruction sequence while tracking which status flags are architecturally
 * undefined. An instruction that would read an undefined flag is preceded by a "definer"
 * (an instruction that reads no flag and defines the needed ones). Forward Jcc branches land
 * only between groups (a group is an instruction with its preludes), and the undefined mask
 * where a branch lands is the union of both paths.
 */
final class SequenceBuilder {
    private static final int JCC_SHORT = 2;
    private static final int JCC_NEAR = 6;

    private final SplittableRandom rnd;
    private final InsnFactory factory;
    private final List<Template> definers;
    private final List<Insn> insns = new ArrayList<>();
    /** Undefined-flag mask on reaching each instruction (index i = before insns[i]). */
    private final List<Long> undefinedBefore = new ArrayList<>();
    private final List<int[]> pending = new ArrayList<>(); // {jccIndex}
    private final List<Long> pendingState = new ArrayList<>();
    /** For each instruction, the index a branch jumps to (unused for non-branches). */
    private final List<Integer> targets = new ArrayList<>();
    private long undefined;

    /**
     * @param definers catalogue rows usable as definers (see {@link #definers(List)})
     */
    SequenceBuilder(SplittableRandom rnd, List<Template> definers) {
        this.rnd = rnd;
        this.factory = new InsnFactory(rnd);
        this.definers = definers;
    }

    /** The rows of {@code available} that read no flag and define some: candidate definers. */
    static List<Template> definers(List<Template> available) {
        return available.stream().filter(SequenceBuilder::isDefiner).toList();
    }

    /** Appends {@code t} (with preludes and, if needed, a definer) and maybe lands branches. */
    void add(Template t) {
        List<Insn> group = factory.build(t);
        Insn main = group.get(group.size() - 1);
        long needed = main.effect().reads() & stateAfter(group.subList(0, group.size() - 1), undefined);
        if (needed != 0) {
            List<Insn> withDefiner = new ArrayList<>(definer(main.effect().reads()));
            withDefiner.addAll(group);
            group = withDefiner;
        }
        for (Insn insn : group) {
            emit(insn);
        }
        if (main.isBranch()) {
            pending.add(new int[] {insns.size() - 1});
            pendingState.add(undefined);
        }
        landSome();
    }

    private void emit(Insn insn) {
        if (insn.effect().readsUndefined(undefined)) {
            throw new IllegalStateException("generator bug: " + insn.text() + " reads undefined "
                    + Flag.names(insn.effect().reads() & undefined));
        }
        undefinedBefore.add(undefined);
        insns.add(insn);
        targets.add(-1);
        undefined = insn.effect().apply(undefined);
    }

    /** An instruction group after which none of {@code needed} is undefined. */
    private List<Insn> definer(long needed) {
        for (int attempt = 0; attempt < 256; attempt++) {
            Template d = definers.get(rnd.nextInt(definers.size()));
            if ((d.flags().apply(undefined) & needed) != 0) {
                continue;
            }
            List<Insn> g = factory.build(d);
            if ((stateAfter(g, undefined) & needed) == 0) {
                return g;
            }
        }
        throw new IllegalStateException("no definer for " + Flag.names(needed));
    }

    private static long stateAfter(List<Insn> group, long state) {
        for (Insn i : group) {
            state = i.effect().apply(state);
        }
        return state;
    }

    private static boolean isDefiner(Template t) {
        return t.rule() == FlagRule.FIXED && t.flags().reads() == 0 && t.flags().defines() != 0
                && !t.has(Template.CONDITIONAL) && !t.has(Template.DIVIDE_SIGNED | Template.DIVIDE_UNSIGNED);
    }

    /** Lands each pending branch here with probability 1/2; merges the undefined masks. */
    private void landSome() {
        for (int i = pending.size() - 1; i >= 0; i--) {
            if (rnd.nextBoolean()) {
                land(i);
            }
        }
    }

    private void land(int i) {
        targets.set(pending.get(i)[0], insns.size());
        undefined |= pendingState.get(i);
        pending.remove(i);
        pendingState.remove(i);
    }

    /** Number of instructions emitted so far (definers and preludes included). */
    int size() {
        return insns.size();
    }

    /** Lands the remaining branches at the end and lays out the code. */
    Layout finish() {
        while (!pending.isEmpty()) {
            land(pending.size() - 1);
        }
        return layout();
    }

    private Layout layout() {
        int n = insns.size();
        int[] length = new int[n];
        for (int i = n - 1; i >= 0; i--) {
            length[i] = insns.get(i).isBranch() ? branchLength(i, length) : insns.get(i).bytes().length;
        }
        int[] offset = new int[n + 1];
        for (int i = 0; i < n; i++) {
            offset[i + 1] = offset[i] + length[i];
        }
        List<Insn> laidOut = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            laidOut.add(insns.get(i).isBranch() ? encodeBranch(insns.get(i), offset, i) : insns.get(i));
        }
        return new Layout(laidOut, offset, new ArrayList<>(undefinedBefore), undefined);
    }

    private int branchLength(int i, int[] length) {
        int distance = 0;
        for (int k = i + 1; k < targets.get(i); k++) {
            distance += length[k];
        }
        return insns.get(i).longForm() || distance > 127 ? JCC_NEAR : JCC_SHORT;
    }

    private Insn encodeBranch(Insn b, int[] offset, int i) {
        int target = offset[targets.get(i)];
        int rel = target - offset[i + 1];
        int cc = b.cc();
        byte[] bytes = offset[i + 1] - offset[i] == JCC_SHORT
                ? new byte[] {(byte) (0x70 + cc), (byte) rel}
                : new byte[] {0x0F, (byte) (0x80 + cc), (byte) rel, (byte) (rel >> 8),
                    (byte) (rel >> 16), (byte) (rel >> 24)};
        String text = "j" + Catalogue.CONDITIONS.get(cc) + String.format(" 0x%x", target);
        return new Insn(bytes, text, b.effect(), b.template(), cc, b.longForm());
    }

    /**
     * A laid-out sequence.
     *
     * @param insns           instructions with final bytes
     * @param offset          offset of each instruction; {@code offset[n]} is the code length
     * @param undefinedBefore undefined-flag mask on reaching each instruction
     * @param undefinedAtEnd  undefined-flag mask at the end
     */
    record Layout(List<Insn> insns, int[] offset, List<Long> undefinedBefore, long undefinedAtEnd) {
    }
}
