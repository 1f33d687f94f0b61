package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.IsaLayout.DATA;
import static dev.hvsim.conformance.nativediff.IsaLayout.RBX;
import static dev.hvsim.conformance.nativediff.IsaLayout.RSI;
import static dev.hvsim.conformance.nativediff.IsaLayout.RSP;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded generator of random {@link IsaCase}s: a random register/flag/data state and a
 * sequence of 1..8 unprivileged integer instructions from the {@link Catalogue} (plus the
 * definers and preludes they need).
 *
 * <p>Case {@code i} depends only on (seed, i, features), so any failing case can be rebuilt
 * with {@link #caseAt(long)}. Guarantees of every generated case:
 * <ul>
 *   <li>RBX and RSI point into the data region at offsets 0x200..0xFFF and are never written;
 *       RSP points at offset 0x1C00..0x1EFF and changes only through PUSH/POP;</li>
 *   <li>every memory access lies inside the data region (see {@link InsnFactory});</li>
 *   <li>no instruction reads a flag that is architecturally undefined at that point
 *       (SDM Vol. 2 "Flags Affected"); {@link IsaCase#undefinedFlagsAt()} gives the undefined
 *       flags at every instruction boundary, for masking;</li>
 *   <li>branches are forward only, so every case terminates.</li>
 * </ul>
 */
public final class IsaGenerator {
    /** Maximum catalogue instructions per case (definers and preludes come on top). */
    public static final int MAX_INSNS = 8;

    private final long seed;
    private final CpuFeatures features;
    private final List<Template> templates;
    private final List<Template> definers;
    private final double[] cumulative;

    /** A generator for {@code seed} using only instructions {@code features} allows. */
    public IsaGenerator(long seed, CpuFeatures features) {
        this(seed, features, Catalogue.available(features));
    }

    /**
     * A generator restricted to {@code templates} (for focused campaigns and tests); definers
     * are still drawn from every row {@code features} allows.
     */
    public IsaGenerator(long seed, CpuFeatures features, List<Template> templates) {
        this.seed = seed;
        this.features = features;
        this.templates = List.copyOf(templates);
        this.definers = SequenceBuilder.definers(Catalogue.available(features));
        this.cumulative = cumulativeWeights(this.templates);
    }

    public long seed() {
        return seed;
    }

    public CpuFeatures features() {
        return features;
    }

    /** Cases {@code first .. first+count-1}. */
    public List<IsaCase> cases(long first, int count) {
        List<IsaCase> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(caseAt(first + i));
        }
        return out;
    }

    /** Case number {@code index}. */
    public IsaCase caseAt(long index) {
        return generate(index).isaCase();
    }

    /** Case number {@code index} with per-instruction details. */
    public GeneratedCase generate(long index) {
        SplittableRandom rnd = new SplittableRandom(mix(seed, index));
        long[] gprs = initialGprs(rnd);
        long rflags = (rnd.nextLong() & Flag.TRACKED) | 0x2;
        byte[] data = new byte[IsaLayout.DATA_SIZE];
        rnd.nextBytes(data);
        SequenceBuilder b = new SequenceBuilder(rnd, definers);
        int count = 1 + rnd.nextInt(MAX_INSNS);
        for (int i = 0; i < count; i++) {
            b.add(pickTemplate(rnd));
        }
        return assemble(gprs, rflags, data, b.finish());
    }

    private static GeneratedCase assemble(long[] gprs, long rflags, byte[] data,
                                          SequenceBuilder.Layout l) {
        int n = l.insns().size();
        byte[] code = new byte[l.offset()[n]];
        long[] undefinedAt = new long[code.length + 1];
        Arrays.fill(undefinedAt, Flag.STATUS);
        StringBuilder dis = new StringBuilder();
        List<Step> steps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Insn insn = l.insns().get(i);
            int off = l.offset()[i];
            System.arraycopy(insn.bytes(), 0, code, off, insn.bytes().length);
            undefinedAt[off] = l.undefinedBefore().get(i);
            dis.append(String.format("%4x: %-36s %s%n", off, Hex.bytes(insn.bytes()), insn.text()));
            steps.add(new Step(off, insn.text(), insn.template() == null ? "prelude" : insn.template().name(),
                    insn.effect().reads(), l.undefinedBefore().get(i)));
        }
        undefinedAt[code.length] = l.undefinedAtEnd();
        IsaCase c = new IsaCase(gprs, rflags, code, data, l.undefinedAtEnd(), dis.toString().stripTrailing(),
                undefinedAt);
        return new GeneratedCase(c, List.copyOf(steps));
    }

    private static long[] initialGprs(SplittableRandom rnd) {
        long[] g = new long[IsaLayout.GPR_COUNT];
        for (int i = 0; i < g.length; i++) {
            g[i] = Values.interesting(rnd);
        }
        g[RBX] = DATA + align(rnd, 0x200 + rnd.nextInt(0xE00));
        g[RSI] = DATA + align(rnd, 0x200 + rnd.nextInt(0xE00));
        g[RSP] = DATA + align(rnd, 0x1C00 + rnd.nextInt(0x300));
        return g;
    }

    /** Mostly 8- or 16-byte aligned (CMPXCHG16B needs 16), sometimes not aligned at all. */
    private static long align(SplittableRandom rnd, int offset) {
        switch (rnd.nextInt(4)) {
            case 0: return offset;
            case 1: return offset & ~7;
            default: return offset & ~15;
        }
    }

    private Template pickTemplate(SplittableRandom rnd) {
        double x = rnd.nextDouble() * cumulative[cumulative.length - 1];
        int i = Arrays.binarySearch(cumulative, x);
        return templates.get(Math.min(i < 0 ? -i - 1 : i, templates.size() - 1));
    }

    /** Each mnemonic gets its row weight once, shared among its forms. */
    private static double[] cumulativeWeights(List<Template> templates) {
        Map<String, Integer> forms = new HashMap<>();
        for (Template t : templates) {
            forms.merge(t.mnemonic(), 1, Integer::sum);
        }
        double[] c = new double[templates.size()];
        double sum = 0;
        for (int i = 0; i < c.length; i++) {
            Template t = templates.get(i);
            sum += t.weight() / forms.get(t.mnemonic());
            c[i] = sum;
        }
        return c;
    }

    private static long mix(long seed, long index) {
        long z = seed + 0x9E37_79B9_7F4A_7C15L * (index + 1);
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /**
     * One generated case and how it was built.
     *
     * @param isaCase the case
     * @param steps   each emitted instruction (catalogue rows, definers and preludes)
     */
    public record GeneratedCase(IsaCase isaCase, List<Step> steps) {
    }

    /**
     * One emitted instruction.
     *
     * @param offset          offset in the code
     * @param text            Intel-syntax rendering
     * @param template        catalogue row name, or {@code "prelude"}
     * @param reads           flags it reads
     * @param undefinedBefore flags undefined on reaching it (on every path)
     */
    public record Step(int offset, String text, String template, long reads, long undefinedBefore) {
    }
}
