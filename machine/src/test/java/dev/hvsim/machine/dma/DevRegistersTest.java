package dev.hvsim.machine.dma;

import static dev.hvsim.machine.dma.DeviceExclusionVector.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.device.AmdNorthbridge;
import org.junit.jupiter.api.Test;

/**
 * The DEV's configuration-space view and registers (AMD APM Vol. 2, "Device Exclusion Vector (DEV)";
 * shared/reference/dev.csv): capability header at 00:18.3, DEV_OP/DEV_DATA indirection, every function code.
 */
class DevRegistersTest {
    private final DevFixture f = DevFixture.amd();

    @Test
    void amdHostBridgeFunctionCarriesTheSecureDeviceCapability() {
        assertThat(f.cfgRead(0, 0x18, 0, 0, 4)).isEqualTo(0x12001022L);
        assertThat(f.cfgRead(0, 0x18, 0, 0x0e, 1)).isEqualTo(0x80L); // multi-function
        assertThat(f.cfgRead(0, 0x18, 3, 0, 4)).isEqualTo(0x12031022L);
        assertThat(f.cfgRead(0, 0x18, 3, 0x08, 4) >>> 8).isEqualTo(0x060000L); // host bridge class
        assertThat(f.cfgRead(0, 0x18, 3, 0x06, 2) & 0x10).isEqualTo(0x10L); // capabilities list
        int cap = (int) f.cfgRead(0, 0x18, 3, 0x34, 1);
        assertThat(cap).isEqualTo(AmdNorthbridge.CAP);
        assertThat(f.cfgRead(0, 0x18, 3, cap, 1)).isEqualTo(0x0fL);
        assertThat(f.cfgRead(0, 0x18, 3, cap + 1, 1)).isZero(); // last capability
        assertThat(f.cfgRead(0, 0x18, 3, cap + 2, 1) & 7).isZero(); // subtype DEV
        assertThat(f.cfgRead(0, 0x18, 1, 0, 4)).isEqualTo(0xffffffffL); // functions 1, 2, 4 absent
    }

    @Test
    void intelMachineHasNoNorthbridgeFunctionsAndNoDev() {
        DevFixture intel = new DevFixture("intel-core");
        for (int fn = 0; fn < 8; fn++) {
            assertThat(intel.cfgRead(0, 0x18, fn, 0, 4)).isEqualTo(0xffffffffL);
        }
        assertThat(intel.m.platform().dev).isNull();
        assertThat(intel.m.platform().dma.protection()).isSameAs(DmaProtection.NONE);
    }

    @Test
    void devOpKeepsFunctionAndIndexOnly() {
        f.cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_OP, 4, 0xabcd0201L);
        assertThat(f.cfgRead(0, 0x18, 3, AmdNorthbridge.DEV_OP, 4)).isEqualTo(0x0201L);
        f.cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_OP + 1, 1, 0x04); // byte write of FUNCTION
        assertThat(f.cfgRead(0, 0x18, 3, AmdNorthbridge.DEV_OP, 4)).isEqualTo(0x0401L);
    }

    @Test
    void everyRegisterResetsToZeroExceptDevCap() {
        for (int fn = 0; fn < 8; fn++) {
            assertThat(f.devRead(fn, 0)).as("function %d", fn).isEqualTo(fn == FN_CAP ? CAP_VALUE : 0);
        }
        assertThat(CAP_VALUE).isEqualTo(0x00040400); // REV 0, N_DOMS 4, N_MAPS 4
    }

    @Test
    void baseRegistersPerDomainWithReservedBitsZero() {
        for (int d = 0; d < DOMAINS; d++) {
            f.devWrite(FN_BASE_LO, d, 0xffffffff);
            f.devWrite(FN_BASE_HI, d, 0xffff0000 | d);
        }
        assertThat(f.devRead(FN_BASE_LO, 2)).isEqualTo(0xfffff07f);
        assertThat(f.devRead(FN_BASE_HI, 3)).isEqualTo(3);
        f.devWrite(FN_BASE_LO, DOMAINS, 0x1000); // no such domain: ignored, reads 0
        assertThat(f.devRead(FN_BASE_LO, DOMAINS)).isZero();
        f.devWrite(FN_MAP, 1, 0x12345678);
        assertThat(f.devRead(FN_MAP, 1)).isEqualTo(0x12345678);
        assertThat(f.devRead(FN_MAP, 0)).isZero();
        f.devWrite(FN_MAP, MAPS, 1);
        assertThat(f.devRead(FN_MAP, MAPS)).isZero();
    }

    @Test
    void devCapIsReadOnlyAndUnknownFunctionsReadZero() {
        f.devWrite(FN_CAP, 0, 0);
        assertThat(f.devRead(FN_CAP, 0)).isEqualTo(CAP_VALUE);
        f.devWrite(8, 0, -1);
        assertThat(f.devRead(8, 0)).isZero();
        assertThat(f.devRead(0xff, 0xff)).isZero();
    }

    @Test
    void devCrKeepsDefinedBitsAndInvalidateCompletesAtOnce() {
        f.devWrite(FN_CR, 0, 0xffffffff);
        assertThat(f.devRead(FN_CR, 0)).isEqualTo(CR_DEV_EN | CR_IODIS | CR_MCE_EN | CR_SL_DEV_EN | CR_WALK_PROBE);
        f.devWrite(FN_CR, 0, CR_DEV_EN | CR_INV_CACHE);
        assertThat(f.devRead(FN_CR, 0)).isEqualTo(CR_DEV_EN); // INV_CACHE polled clear at once
        assertThat(f.devRead(FN_CR, 0) & 2).isZero(); // bit 1 (MEM_CLR / reserved) reads 0
    }

    @Test
    void devDataByteAccessesReadAndMergeTheSelectedRegister() {
        f.devWrite(FN_MAP, 0, 0x11223344);
        f.cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_OP, 4, FN_MAP << 8);
        assertThat(f.cfgRead(0, 0x18, 3, AmdNorthbridge.DEV_DATA + 2, 1)).isEqualTo(0x22L);
        f.cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_DATA + 1, 1, 0xaa);
        assertThat(f.devRead(FN_MAP, 0)).isEqualTo(0x1122aa44);
    }

    @Test
    void errorRegistersAreWritableAndZeroClearsTheLog() {
        f.devWrite(FN_ERR_STATUS, 0, 0xffffffff);
        assertThat(f.devRead(FN_ERR_STATUS, 0)).isEqualTo(0xe0ff00ff);
        f.devWrite(FN_ERR_STATUS, 0, 0);
        assertThat(f.devRead(FN_ERR_STATUS, 0)).isZero();
        f.devWrite(FN_ERR_ADDR_LO, 0, 0x12345677);
        f.devWrite(FN_ERR_ADDR_HI, 0, 0xffffffff);
        assertThat(f.devRead(FN_ERR_ADDR_LO, 0)).isEqualTo(0x12345674);
        assertThat(f.devRead(FN_ERR_ADDR_HI, 0)).isEqualTo(0xffff);
    }
}
