package dev.hvsim.vmcs.controls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.vmcs.data.CsvTable;
import org.junit.jupiter.api.Test;

/** The control-word table (SDM Vol. 3C 25.6-25.8, default1 classes of Appendix A.2-A.5). */
class ControlCatalogueTest {

    private final ControlCatalogue cat = ControlCatalogue.get();

    @Test
    void everyRowAndEveryBitIsThere() {
        assertThat(CsvTable.resource(ControlCatalogue.RESOURCE).rows()).hasSize(175);
        assertThat(cat.rowCount()).isEqualTo(175);
        for (ControlWord w : ControlWord.values()) {
            ControlCatalogue.WordInfo info = cat.word(w);
            assertThat(info.bits()).hasSize(info.widthBits());
            for (int b = 0; b < info.widthBits(); b++) {
                assertThat(info.bits().get(b).bit()).isEqualTo(b);
                assertThat(info.bits().get(b).word()).isEqualTo(w);
            }
        }
        assertThat(cat.word(ControlWord.TERTIARY_PROC).widthBits()).isEqualTo(64);
        assertThat(cat.word(ControlWord.SECONDARY_EXIT).widthBits()).isEqualTo(64);
        assertThat(cat.word(ControlWord.PIN_BASED).widthBits()).isEqualTo(32);
    }

    @Test
    void wordsSitAtTheirVmcsEncodings() {
        assertThat(cat.word(ControlWord.PIN_BASED).vmcsEncoding()).isEqualTo(0x4000);
        assertThat(cat.word(ControlWord.PRIMARY_PROC).vmcsEncoding()).isEqualTo(0x4002);
        assertThat(cat.word(ControlWord.EXIT).vmcsEncoding()).isEqualTo(0x400C);
        assertThat(cat.word(ControlWord.ENTRY).vmcsEncoding()).isEqualTo(0x4012);
        assertThat(cat.word(ControlWord.SECONDARY_PROC).vmcsEncoding()).isEqualTo(0x401E);
        assertThat(cat.word(ControlWord.TERTIARY_PROC).vmcsEncoding()).isEqualTo(0x2034);
        assertThat(cat.word(ControlWord.SECONDARY_EXIT).vmcsEncoding()).isEqualTo(0x2044);
    }

    @Test
    void default1ClassesAreTheSdmsAppendixAValues() {
        // SDM App. A.3.1, A.3.2, A.4.1, A.5; the same masks as Linux's *_ALWAYSON_WITHOUT_TRUE_MSR
        assertThat(cat.default1Mask(ControlWord.PIN_BASED)).isEqualTo(0x16L);
        assertThat(cat.default1Mask(ControlWord.PRIMARY_PROC)).isEqualTo(0x0401E172L);
        assertThat(cat.default1Mask(ControlWord.EXIT)).isEqualTo(0x36DFFL);
        assertThat(cat.default1Mask(ControlWord.ENTRY)).isEqualTo(0x11FFL);
        assertThat(cat.default1Mask(ControlWord.SECONDARY_PROC)).isZero();
        assertThat(cat.default1Mask(ControlWord.TERTIARY_PROC)).isZero();
        assertThat(cat.default1Mask(ControlWord.SECONDARY_EXIT)).isZero();
    }

    @Test
    void defaultClassPerBit() {
        assertThat(cat.bit(ControlWord.PRIMARY_PROC, "cr3LoadExiting").defaultClass()).isEqualTo(DefaultClass.DEFAULT1);
        assertThat(cat.bit(ControlWord.PRIMARY_PROC, "hltExiting").defaultClass()).isEqualTo(DefaultClass.DEFAULT0);
        assertThat(cat.bit(ControlWord.EXIT, "saveDebugControls").defaultClass()).isEqualTo(DefaultClass.DEFAULT1);
        assertThat(cat.bit(ControlWord.ENTRY, "loadDebugControls").defaultClass()).isEqualTo(DefaultClass.DEFAULT1);
        ControlBit pin1 = cat.bit(ControlWord.PIN_BASED, 1);
        assertThat(pin1.reserved()).isTrue();
        assertThat(pin1.defaultClass()).isEqualTo(DefaultClass.DEFAULT1);
        ControlBit pin8 = cat.bit(ControlWord.PIN_BASED, 8);
        assertThat(pin8.reserved()).isTrue();
        assertThat(pin8.defaultClass()).isEqualTo(DefaultClass.DEFAULT0);
        assertThat(cat.bit(ControlWord.TERTIARY_PROC, 63).reserved()).isTrue();
    }

    @Test
    void definedMasks() {
        assertThat(cat.definedMask(ControlWord.PIN_BASED)).isEqualTo(0xE9L);
        assertThat(Long.bitCount(cat.definedMask(ControlWord.SECONDARY_PROC))).isEqualTo(32);
        assertThat(cat.definedMask(ControlWord.TERTIARY_PROC)).isEqualTo(0x1FFL);
        assertThat(cat.definedMask(ControlWord.SECONDARY_EXIT)).isEqualTo(0xFL);
    }

    @Test
    void predicateNamesFollowTheSdmNames() {
        assertThat(ControlBit.javaNameOf("HLT exiting")).isEqualTo("hltExiting");
        assertThat(ControlBit.javaNameOf("Use MSR bitmaps")).isEqualTo("useMsrBitmaps");
        assertThat(ControlBit.javaNameOf("Enable EPT")).isEqualTo("enableEpt");
        assertThat(ControlBit.javaNameOf("IA-32e mode guest")).isEqualTo("ia32eModeGuest");
        assertThat(ControlBit.javaNameOf("Unconditional I/O exiting")).isEqualTo("unconditionalIoExiting");
        assertThat(ControlBit.javaNameOf("Enable XSAVES/XRSTORS")).isEqualTo("enableXsavesXrstors");
        assertThat(ControlBit.javaNameOf("EPC virtualization (SGX)")).isEqualTo("epcVirtualization");
    }

    @Test
    void unknownControlNamesAreClearErrors() {
        assertThatThrownBy(() -> cat.bit(ControlWord.PRIMARY_PROC, "hltExit"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'hltExit'").hasMessageContaining("Primary processor-based")
                .hasMessageContaining("hltExiting");
        assertThatThrownBy(() -> cat.mask32(ControlWord.TERTIARY_PROC, "enableHlat"))
                .hasMessageContaining("not a 32-bit word");
        assertThatThrownBy(() -> ControlWord.byKey("proc4")).hasMessageContaining("proc4");
    }
}
