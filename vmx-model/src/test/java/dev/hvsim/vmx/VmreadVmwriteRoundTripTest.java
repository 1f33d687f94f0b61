package dev.hvsim.vmx;

import static dev.hvsim.vmx.VmxHarness.VMREAD_RAX_RCX;
import static dev.hvsim.vmx.VmxHarness.VMWRITE_RCX_RAX;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.x86core.Reg;
import org.junit.jupiter.api.Test;

/**
 * VMWRITE then VMREAD of every VMCS field the capabilities support, in 64-bit mode (SDM Vol. 3C 25.11.2, 31.3
 * VMREAD/VMWRITE): the value read back is the written all-ones value masked to the field's width (a high access:
 * bits 63:32 of its 64-bit field); unsupported fields fail with VMfailValid(12).
 */
class VmreadVmwriteRoundTripTest {

    @Test
    void everySupportedFieldRoundTripsWithItsWidthMask() {
        VmxHarness h = new VmxHarness().ready();
        int supported = 0, unsupported = 0;
        for (VmcsField f : VmcsFields.get().all()) {
            boolean ok = f.existsUnder(h.vmx.capabilities());
            h.t.reg(Reg.RCX, f.encodingValue()).reg(Reg.RAX, -1L);
            assertThat(h.exec(VMWRITE_RCX_RAX)).isNull();
            if (!ok) {
                assertThat(h.failedValid(12)).as("VMWRITE %s", f).isTrue();
                unsupported++;
                continue;
            }
            assertThat(h.succeeded()).as("VMWRITE %s", f).isTrue();
            h.t.reg(Reg.RCX, f.encodingValue()).reg(Reg.RAX, 0);
            assertThat(h.exec(VMREAD_RAX_RCX)).isNull();
            assertThat(h.succeeded()).as("VMREAD %s", f).isTrue();
            assertThat(h.t.reg(Reg.RAX)).as("%s", f).isEqualTo(f.valueMask());
            supported++;
        }
        assertThat(supported).isGreaterThan(100);
        assertThat(unsupported).isGreaterThan(0);
    }

    @Test
    void highAccessReadsAndWritesBits63To32() {
        VmxHarness h = new VmxHarness().ready();
        h.vmx.currentVmcs().write("GUEST_IA32_PAT", 0x1122334455667788L);
        h.t.reg(Reg.RCX, 0x2805);                                             // GUEST_IA32_PAT_HIGH
        h.exec(VMREAD_RAX_RCX);
        assertThat(h.t.reg(Reg.RAX)).isEqualTo(0x11223344L);
        h.t.reg(Reg.RCX, 0x2805).reg(Reg.RAX, 0xaabbccddL);
        h.exec(VMWRITE_RCX_RAX);
        assertThat(h.vmx.currentVmcs().read("GUEST_IA32_PAT")).isEqualTo(0xaabbccdd55667788L);
    }

    @Test
    void vmreadToMemory() {
        VmxHarness h = new VmxHarness().ready();
        h.vmx.currentVmcs().write("GUEST_RIP", 0x123456789L);
        // 0f 78 0c 25 00 00 02 00   vmread [0x20000], rcx
        h.t.reg(Reg.RCX, 0x681e);
        assertThat(h.exec("0f 78 0c 25 00 00 02 00")).isNull();
        assertThat(h.t.bus.read(0x20000, 8)).isEqualTo(0x123456789L);
    }
}
