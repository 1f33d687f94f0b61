package dev.hvsim.vmcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** SDM Vol. 3C 25.11.2, Table 25-21: the bit fields of a VMCS component encoding. */
class VmcsEncodingTest {

    @Test
    void composeAndDecomposeRoundTripForEveryFieldCombination() {
        for (AccessType a : AccessType.values()) {
            for (FieldType t : FieldType.values()) {
                for (FieldWidth w : FieldWidth.values()) {
                    for (int index = 0; index <= 0x1ff; index++) {
                        VmcsEncoding e = VmcsEncoding.of(a, index, t, w);
                        assertThat(e.access()).isEqualTo(a);
                        assertThat(e.type()).isEqualTo(t);
                        assertThat(e.width()).isEqualTo(w);
                        assertThat(e.index()).isEqualTo(index);
                        assertThat(e.reservedBitsSet()).isFalse();
                        assertThat(e.wellFormed()).isEqualTo(a == AccessType.FULL || w == FieldWidth.W64);
                        assertThat(new VmcsEncoding(e.value())).isEqualTo(e);
                    }
                }
            }
        }
    }

    @Test
    void knownEncodingsDecode() {
        // GUEST_RIP 0x681E: natural width (3), guest state (2), index 15, full
        VmcsEncoding rip = new VmcsEncoding(0x681E);
        assertThat(rip.width()).isEqualTo(FieldWidth.NATURAL);
        assertThat(rip.type()).isEqualTo(FieldType.GUEST_STATE);
        assertThat(rip.index()).isEqualTo(15);
        assertThat(rip.access()).isEqualTo(AccessType.FULL);
        // TSC_OFFSET_HIGH 0x2011: 64-bit control, index 8, high
        VmcsEncoding tscHigh = new VmcsEncoding(0x2011);
        assertThat(tscHigh.width()).isEqualTo(FieldWidth.W64);
        assertThat(tscHigh.type()).isEqualTo(FieldType.CONTROL);
        assertThat(tscHigh.index()).isEqualTo(8);
        assertThat(tscHigh.access()).isEqualTo(AccessType.HIGH);
        assertThat(tscHigh.full().value()).isEqualTo(0x2010);
    }

    @Test
    void reservedBitsMakeAnEncodingMalformed() {
        assertThat(new VmcsEncoding(0x681E | 1 << 12).wellFormed()).isFalse();
        for (int b = 15; b < 32; b++) {
            assertThat(new VmcsEncoding(0x681E | 1 << b).reservedBitsSet()).as("bit %d", b).isTrue();
        }
        assertThat(new VmcsEncoding(0x681F).wellFormed()).isFalse(); // high access of a natural-width field
        assertThatThrownBy(() -> VmcsEncoding.of(AccessType.FULL, 0x200, FieldType.CONTROL, FieldWidth.W16))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
