package dev.hvsim.vmcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** "This field exists only on processors that support ..." (SDM Vol. 3C Appendix B) as hvsim evaluates it. */
class FieldExistenceTest {

    private final VmcsFields cat = VmcsFields.get();
    /** The fuller target set (test fixture): the in-force intel-core set has no secondary controls. */
    private final VmxCapabilities target = VmxCapabilities.target("intel-core-full");

    private boolean exists(String name, VmxCapabilities caps) {
        return cat.byName(name).existsUnder(caps);
    }

    @Test
    void noFieldExistsWithoutVmx() {
        assertThat(cat.all()).noneMatch(f -> f.existsUnder(VmxCapabilities.none()));
    }

    @Test
    void unconditionalFieldsExistUnderAnyVmxCapabilities() {
        for (VmcsField f : cat.all()) {
            if (f.existsOnlyIf().isEmpty()) {
                assertThat(f.existence().always()).as(f.name()).isTrue();
                assertThat(f.existsUnder(target)).as(f.name()).isTrue();
            } else {
                assertThat(f.existence().always()).as(f.name()).isFalse();
            }
        }
    }

    @Test
    void conditionalFieldsFollowTheAllowed1Settings() {
        assertThat(exists("EPT_POINTER", target)).isTrue();                 // enable EPT
        assertThat(exists("VIRTUAL_PROCESSOR_ID", target)).isTrue();        // enable VPID
        assertThat(exists("VIRTUAL_APIC_PAGE_ADDR", target)).isTrue();      // use TPR shadow
        assertThat(exists("GUEST_IA32_PAT", target)).isTrue();              // load/save IA32_PAT
        assertThat(exists("EPTP_LIST_ADDRESS", target)).isTrue();           // VMFUNC bit 0
        assertThat(exists("POSTED_INTR_NV", target)).isFalse();             // not advertised
        assertThat(exists("APIC_ACCESS_ADDR", target)).isFalse();
        assertThat(exists("XSS_EXIT_BITMAP", target)).isFalse();            // no XSAVES in the profile
        assertThat(exists("TERTIARY_VM_EXEC_CONTROL", target)).isFalse();
        assertThat(exists("GUEST_IA32_FRED_CONFIG", target)).isFalse();
        assertThat(exists("SHARED_EPT_POINTER", target)).isFalse();         // TDX only: never in hvsim
        assertThat(cat.byName("SHARED_EPT_POINTER").existence().never()).isTrue();
    }

    @Test
    void disjunctionsHoldWhenEitherControlMayBeOne() {
        VmcsField pat = cat.byName("GUEST_IA32_PAT");
        assertThat(pat.existence().toString()).isEqualTo("entry:loadIa32Pat|exit:saveIa32Pat");
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        m.put(VmxMsr.IA32_VMX_BASIC, 0x68760001L | 4096L << 32);
        m.put(VmxMsr.IA32_VMX_VMCS_ENUM, 0x3feL);
        m.put(VmxMsr.IA32_VMX_ENTRY_CTLS, 0x11ffL);
        m.put(VmxMsr.IA32_VMX_EXIT_CTLS, 0x36dffL | (0x36dffL | 1L << 18) << 32); // save IA32_PAT only
        assertThat(pat.existsUnder(VmxCapabilities.of(m))).isTrue();
        m.put(VmxMsr.IA32_VMX_EXIT_CTLS, 0x36dffL | 0x36dffL << 32);
        assertThat(pat.existsUnder(VmxCapabilities.of(m))).isFalse();
        m.put(VmxMsr.IA32_VMX_ENTRY_CTLS, 0x11ffL | (0x11ffL | 1L << 14) << 32); // load IA32_PAT only
        assertThat(pat.existsUnder(VmxCapabilities.of(m))).isTrue();
    }

    @Test
    void vmcsEnumBoundsTheSupportedIndices() {
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        for (VmxMsr msr : VmxMsr.values()) {
            target.raw(msr).ifPresent(v -> m.put(msr, v));
        }
        assertThat(exists("TSC_MULTIPLIER", VmxCapabilities.of(m))).isTrue(); // index 25
        m.put(VmxMsr.IA32_VMX_VMCS_ENUM, 24L << 1);
        assertThat(exists("TSC_MULTIPLIER", VmxCapabilities.of(m))).isFalse();
        assertThat(exists("GUEST_RIP", VmxCapabilities.of(m))).isTrue();      // index 15
    }

    @Test
    void conditionsParseAndRejectNonsense() {
        assertThat(FieldExistence.parse("msr:IA32_VMX_VMFUNC:0").terms()).hasSize(1);
        assertThatThrownBy(() -> FieldExistence.parse("proc2:enableEtp")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("enableEtp");
        assertThatThrownBy(() -> FieldExistence.parse("cpu:x")).hasMessageContaining("unknown control word 'cpu'");
        assertThatThrownBy(() -> FieldExistence.parse("a:b:c:d")).hasMessageContaining("bad existence term");
    }
}
