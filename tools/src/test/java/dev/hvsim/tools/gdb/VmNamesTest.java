package dev.hvsim.tools.gdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.VmTransition;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exit names, kinds and the break-exit filter on both vendors' numbers. */
class VmNamesTest {
    private static VmTransition exit(String structure, long code) {
        return new VmTransition(VmTransition.Kind.EXIT, structure, code, 0, 0x1000, true, List.of());
    }

    @Test
    void vendorSymbolsAndNeutralKinds() {
        assertThat(VmNames.name(exit("VMCS", 10))).isEqualTo("CPUID (10)");
        assertThat(VmNames.name(exit("VMCB", 0x72))).isEqualTo("CPUID (0x72)");
        assertThat(VmNames.kind(exit("VMCS", 30))).isEqualTo("IO");
        assertThat(VmNames.kind(exit("VMCB", 0x7b))).isEqualTo("IO"); // IOIO
        assertThat(VmNames.kind(exit("VMCS", 18))).isEqualTo("HYPERCALL"); // VMCALL
        assertThat(VmNames.kind(exit("VMCB", 0x81))).isEqualTo("HYPERCALL"); // VMMCALL
        assertThat(VmNames.kind(exit("VMCS", 48))).isEqualTo("NESTED_PAGE_FAULT");
        assertThat(VmNames.kind(exit("VMCB", 0x400))).isEqualTo("NESTED_PAGE_FAULT");
        assertThat(VmNames.name(exit("VMCB", 0x4e))).isEqualTo("EXCP_0E (0x4e)");
        assertThat(VmNames.kind(exit("VMCB", 0x4e))).isEqualTo("EXCEPTION");
        assertThat(VmNames.kind(exit("VMCB", 0x13))).isEqualTo("CR"); // CR3_WRITE
        assertThat(VmNames.name(exit("VMCS", 33 | 1L << 31))).isEqualTo("INVALID_GUEST_STATE (33)");
    }

    @Test
    void filterMatchesSymbolKindNumberOrAll() {
        assertThat(VmNames.filter(new String[] {"io"}).test(exit("VMCB", 0x7b))).isTrue();
        assertThat(VmNames.filter(new String[] {"IOIO"}).test(exit("VMCB", 0x7b))).isTrue();
        assertThat(VmNames.filter(new String[] {"IOIO"}).test(exit("VMCS", 30))).isFalse();
        assertThat(VmNames.filter(new String[] {"10"}).test(exit("VMCS", 10))).isTrue();
        assertThat(VmNames.filter(new String[] {"10"}).test(exit("VMCB", 0x72))).isFalse(); // a number is the vendor's
        assertThat(VmNames.name(exit("VMCB", 10))).isEqualTo("CR10_READ (0xa)");
        assertThat(VmNames.filter(new String[] {"0x72", "HLT"}).test(exit("VMCB", 0x78))).isTrue();
        assertThat(VmNames.filter(new String[] {"CPUID"}).test(exit("VMCS", 12))).isFalse();
        assertThat(VmNames.filter(new String[] {"all"}).test(exit("VMCS", 52))).isTrue();
        assertThat(VmNames.known("frob")).isFalse();
        assertThat(VmNames.known("EPT_VIOLATION")).isTrue();
        assertThat(VmNames.known("hypercall")).isTrue();
    }
}
