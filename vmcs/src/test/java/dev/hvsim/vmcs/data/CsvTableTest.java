package dev.hvsim.vmcs.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CsvTableTest {

    @Test
    void readsQuotedFieldsCommentsAndCrlf() {
        CsvTable t = CsvTable.parse("t.csv", "# provenance\r\na,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n2,,z\n");
        assertThat(t.columns()).containsExactly("a", "b", "c");
        assertThat(t.rows()).hasSize(2);
        assertThat(t.rows().get(0).get("b")).isEqualTo("x, \"y\"");
        assertThat(t.rows().get(0).get("c")).isEqualTo("two\nlines");
        assertThat(t.rows().get(1).get("b")).isEmpty();
        assertThat(t.rows().get(1).line()).isEqualTo(5);
    }

    @Test
    void rejectsRaggedRowsAndUnknownColumns() {
        assertThatThrownBy(() -> CsvTable.parse("t.csv", "a,b\n1\n")).hasMessageContaining("t.csv:2");
        CsvTable t = CsvTable.parse("t.csv", "a\n1\n");
        assertThatThrownBy(() -> t.rows().get(0).get("nope"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> CsvTable.parse("t.csv", "a\n\"open\n")).hasMessageContaining("unterminated");
    }

    @Test
    void numbersAndBitRanges() {
        assertThat(CsvTable.number("0x4002")).isEqualTo(0x4002);
        assertThat(CsvTable.number("0xFFFFFFFFFFFFFFFC")).isEqualTo(-4L);
        assertThat(CsvTable.number("17")).isEqualTo(17);
        assertThatThrownBy(() -> CsvTable.number("x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(BitRange.parse("30:0").mask()).isEqualTo(0x7fffffffL);
        assertThat(BitRange.parse("9-63")).isEqualTo(new BitRange(63, 9));
        assertThat(BitRange.parse("63:0").mask()).isEqualTo(-1L);
        assertThat(BitRange.parse("53:50").extract(6L << 50)).isEqualTo(6);
        assertThat(BitRange.parse("9:1").insert(0, 25)).isEqualTo(50);
    }
}
