package dev.hvsim.vmcs.vmcb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.vmcs.data.CsvTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The VMCB catalogue (AMD APM Vol. 2 Appendix B, Tables B-1 and B-2; clean bits 15.15.3; Appendix C). */
class VmcbLayoutTest {

    private final VmcbLayout vmcb = VmcbLayout.get();

    @Test
    void holdsEveryRowOfTheReferenceTables() {
        assertThat(CsvTable.resource(VmcbLayout.RESOURCE).rows()).hasSize(425);
        assertThat(vmcb.rowCount()).isEqualTo(425);
        assertThat(vmcb.fields().size() + vmcb.bitFields().size()).isEqualTo(425);
        assertThat(CsvTable.resource(VmcbLayout.EXIT_CODES_RESOURCE).rows()).hasSize(226);
    }

    @Test
    void controlAreaBelow0x400AndSaveAreaFrom0x400() {
        for (VmcbField f : vmcb.fields(VmcbArea.CONTROL)) {
            assertThat(f.end()).as(f.name()).isLessThanOrEqualTo(VmcbLayout.SAVE_AREA_OFFSET);
        }
        List<VmcbField> save = vmcb.fields(VmcbArea.SAVE);
        assertThat(save).allSatisfy(f -> assertThat(f.offset()).isGreaterThanOrEqualTo(0x400));
        assertThat(save.get(0).offset()).isEqualTo(0x400);
        assertThat(save.get(0).qualifiedName()).isEqualTo("save.ES.selector");
        assertThat(vmcb.fields()).allSatisfy(f -> assertThat(f.end()).isLessThanOrEqualTo(VmcbLayout.VMCB_SIZE));
    }

    @Test
    void noTwoFieldsOverlap() {
        List<VmcbField> sized = vmcb.fields().stream().filter(f -> f.area() != VmcbArea.AVIC_TABLE_ENTRY)
                .filter(f -> f.size() > 0).toList();
        for (int i = 1; i < sized.size(); i++) {
            VmcbField a = sized.get(i - 1);
            VmcbField b = sized.get(i);
            assertThat(b.offset()).as("%s overlaps %s", b.name(), a.name()).isGreaterThanOrEqualTo(a.end());
        }
    }

    @Test
    void bitFieldsLieInsideFieldsOrInWordsOfTheirOwn() {
        java.util.Set<String> standalone = new java.util.TreeSet<>();
        for (VmcbBitField b : vmcb.bitFields()) {
            if (b.area() == VmcbArea.AVIC_TABLE_ENTRY) {
                continue;
            }
            int first = b.offset() + b.bits().lo() / 8;
            int last = b.offset() + b.bits().hi() / 8;
            long covered = java.util.stream.IntStream.rangeClosed(first, last)
                    .filter(o -> vmcb.fieldContaining(o).isPresent()).count();
            if (covered == 0) {
                standalone.add(b.key()); // a word the table gives only as bits
            } else {
                assertThat(covered).as(b.name() + " partly outside any field").isEqualTo(last - first + 1);
            }
        }
        assertThat(standalone).containsExactly("ALLOWED_SEV_FEATURES", "BUS_LOCK_COUNTER", "GUEST_SEV_FEATURES");
    }

    @Test
    void lookupByNameAndOffset() {
        VmcbField tsc = vmcb.field("control.TSC_OFFSET");
        assertThat(tsc.offset()).isEqualTo(0x050);
        assertThat(tsc.size()).isEqualTo(8);
        assertThat(vmcb.field("save.EFER").offset()).isEqualTo(0x4d0);
        assertThat(vmcb.field("save.CS.attrib").offset()).isEqualTo(0x412);
        assertThat(vmcb.field("save.RIP").offset()).isEqualTo(0x578);
        assertThat(vmcb.field("control.EXITCODE").offset()).isEqualTo(0x070);
        assertThat(vmcb.field("control.NRIP").offset()).isEqualTo(0x0c8);
        assertThat(vmcb.field("control.NRIP (next sequential RIP)")).isSameAs(vmcb.field("control.NRIP"));
        assertThat(vmcb.field("save.TSC_OFFSET").offset()).isEqualTo(0x6f8); // the SEV-ES VMSA copy
        assertThat(vmcb.fieldAt(0x058).orElseThrow().key()).isEqualTo("GUEST_ASID");
        assertThat(vmcb.fieldAt(0x4cb).orElseThrow().key()).isEqualTo("CPL");
        assertThat(vmcb.fieldAt(0x4cc)).isEmpty();
        assertThat(vmcb.fieldContaining(0x020).orElseThrow().reserved()).isTrue();
        assertThat(vmcb.bitField("control.INTERCEPT_HLT").bits().lo()).isEqualTo(24);
        assertThat(vmcb.bitField("control.INTERCEPT_HLT").offset()).isEqualTo(0x00c);
        assertThat(vmcb.bitField("control.NP_ENABLE").offset()).isEqualTo(0x090);
        assertThat(vmcb.bitField("control.INTERCEPT_MWAIT/MWAITX (unconditional)").bits().lo()).isEqualTo(11);
    }

    @Test
    void unknownNamesAreClearErrors() {
        assertThatThrownBy(() -> vmcb.field("control.TSC_OFSET")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'control.TSC_OFSET'");
        assertThatThrownBy(() -> vmcb.field("EFER")).hasMessageContaining("qualify it");
        assertThatThrownBy(() -> vmcb.bitField("control.INTERCEPT_MWAIT/MWAITX"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cleanBitsAndWhatTheyCover() {
        assertThat(vmcb.cleanBits()).extracting(VmcbCleanBit::name).containsExactly("I", "IOPM", "ASID", "TPR",
                "NP", "CRx", "DRx", "DT", "SEG", "CR2", "LBR", "AVIC", "CET");
        assertThat(vmcb.cleanBits()).extracting(VmcbCleanBit::bit).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                10, 11, 12);
        for (VmcbField f : vmcb.fields()) {
            if (f.cleanBit() >= 0) {
                assertThat(vmcb.cleanBits()).as(f.name()).anyMatch(c -> c.bit() == f.cleanBit());
            }
        }
        for (VmcbCleanBit c : vmcb.cleanBits()) {
            assertThat(vmcb.fieldsCleanedBy(c.bit())).as("clean bit " + c.name()).isNotEmpty();
        }
        assertThat(vmcb.fieldsCleanedBy(5)).extracting(VmcbField::key)
                .containsExactlyInAnyOrder("EFER", "CR4", "CR3", "CR0");
        assertThat(vmcb.fieldsCleanedBy(1)).extracting(VmcbField::key)
                .containsExactlyInAnyOrder("IOPM_BASE_PA", "MSRPM_BASE_PA");
        assertThat(vmcb.fieldsCleanedBy(4)).extracting(VmcbField::key)
                .containsExactlyInAnyOrder("NESTED_CTL", "N_CR3", "G_PAT");
        assertThat(vmcb.field("save.FS.base").cleanBit()).isEqualTo(-1); // FS/GS/TR/LDTR are always reloaded
    }

    @Test
    void everyInterceptBitIsABitOfTheInterceptVector() {
        assertThat(vmcb.intercepts()).hasSize(167);
        for (SvmIntercept i : vmcb.intercepts()) {
            assertThat(i.vectorOffset()).as(i.exitName()).isEqualTo(4 * i.word());
            VmcbBitField b = vmcb.bitFields().stream()
                    .filter(x -> x.area() == VmcbArea.CONTROL && x.offset() == i.vectorOffset()
                            && x.bits().lo() == i.bit() && x.bits().hi() == i.bit())
                    .findFirst().orElseThrow(() -> new AssertionError("no layout row for " + i));
            assertThat(b.reserved()).as(i.exitName()).isFalse();
        }
        SvmIntercept hlt = vmcb.intercept("VMEXIT_HLT");
        assertThat(hlt.exitCode()).isEqualTo(0x78);
        assertThat(hlt.word()).isEqualTo(3);
        assertThat(hlt.bit()).isEqualTo(24);
        assertThat(vmcb.interceptFor(0x81).orElseThrow().exitName()).isEqualTo("VMEXIT_VMMCALL");
        assertThat(vmcb.interceptFor(0x400)).isEmpty(); // nested page fault: no intercept bit
    }

    @Test
    void everyDefinedInterceptVectorBitHasAnExitCode() {
        for (VmcbBitField b : vmcb.bitFields()) {
            if (b.area() != VmcbArea.CONTROL || b.offset() > 0x014 || b.reserved() || b.bits().width() != 1) {
                continue;
            }
            assertThat(vmcb.intercepts()).as(b.name())
                    .anyMatch(i -> i.vectorOffset() == b.offset() && i.bit() == b.bits().lo());
        }
    }

    @Test
    void fieldValuesReadAndWriteLittleEndian() {
        byte[] image = new byte[VmcbLayout.VMCB_SIZE];
        VmcbField efer = vmcb.field("save.EFER");
        efer.write(image, 0x1500);
        assertThat(image[0x4d0]).isEqualTo((byte) 0x00);
        assertThat(image[0x4d1]).isEqualTo((byte) 0x15);
        assertThat(efer.read(image)).isEqualTo(0x1500);
        vmcb.field("control.INTERCEPT_MISC1").write(image, 1L << 24);
        assertThat(vmcb.intercept("VMEXIT_HLT").isSet(image)).isTrue();
        assertThat(vmcb.intercept("VMEXIT_CPUID").isSet(image)).isFalse();
        assertThatThrownBy(() -> vmcb.field("save.FPREG_XMM").read(image)).hasMessageContaining("not a 1..8-byte");
    }
}
