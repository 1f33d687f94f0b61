package dev.hvsim.vmm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Aligns an Intel and an AMD exit sequence of the same guest and classifies each difference (issue 7 item 4).
 *
 * <p>Alignment: a shortest edit script (Myers' O(ND) diff, as {@code diff} computes it) over the records'
 * {@link ExitRecord#key() keys} (vCPU, kind and identifying fields such as port and direction, CPUID leaf, MSR,
 * guest-physical page, vector). Aligned records form one row; their details are then compared: exit information
 * ({@link Difference#EXIT_INFO}), guest-visible results ({@link Difference#GUEST_RESULT}) and the modelled cycles
 * since the previous exit ({@link Difference#CYCLES}). Records with no partner are {@link Difference#ONLY_INTEL} /
 * {@link Difference#ONLY_AMD}; within a run of such rows they are merged by modelled cycle. The diff breaks ties
 * the same way every time, so the
 * result is a pure function of the two sequences.
 *
 * <p>The diff keeps one array per edit step: beyond {@link #MAX_EDITS} edits (two sequences that share almost
 * nothing) the rest is aligned position by position instead, and {@link #truncated()} says so.
 */
public final class ExitComparison {
    /** Edits the diff explores before it falls back to aligning the rest by position. */
    public static final int MAX_EDITS = 4000;

    /** One aligned row: an Intel record, an AMD record, or both, and how they differ. */
    public static final class Row {
        private final ExitRecord intel;
        private final ExitRecord amd;
        private final Set<Difference> differences;
        private final List<String> notes;

        Row(ExitRecord intel, ExitRecord amd, Set<Difference> differences, List<String> notes) {
            this.intel = intel;
            this.amd = amd;
            this.differences = Collections.unmodifiableSet(differences);
            this.notes = List.copyOf(notes);
        }

        /** The Intel record, or null when only AMD took this exit. */
        public ExitRecord intel() { return intel; }
        public ExitRecord amd() { return amd; }
        public Set<Difference> differences() { return differences; }
        /** One line per differing field: "rip: 0x100010 vs 0x100018". */
        public List<String> notes() { return notes; }
        public boolean same() { return differences.isEmpty(); }
    }

    private final List<Row> rows;
    private final Map<Difference, Integer> counts;
    private final boolean truncated;

    private ExitComparison(List<Row> rows, boolean truncated) {
        this.rows = List.copyOf(rows);
        this.truncated = truncated;
        Map<Difference, Integer> c = new EnumMap<>(Difference.class);
        for (Difference d : Difference.values()) {
            c.put(d, 0);
        }
        for (Row r : rows) {
            for (Difference d : r.differences) {
                c.merge(d, 1, Integer::sum);
            }
        }
        this.counts = Collections.unmodifiableMap(c);
    }

    public List<Row> rows() { return rows; }
    /** Rows per category (a row with several differences counts in each). Every category is present. */
    public Map<Difference, Integer> counts() { return counts; }
    /** Rows with at least one difference. */
    public long differingRows() { return rows.stream().filter(r -> !r.same()).count(); }
    /** True when the sequences differed in more than {@link #MAX_EDITS} edits and the tail was aligned by position. */
    public boolean truncated() { return truncated; }

    /** Aligns {@code intel} with {@code amd} (each in the order the exits happened). */
    public static ExitComparison of(List<ExitRecord> intel, List<ExitRecord> amd) {
        List<Row> rows = new ArrayList<>();
        int n = intel.size(), m = amd.size();
        int head = 0;
        while (head < n && head < m && intel.get(head).key().equals(amd.get(head).key())) {
            head++;
        }
        int tail = 0;
        while (tail < n - head && tail < m - head
                && intel.get(n - 1 - tail).key().equals(amd.get(m - 1 - tail).key())) {
            tail++;
        }
        for (int i = 0; i < head; i++) {
            rows.add(pair(intel.get(i), amd.get(i)));
        }
        boolean truncated = diff(intel.subList(head, n - tail), amd.subList(head, m - tail), rows);
        for (int i = 0; i < tail; i++) {
            rows.add(pair(intel.get(n - tail + i), amd.get(m - tail + i)));
        }
        return new ExitComparison(interleave(rows), truncated);
    }

    /**
     * Within each run of one-sided rows, Intel-only and AMD-only records are merged by modelled cycle (Intel first
     * on a tie), keeping each vendor's order: the rows read in the order the exits happened.
     */
    private static List<Row> interleave(List<Row> rows) {
        List<Row> out = new ArrayList<>(rows.size());
        int i = 0;
        while (i < rows.size()) {
            if (rows.get(i).intel() != null && rows.get(i).amd() != null) {
                out.add(rows.get(i++));
                continue;
            }
            List<Row> in = new ArrayList<>(), am = new ArrayList<>();
            while (i < rows.size() && (rows.get(i).intel() == null || rows.get(i).amd() == null)) {
                (rows.get(i).intel() != null ? in : am).add(rows.get(i));
                i++;
            }
            int a = 0, b = 0;
            while (a < in.size() || b < am.size()) {
                if (b >= am.size() || a < in.size() && in.get(a).intel().cycle() <= am.get(b).amd().cycle()) {
                    out.add(in.get(a++));
                } else {
                    out.add(am.get(b++));
                }
            }
        }
        return out;
    }

    /** Myers' greedy diff with a trace of the furthest-reaching paths; appends the rows; true if it gave up. */
    private static boolean diff(List<ExitRecord> a, List<ExitRecord> b, List<Row> out) {
        int n = a.size(), m = b.size();
        if (n == 0 || m == 0) {
            emitRest(a, b, 0, 0, out);
            return false;
        }
        String[] ka = keys(a), kb = keys(b);
        int max = Math.min(n + m, MAX_EDITS);
        int off = max + 1;
        List<int[]> trace = new ArrayList<>();
        int[] v = new int[2 * max + 3];
        int found = -1;
        for (int d = 0; d <= max && found < 0; d++) {
            for (int k = -d; k <= d; k += 2) {
                int x = k == -d || k != d && v[off + k - 1] < v[off + k + 1] ? v[off + k + 1] : v[off + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && ka[x].equals(kb[y])) {
                    x++;
                    y++;
                }
                v[off + k] = x;
                if (x >= n && y >= m) {
                    found = d;
                    break;
                }
            }
            trace.add(v.clone());
        }
        if (found < 0) {
            emitRest(a, b, 0, 0, out); // too different: by position
            return true;
        }
        // walk back from (n, m) to collect the script, then emit it forwards
        List<int[]> steps = new ArrayList<>(); // {x, y, kind} kind 0 = match, 1 = intel only, 2 = amd only
        int x = n, y = m;
        for (int d = found; d > 0; d--) {
            int[] pv = trace.get(d - 1);
            int k = x - y;
            int prevK = k == -d || k != d && pv[off + k - 1] < pv[off + k + 1] ? k + 1 : k - 1;
            int px = pv[off + prevK], py = px - prevK;
            while (x > px && y > py) {
                steps.add(new int[] {x - 1, y - 1, 0});
                x--;
                y--;
            }
            if (prevK == k + 1) {
                steps.add(new int[] {x, y - 1, 2}); // came down: an AMD-only record
            } else {
                steps.add(new int[] {x - 1, y, 1}); // came right: an Intel-only record
            }
            x = px;
            y = py;
        }
        while (x > 0 && y > 0) {
            steps.add(new int[] {x - 1, y - 1, 0});
            x--;
            y--;
        }
        for (int i = steps.size() - 1; i >= 0; i--) {
            int[] s = steps.get(i);
            if (s[2] == 0) {
                out.add(pair(a.get(s[0]), b.get(s[1])));
            } else if (s[2] == 1) {
                out.add(only(a.get(s[0]), null));
            } else {
                out.add(only(null, b.get(s[1])));
            }
        }
        return false;
    }

    private static String[] keys(List<ExitRecord> l) {
        String[] k = new String[l.size()];
        for (int i = 0; i < k.length; i++) {
            k[i] = l.get(i).key();
        }
        return k;
    }

    /** Pairs what is left position by position (same key: compared; else two one-sided rows). */
    private static void emitRest(List<ExitRecord> a, List<ExitRecord> b, int i, int j, List<Row> out) {
        while (i < a.size() || j < b.size()) {
            ExitRecord x = i < a.size() ? a.get(i) : null, y = j < b.size() ? b.get(j) : null;
            if (x != null && y != null && x.key().equals(y.key())) {
                out.add(pair(x, y));
                i++;
                j++;
            } else {
                if (x != null) {
                    out.add(only(x, null));
                    i++;
                }
                if (y != null) {
                    out.add(only(null, y));
                    j++;
                }
            }
        }
    }

    private static Row only(ExitRecord intel, ExitRecord amd) {
        return new Row(intel, amd, EnumSet.of(intel != null ? Difference.ONLY_INTEL : Difference.ONLY_AMD), List.of());
    }

    /** Two aligned records: which details differ. */
    static Row pair(ExitRecord i, ExitRecord a) {
        Set<Difference> d = EnumSet.noneOf(Difference.class);
        List<String> notes = new ArrayList<>();
        if (fields(i.info(), a.info(), notes)) {
            d.add(Difference.EXIT_INFO);
        }
        if (fields(i.results(), a.results(), notes)) {
            d.add(Difference.GUEST_RESULT);
        }
        if (i.cost() != a.cost()) {
            d.add(Difference.CYCLES);
            notes.add("cycles since previous exit: " + i.cost() + " vs " + a.cost());
        }
        return new Row(i, a, d, notes);
    }

    private static boolean fields(Map<String, String> x, Map<String, String> y, List<String> notes) {
        Set<String> names = new LinkedHashSet<>(x.keySet());
        names.addAll(y.keySet());
        boolean differ = false;
        for (String k : names) {
            String u = x.getOrDefault(k, "-"), w = y.getOrDefault(k, "-");
            if (!u.equals(w)) {
                notes.add(k + ": " + u + " vs " + w);
                differ = true;
            }
        }
        return differ;
    }
}
