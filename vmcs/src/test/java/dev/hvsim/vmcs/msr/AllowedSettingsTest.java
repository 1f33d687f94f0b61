package dev.hvsim.vmcs.msr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.controls.ControlWord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Allowed-0/allowed-1 settings (SDM Vol. 3C Appendix A.3-A.5) and CR0/CR4 fixed bits (A.7, A.8). */
class AllowedSettingsTest {

    // IA32_VMX_TRUE_ENTRY_CTLS of a processor without RTIT/CET/PKRS loading: 31:0 = 0x11fb, 63:32 = 0x3ffff
    private final AllowedSettings entry = AllowedSettings.fromCtlsMsr(ControlWord.ENTRY,
            VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS, 0x0003ffff000011fbL);

    @Test
    void lowDwordIsAllowed0HighDwordAllowed1() {
        assertThat(entry.mustBeOne()).isEqualTo(0x11fbL);
        assertThat(entry.mayBeOne()).isEqualTo(0x3ffffL);
        assertThat(entry.allowed0(2)).isTrue();   // load debug controls may be 0 with the TRUE MSR
        assertThat(entry.allowed0(0)).isFalse();  // reserved default1 bit
        assertThat(entry.allowed1(18)).isFalse(); // load IA32_RTIT_CTL not supported
        assertThat(entry.allowed1("ia32eModeGuest")).isTrue();
        assertThat(entry.allows(0x11fb)).isTrue();
        assertThat(entry.allows(0x11fb | 1 << 9)).isTrue();
    }

    @Test
    void violationsNameTheBitsAndTheMsr() {
        List<ControlViolation> v = entry.violations(0x11f9L | 1L << 18);
        assertThat(v).hasSize(2);
        assertThat(v.get(0).bit().bit()).isEqualTo(1);
        assertThat(v.get(0).value()).isZero();
        assertThat(v.get(0).message()).isEqualTo(
                "bit 1 (reserved) of the VM-entry controls is 0 but IA32_VMX_TRUE_ENTRY_CTLS requires 1");
        assertThat(v.get(1).bit().sdmName()).isEqualTo("Load IA32_RTIT_CTL");
        assertThat(v.get(1).message()).contains("bit 18 (Load IA32_RTIT_CTL)").contains("is 1")
                .contains("requires 0");
        assertThat(entry.violations(0x11fb)).isEmpty();
    }

    @Test
    void sixtyFourBitWordsReportAllowed1Only() {
        AllowedSettings t = AllowedSettings.fromAllowed1Msr(ControlWord.TERTIARY_PROC,
                VmxMsr.IA32_VMX_PROCBASED_CTLS3, 1L << 4);
        assertThat(t.allows(0)).isTrue();
        assertThat(t.allows(1L << 4)).isTrue();
        assertThat(t.violations(1L << 40)).singleElement()
                .satisfies(x -> assertThat(x.message()).contains("bit 40 (reserved) of the Tertiary"));
        AllowedSettings none = AllowedSettings.nothing(ControlWord.SECONDARY_PROC, VmxMsr.IA32_VMX_PROCBASED_CTLS2);
        assertThat(none.allows(0)).isTrue();
        assertThat(none.violations(2)).singleElement()
                .satisfies(x -> assertThat(x.bit().javaName()).isEqualTo("enableEpt"));
    }

    @Test
    void adjustGivesTheNearestAllowedValue() {
        assertThat(entry.adjust(1L << 9 | 1L << 18)).isEqualTo(0x11fbL | 1L << 9);
        assertThat(entry.allows(entry.adjust(-1L))).isTrue();
    }

    @Test
    void fixedBitsOfCr0AndCr4() {
        FixedBits cr0 = new FixedBits("CR0", 0x80000021L, 0xffffffffL);
        assertThat(cr0.allows(0x80000031L)).isTrue();
        assertThat(cr0.violations(0x80000011L)).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo("CR0 bit 5 must be 1 in VMX operation"));
        assertThat(cr0.violations(0x80000021L | 1L << 32)).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo("CR0 bit 32 must be 0 in VMX operation"));
        FixedBits cr4 = new FixedBits("CR4", 0x2000L, 0x7733bcL);
        assertThat(cr4.violations(0x20L)).extracting(FixedBits.Violation::bit).containsExactly(13);
        assertThat(cr4.violations(0x2000L | 1L << 14)).extracting(FixedBits.Violation::required).containsExactly(0);
    }
}
