package dev.hvsim.vmcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.vmcs.data.CsvTable;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The catalogue against the copied reference table (SDM Vol. 3C 25.11.2 and Appendix B). */
class VmcsFieldsTest {

    private final VmcsFields cat = VmcsFields.get();

    @Test
    void holdsEveryRowOfTheReferenceTable() {
        // shared/reference/README.md: 285 rows, 64-bit fields with separate full and high rows
        assertThat(CsvTable.resource(VmcsFields.RESOURCE).rows()).hasSize(285);
        assertThat(cat.size()).isEqualTo(285);
        assertThat(cat.fullFields()).hasSize(207);
        assertThat(cat.all().stream().filter(VmcsField::high).count()).isEqualTo(78);
        assertThat(cat.all().stream().map(VmcsField::name).collect(Collectors.toSet())).hasSize(285);
    }

    @Test
    void everyEncodingAgreesWithItsDeclaredWidthTypeAccessAndIndex() {
        for (CsvTable.Row r : CsvTable.resource(VmcsFields.RESOURCE).rows()) {
            VmcsField f = cat.byName(r.get("symbol"));
            VmcsEncoding e = f.encoding();
            assertThat(e.width().csvName()).as(r.where()).isEqualTo(r.get("width"));
            assertThat(e.type().csvName()).as(r.where()).isEqualTo(r.get("type"));
            assertThat(e.access().csvName()).as(r.where()).isEqualTo(r.get("access"));
            assertThat(e.index()).as(r.where()).isEqualTo(Integer.parseInt(r.get("index")));
            assertThat(e.wellFormed()).as(r.where()).isTrue();
            assertThat(f.width()).isEqualTo(e.width());
            assertThat(f.type()).isEqualTo(e.type());
            assertThat(f.access()).isEqualTo(e.access());
        }
    }

    @Test
    void appendixBGroupMatchesWidthAndType() {
        for (VmcsField f : cat.all()) {
            String w = f.width() == FieldWidth.NATURAL ? "Natural-Width" : f.width().csvName() + "-Bit";
            assertThat(f.appendixBGroup()).as(f.name()).contains(w);
        }
    }

    @Test
    void everyHighRowPairsWithItsFullRow() {
        for (VmcsField f : cat.all()) {
            if (f.high()) {
                VmcsField full = cat.byEncoding(f.encodingValue() & ~1);
                assertThat(full.width()).isEqualTo(FieldWidth.W64);
                assertThat(f.name()).isEqualTo(full.name() + "_HIGH");
                assertThat(f.existsOnlyIf()).isEqualTo(full.existsOnlyIf());
            } else if (f.width() == FieldWidth.W64) {
                assertThat(cat.find(f.encodingValue() | 1)).as(f.name()).isPresent();
            }
        }
    }

    @Test
    void lookupByNameAndByEncoding() {
        VmcsField rip = cat.byName("GUEST_RIP");
        assertThat(rip.encodingValue()).isEqualTo(0x681E);
        assertThat(rip.width()).isEqualTo(FieldWidth.NATURAL);
        assertThat(rip.type()).isEqualTo(FieldType.GUEST_STATE);
        assertThat(cat.byEncoding(0x4002).name()).isEqualTo("CPU_BASED_VM_EXEC_CONTROL");
        assertThat(cat.byEncoding(0x2001).name()).isEqualTo("IO_BITMAP_A_HIGH");
        assertThat(cat.lookup("0x681e")).isSameAs(rip);
        assertThat(cat.lookup("GUEST_RIP")).isSameAs(rip);
        assertThat(cat.byName("VM_EXIT_REASON").readOnly()).isTrue();
        assertThat(cat.byName("VM_EXIT_CONTROLS").readOnly()).isFalse();
        for (VmcsField f : cat.all()) {
            assertThat(cat.byName(f.name())).isSameAs(f);
            assertThat(cat.byEncoding(f.encodingValue())).isSameAs(f);
        }
    }

    @Test
    void unknownNamesAndEncodingsAreClearErrors() {
        assertThatThrownBy(() -> cat.byName("GUEST_RIPP")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown VMCS field 'GUEST_RIPP'");
        assertThatThrownBy(() -> cat.byName("guest_rip")).hasMessageContaining("'guest_rip'")
                .hasMessageContaining("did you mean GUEST_RIP");
        assertThatThrownBy(() -> cat.byEncoding(0x482C)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x0000482c").hasMessageContaining("index 22");
        assertThatThrownBy(() -> cat.byEncoding(0x681F)).hasMessageContaining("high access of a natural");
        assertThatThrownBy(() -> cat.byEncoding(0x10000)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> cat.lookup("0xzz")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> cat.lookup("0x100000000")).hasMessageContaining("32 bits");
    }

    @Test
    void valueMasksFollowTheWidth() {
        assertThat(cat.byName("GUEST_CS_SELECTOR").valueMask()).isEqualTo(0xffffL);
        assertThat(cat.byName("GUEST_CS_LIMIT").valueMask()).isEqualTo(0xffffffffL);
        assertThat(cat.byName("TSC_OFFSET").valueMask()).isEqualTo(-1L);
        assertThat(cat.byName("TSC_OFFSET_HIGH").valueMask()).isEqualTo(0xffffffffL);
        assertThat(cat.byName("GUEST_RSP").valueMask()).isEqualTo(-1L);
    }

    @Test
    void singleSourceRowsAreFlagged() {
        Set<String> unverified = cat.all().stream().filter(VmcsField::unverified).map(VmcsField::name)
                .collect(Collectors.toSet());
        assertThat(unverified).contains("VIRTUAL_TIMER_VECTOR", "GUEST_DEADLINE_SHADOW", "GUEST_DEADLINE",
                "GUEST_IA32_SPEC_CTRL", "HOST_IA32_SPEC_CTRL", "RSVD_32_BIT_GUEST_STATE").hasSize(10);
        List<String> disagreements = cat.all().stream().filter(f -> !f.disagreement().isEmpty())
                .map(VmcsField::name).toList();
        assertThat(disagreements).containsExactlyInAnyOrder("MSR_DATA", "MSR_DATA_HIGH",
                "INSTRUCTION_TIMEOUT_CONTROL", "GUEST_HKID");
    }
}
