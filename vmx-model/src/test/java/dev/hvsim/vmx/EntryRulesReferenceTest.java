package dev.hvsim.vmx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.data.CsvTable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every rule names a row of reference/vmentry-checks.csv with the same SDM section; the rows not implemented are
 * listed here (and in DEVIATIONS.md), so adding a rule means removing it from {@link #NOT_IMPLEMENTED}.
 */
class EntryRulesReferenceTest {

    /** Rows implemented elsewhere than as an EntryRule (the 28.1 basic checks in VmxInstructions). */
    static final Set<String> INSTRUCTION_LEVEL = Set.of("BASIC-UD", "BASIC-NONROOT", "BASIC-CPL", "BASIC-NOVMCS",
            "BASIC-MOVSS", "BASIC-LAUNCH-STATE", "BASIC-RESUME-STATE");

    static final Set<String> NOT_IMPLEMENTED = Set.of("BASIC-EXEC-VMCS",
            "CTRL-APIC-ACCESS-ADDR", "CTRL-PI-VECTOR", "CTRL-PI-DESC",
            "CTRL-PML-ADDR", "CTRL-SPP-EPT",
            "CTRL-VE-INFO-ADDR",
            "CTRL-EXIT2-RESERVED", "HOST-PERF-GLOBAL-CTRL", "HOST-CET", "HOST-PKRS", "HOST-FRED",
            "GUEST-PERF-GLOBAL-CTRL", "GUEST-BNDCFGS", "GUEST-CET", "GUEST-PKRS", "GUEST-FRED", "GUEST-RTIT-LBR",
            "GUEST-INTR-ENCLAVE", "GUEST-UINV", "MSR-COUNT-LIMIT",
            "MCE-DURING-ENTRY");

    @Test
    void everyRuleIsARowWithItsSection() {
        CsvTable t = CsvTable.resource("/dev/hvsim/vmx/reference/vmentry-checks.csv");
        Map<String, String> sections = new HashMap<>();
        for (CsvTable.Row row : t.rows()) {
            sections.put(row.get("id"), row.get("sdm_section_current"));
        }
        assertThat(sections).hasSize(142);
        Set<String> ids = new HashSet<>();
        for (EntryRule r : EntryChecks.rules()) {
            assertThat(ids.add(r.id())).as("duplicate %s", r.id()).isTrue();
            assertThat(sections).as(r.id()).containsKey(r.id());
            assertThat(r.section()).as(r.id()).isEqualTo(sections.get(r.id()));
            assertThat(r.hint()).as(r.id()).endsWith(".");
        }
        Set<String> covered = new HashSet<>(ids);
        covered.addAll(INSTRUCTION_LEVEL);
        covered.addAll(NOT_IMPLEMENTED);
        assertThat(covered).containsExactlyInAnyOrderElementsOf(sections.keySet());
        assertThat(ids).doesNotContainAnyElementsOf(NOT_IMPLEMENTED);
        assertThat(List.copyOf(ids)).hasSize(sections.size() - INSTRUCTION_LEVEL.size() - NOT_IMPLEMENTED.size());
    }
}
