package dev.hvsim.conformance.campaign;

import dev.hvsim.svm.VmrunRule;
import dev.hvsim.svm.VmrunRules;
import dev.hvsim.vmcs.data.CsvTable;
import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How often each rule was violated (alone, by a single-rule mutant) in a campaign, against the full reference
 * tables: every row of vmentry-checks.csv and every VMRUN row of svm-misc.csv is listed, the rows that are not
 * rules with the reason. {@link #neverViolated()} is what the suite fails on.
 */
public final class RuleCoverage {
    /** vmentry-checks.csv rows checked by the instruction itself (SDM Vol. 3C 28.1), not by EntryChecks. */
    public static final Set<String> VMX_INSTRUCTION_LEVEL = Set.of("BASIC-UD", "BASIC-NONROOT", "BASIC-CPL",
            "BASIC-NOVMCS", "BASIC-MOVSS", "BASIC-LAUNCH-STATE", "BASIC-RESUME-STATE");
    /** svm-misc.csv VMRUN rows that are the instruction's #UD/#GP checks (APM Vol. 3 VMRUN). */
    public static final Set<String> SVM_INSTRUCTION_LEVEL = Set.of("SVM-VMRUN-UD", "SVM-VMRUN-CPL", "SVM-VMRUN-RAX");

    /** svm-misc.csv VMRUN rows of features amd-zen does not advertise (vNMI, AVIC, x2AVIC). */
    public static final Set<String> SVM_UNADVERTISED = Set.of("SVM-VMRUN-VNMI-NOINTERCEPT", "SVM-VMRUN-X2AVIC-NOAVIC",
            "SVM-VMRUN-AVIC-MAXINDEX", "SVM-VMRUN-AVIC-PTR");

    /** One row of the table. */
    public record Row(String vendor, String id, String section, String group, long count, String status) {}

    private final Map<String, Long> vmx = new TreeMap<>(), svm = new TreeMap<>();

    public synchronized void violatedVmx(String id) {
        vmx.merge(id, 1L, Long::sum);
    }

    public synchronized void violatedSvm(String id) {
        svm.merge(id, 1L, Long::sum);
    }

    public synchronized void addAll(RuleCoverage o) {
        o.vmx.forEach((k, v) -> vmx.merge(k, v, Long::sum));
        o.svm.forEach((k, v) -> svm.merge(k, v, Long::sum));
    }

    public synchronized long vmxCount(String id) {
        return vmx.getOrDefault(id, 0L);
    }

    public synchronized long svmCount(String id) {
        return svm.getOrDefault(id, 0L);
    }

    /** Every row: implemented rules with their counts, then the reference rows that are not rules. */
    public synchronized List<Row> rows(boolean intel, boolean amd) {
        List<Row> out = new ArrayList<>();
        if (intel) {
            Map<String, EntryRule> rules = new LinkedHashMap<>();
            EntryChecks.rules().forEach(r -> rules.put(r.id(), r));
            for (CsvTable.Row row : CsvTable.resource("/dev/hvsim/vmx/reference/vmentry-checks.csv").rows()) {
                String id = row.get("id");
                EntryRule r = rules.remove(id);
                if (r != null) {
                    long n = vmx.getOrDefault(id, 0L);
                    out.add(new Row("intel", id, r.section(), r.kind().name(), n, n > 0 ? "violated" : "NEVER VIOLATED"));
                } else {
                    out.add(new Row("intel", id, row.get("sdm_section_current"), row.get("group"), 0,
                            VMX_INSTRUCTION_LEVEL.contains(id) ? "instruction-level: VMLAUNCH/VMRESUME's own check (28.1)"
                                    : "not implemented as a rule (vmx-model DEVIATIONS.md / EntryRulesReferenceTest)"));
                }
            }
            rules.values().forEach(r -> out.add(new Row("intel", r.id(), r.section(), r.kind().name(),
                    vmx.getOrDefault(r.id(), 0L), "rule without a reference row")));
        }
        if (amd) {
            Map<String, VmrunRule> rules = new LinkedHashMap<>();
            VmrunRules.ALL.forEach(r -> rules.put(r.id(), r));
            for (CsvTable.Row row : CsvTable.resource("/dev/hvsim/svm/reference/svm-misc.csv").rows()) {
                String id = row.get("id");
                if (!id.startsWith("SVM-VMRUN-")) {
                    continue;
                }
                VmrunRule r = rules.remove(id);
                if (r != null) {
                    long n = svm.getOrDefault(id, 0L);
                    out.add(new Row("amd", id, r.section(), "VMRUN", n, n > 0 ? "violated" : "NEVER VIOLATED"));
                } else if (SVM_INSTRUCTION_LEVEL.contains(id)) {
                    // counted by the SVM protocol property (SvmProtocol), which executes VMRUN into them
                    long n = svm.getOrDefault(id, 0L);
                    out.add(new Row("amd", id, "", row.get("category"), n, n > 0
                            ? "instruction-level: VMRUN's #UD/#GP checks, provoked by svm-protocol"
                            : "instruction-level: VMRUN's #UD/#GP checks"));
                } else {
                    out.add(new Row("amd", id, "", row.get("category"), 0, SVM_INSTRUCTION_LEVEL.contains(id)
                            ? "instruction-level: VMRUN's #UD/#GP checks"
                            : SVM_UNADVERTISED.contains(id)
                                    ? "not implemented: the feature is not advertised (svm-model DEVIATIONS.md)"
                                    : "not a rule in svm-model (see the row's note in svm-misc.csv)"));
                }
            }
            rules.values().forEach(r -> out.add(new Row("amd", r.id(), r.section(), "VMRUN",
                    svm.getOrDefault(r.id(), 0L), "rule without a reference row")));
        }
        return out;
    }

    /** Implemented rules (or rules without a reference row) never violated. */
    public List<Row> neverViolated(boolean intel, boolean amd) {
        return rows(intel, amd).stream().filter(r -> r.status().equals("NEVER VIOLATED")
                || (r.status().equals("rule without a reference row") && r.count() == 0)).toList();
    }

    /** The table as text. */
    public String table(boolean intel, boolean amd) {
        StringBuilder b = new StringBuilder(String.format("%-6s %-28s %-10s %-10s %8s  %s%n", "vendor", "rule", "section",
                "group", "violated", "status"));
        for (Row r : rows(intel, amd)) {
            b.append(String.format("%-6s %-28s %-10s %-10s %8d  %s%n", r.vendor(), r.id(), r.section(),
                    r.group().length() > 10 ? r.group().substring(0, 10) : r.group(), r.count(), r.status()));
        }
        return b.toString();
    }
}
