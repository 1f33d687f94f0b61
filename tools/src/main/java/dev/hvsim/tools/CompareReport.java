package dev.hvsim.tools;

import dev.hvsim.vmm.Difference;
import dev.hvsim.vmm.ExitComparison;
import dev.hvsim.vmm.ExitKind;
import dev.hvsim.vmm.ExitRecord;
import dev.hvsim.vmm.InterceptPolicy;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The output of {@code hvsim compare}: text (two aligned columns with a marker per row, the differing fields under
 * each differing row, a summary of differences by category) and a self-contained HTML page (inline CSS and script,
 * no network: an exit timeline per vendor by modelled cycle, the aligned table). Everything in it comes from the
 * deterministic runs, so the same guest gives the same bytes.
 */
final class CompareReport {
    /** Width of one vendor's column in the text output. */
    static final int COLUMN = 48;

    private CompareReport() {}

    /** The row marker: '=' same, '!' same exit with differences, '<' only Intel, '>' only AMD. */
    static char marker(ExitComparison.Row r) {
        if (r.intel() == null) {
            return '>';
        }
        if (r.amd() == null) {
            return '<';
        }
        return r.same() ? '=' : '!';
    }

    static String cell(ExitRecord r) {
        if (r == null) {
            return "";
        }
        String s = "#" + r.seq() + (r.vcpu() == 0 ? "" : " cpu" + r.vcpu()) + " @" + r.cycle() + " " + r.summary();
        return s.length() > COLUMN ? s.substring(0, COLUMN - 1) + "~" : s;
    }

    private static String pad(String s) {
        StringBuilder b = new StringBuilder(s);
        while (b.length() < COLUMN) {
            b.append(' ');
        }
        return b.toString();
    }

    static void text(PrintStream out, String guest, InterceptPolicy policy, CompareCommand.VendorRun intel,
            CompareCommand.VendorRun amd, ExitComparison c) {
        out.println("hvsim compare: " + guest + " under the Java VMM, intercept policy " + policyText(policy));
        out.println(runLine(intel));
        out.println(runLine(amd));
        out.println("guest output: " + (intel.output().equals(amd.output())
                ? "identical (" + intel.output().length() + " bytes)"
                : "differs (intel " + intel.output().length() + " bytes, amd " + amd.output().length() + " bytes)"));
        out.println();
        out.println("  row m " + pad("intel (vmx)") + " | amd (svm)");
        int n = 0;
        for (ExitComparison.Row r : c.rows()) {
            n++;
            out.printf("%5d %c %s | %s%n", n, marker(r), pad(cell(r.intel())), cell(r.amd()));
            if (r.intel() != null && r.amd() != null && !r.same()) {
                out.println("          " + r.intel().rawName() + " vs " + r.amd().rawName() + ": " + ids(r));
                for (String note : r.notes()) {
                    out.println("            " + note);
                }
            }
        }
        out.println();
        out.println(summary(c));
    }

    private static String ids(ExitComparison.Row r) {
        StringBuilder b = new StringBuilder();
        for (Difference d : r.differences()) {
            b.append(b.length() == 0 ? "" : ", ").append(d.id());
        }
        return b.toString();
    }

    static String runLine(CompareCommand.VendorRun v) {
        return v.virt().name().toLowerCase() + " on " + v.profile().name() + ": " + v.exits().size() + " exits, "
                + v.outcome() + (v.failure() == null ? "" : "; vmm: " + v.failure());
    }

    static String policyText(InterceptPolicy p) {
        return "io=" + p.io() + " msr=" + p.msr() + " hlt=" + p.hlt() + " mmio=" + p.mmio();
    }

    /** "summary: 58 rows, 4 with differences: only-intel 0, only-amd 0, exit-info 1, guest-result 2, cycles 2". */
    static String summary(ExitComparison c) {
        StringBuilder b = new StringBuilder("summary: " + c.rows().size() + " rows, " + c.differingRows()
                + " with differences:");
        String sep = " ";
        for (Map.Entry<Difference, Integer> e : c.counts().entrySet()) {
            b.append(sep).append(e.getKey().id()).append(' ').append(e.getValue());
            sep = ", ";
        }
        if (c.truncated()) {
            b.append(" (more than ").append(ExitComparison.MAX_EDITS).append(" edits: the rest aligned by position)");
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ HTML

    /** Escapes text for HTML element content and quoted attribute values. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&': b.append("&amp;"); break;
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '"': b.append("&quot;"); break;
                case '\'': b.append("&#39;"); break;
                default:
                    if (ch < 0x20 && ch != '\n' && ch != '\t' || ch == 0x7f) {
                        b.append("&#").append((int) ch).append(';');
                    } else {
                        b.append(ch);
                    }
            }
        }
        return b.toString();
    }

    private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
        "#9c755f", "#bab0ac", "#ff9da7", "#e15759"};

    private static String color(ExitKind k) {
        return PALETTE[k.ordinal() % PALETTE.length];
    }

    private static final String CSS = "body{font:14px sans-serif;margin:1.5em;color:#222}"
            + "table{border-collapse:collapse;font:12px monospace}td,th{border:1px solid #ccc;padding:2px 6px;"
            + "vertical-align:top;text-align:left}tr.same td{color:#777}tr.diff td{background:#fff4d6}"
            + "tr.only-intel td.intel,tr.only-amd td.amd{background:#ffd6d6}.notes{color:#a00}"
            + "svg{border:1px solid #ccc;background:#fafafa}.legend span{display:inline-block;margin-right:1em}"
            + ".legend i{display:inline-block;width:10px;height:10px;margin-right:3px}pre{background:#f4f4f4;"
            + "padding:.5em;max-height:12em;overflow:auto}";

    private static final String SCRIPT = "document.getElementById('onlydiff').addEventListener('change',function(e){"
            + "var rows=document.querySelectorAll('tr.same');for(var i=0;i<rows.length;i++){"
            + "rows[i].style.display=e.target.checked?'none':'';}});";

    static String html(String guest, InterceptPolicy policy, CompareCommand.VendorRun intel,
            CompareCommand.VendorRun amd, ExitComparison c) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>hvsim compare: ")
                .append(esc(guest)).append("</title>\n<style>").append(CSS).append("</style></head><body>\n");
        h.append("<h1>hvsim compare: ").append(esc(guest)).append("</h1>\n");
        h.append("<p>Intercept policy ").append(esc(policyText(policy))).append("</p>\n<ul>\n<li>")
                .append(esc(runLine(intel))).append("</li>\n<li>").append(esc(runLine(amd))).append("</li>\n</ul>\n");
        h.append("<p><b>").append(esc(summary(c))).append("</b></p>\n");
        long maxCycle = 1;
        for (ExitComparison.Row r : c.rows()) {
            maxCycle = Math.max(maxCycle, Math.max(r.intel() == null ? 0 : r.intel().cycle(),
                    r.amd() == null ? 0 : r.amd().cycle()));
        }
        h.append("<h2>Timeline (modelled cycles, 0 to ").append(maxCycle).append(")</h2>\n");
        timeline(h, "intel (vmx)", c.rows(), true, maxCycle);
        timeline(h, "amd (svm)", c.rows(), false, maxCycle);
        legend(h, c.rows());
        h.append("<h2>Aligned exits</h2>\n<p><label><input type=\"checkbox\" id=\"onlydiff\"> show only rows with")
                .append(" differences</label> &mdash; = same, ! same exit with differences, &lt; only Intel, &gt; only")
                .append(" AMD</p>\n<table>\n<tr><th>row</th><th></th><th>intel (vmx)</th><th>amd (svm)</th>")
                .append("<th>differences</th></tr>\n");
        int n = 0;
        for (ExitComparison.Row r : c.rows()) {
            n++;
            String cls = r.intel() == null ? "only-amd" : r.amd() == null ? "only-intel" : r.same() ? "same" : "diff";
            h.append("<tr class=\"").append(cls).append("\" id=\"r").append(n).append("\"><td>").append(n)
                    .append("</td><td>").append(esc(String.valueOf(marker(r)))).append("</td><td class=\"intel\">");
            cellHtml(h, r.intel());
            h.append("</td><td class=\"amd\">");
            cellHtml(h, r.amd());
            h.append("</td><td class=\"notes\">");
            if (!r.same()) {
                h.append(esc(ids(r)));
                for (String note : r.notes()) {
                    h.append("<br>").append(esc(note));
                }
            }
            h.append("</td></tr>\n");
        }
        h.append("</table>\n");
        output(h, "intel", intel.output());
        output(h, "amd", amd.output());
        h.append("<script>").append(SCRIPT).append("</script>\n</body></html>\n");
        return h.toString();
    }

    private static void timeline(StringBuilder h, String title, List<ExitComparison.Row> rows, boolean intel,
            long maxCycle) {
        h.append("<h3>").append(esc(title)).append("</h3>\n<svg width=\"1000\"")
                .append(" height=\"40\" viewBox=\"0 0 1000 40\">\n");
        int n = 0;
        for (ExitComparison.Row r : rows) {
            n++;
            ExitRecord e = intel ? r.intel() : r.amd();
            if (e == null) {
                continue;
            }
            long x = e.cycle() * 996 / maxCycle + 2;
            h.append("<a href=\"#r").append(n).append("\"><rect x=\"").append(x).append("\" y=\"")
                    .append(r.same() ? 10 : 2).append("\" width=\"2\" height=\"").append(r.same() ? 20 : 36)
                    .append("\" fill=\"").append(r.same() ? color(e.kind()) : "#d62728").append("\"><title>")
                    .append(esc("#" + e.seq() + " @" + e.cycle() + " " + e.rawName() + " " + e.summary()))
                    .append("</title></rect></a>\n");
        }
        h.append("</svg>\n");
    }

    private static void legend(StringBuilder h, List<ExitComparison.Row> rows) {
        java.util.Set<ExitKind> kinds = java.util.EnumSet.noneOf(ExitKind.class);
        for (ExitComparison.Row r : rows) {
            if (r.intel() != null) {
                kinds.add(r.intel().kind());
            }
            if (r.amd() != null) {
                kinds.add(r.amd().kind());
            }
        }
        h.append("<p class=\"legend\">");
        for (ExitKind k : kinds) {
            h.append("<span><i style=\"background:").append(color(k)).append("\"></i>").append(esc(k.traceName()))
                    .append("</span>");
        }
        h.append("<span><i style=\"background:#d62728\"></i>differs (tall)</span></p>\n");
    }

    private static void cellHtml(StringBuilder h, ExitRecord r) {
        if (r == null) {
            return;
        }
        h.append(esc(cell(r))).append("<br>").append(esc(r.rawName()));
        StringBuilder raw = new StringBuilder();
        for (Map.Entry<String, String> e : r.raw().entrySet()) {
            raw.append(raw.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
        }
        h.append("<br><small>").append(esc(raw.toString())).append("</small>");
    }

    private static void output(StringBuilder h, String vendor, String text) {
        h.append("<h3>Guest output (").append(vendor).append(")</h3>\n<pre>").append(esc(text)).append("</pre>\n");
    }
}
