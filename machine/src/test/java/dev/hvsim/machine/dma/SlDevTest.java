package dev.hvsim.machine.dma;

import static dev.hvsim.machine.dma.DeviceExclusionVector.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.device.DmaEngine;
import dev.hvsim.x86core.bus.DmaProtectionHook;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * SL_DEV (AMD APM Vol. 2 15.24.8, 15.27.6 step 2): SKINIT's call through the CPU's {@link DmaProtectionHook} loads
 * the hidden SL_DEV_BASE and sets DEV_CR.SL_DEV_EN; the 64 KiB secure loader block is then blocked for devices even
 * with the DEV itself disabled, DMA elsewhere lands, and clearing SL_DEV_EN lifts the protection.
 */
class SlDevTest {
    static final long SLB = 0x400000, SRC = 0x200000;
    private final DevFixture f = DevFixture.amd();

    private void fill(long pa, int len, int b) {
        byte[] d = new byte[len];
        Arrays.fill(d, (byte) b);
        f.m.memory().load(pa, d, 0, len);
    }

    private static byte[] bytes(int len, int b) {
        byte[] d = new byte[len];
        Arrays.fill(d, (byte) b);
        return d;
    }

    @Test
    void everyCpuOfTheAmdMachineReachesTheDevAndIntelHasNone() {
        assertThat(f.m.cpu().dmaProtectionHook()).isSameAs(f.m.platform().dev);
        assertThat(new DevFixture("intel-core").m.cpu().dmaProtectionHook()).isSameAs(DmaProtectionHook.NONE);
    }

    @Test
    void skinitHookProtectsTheWholeSlbFromDevicesWithoutDevEn() {
        f.busMaster();
        fill(SRC, 4096, 0xa5);
        fill(SLB - 4096, 0x10000 + 8192, 0x11);
        f.m.cpu().dmaProtectionHook().protectSecureLoaderBlock(SLB + 0x1234); // bits 15:0 are not part of the base
        assertThat(f.m.platform().dev.secureLoaderBase()).isEqualTo(SLB);
        assertThat(f.devRead(FN_CR, 0)).isEqualTo(CR_SL_DEV_EN); // DEV_EN stays 0

        assertThat(f.copy(SRC, SLB, 4096, false)).isEqualTo(DmaEngine.ST_DONE | DmaEngine.ST_MASTER_ABORT);
        assertThat(f.devRead(FN_ERR_STATUS, 0)).isEqualTo(ERR_VALID | ERR_ADDR_VALID | ERR_DEST_DRAM
                | ERR_SOURCE_DEVICE | ERR_ACCESS_WRITE);
        assertThat(f.devRead(FN_ERR_ADDR_LO, 0)).isEqualTo((int) SLB);
        f.copy(SRC, SLB + 0xf000, 4096, false); // the last page of the block
        assertThat(f.m.ram().read(SLB, 0x10000)).isEqualTo(bytes(0x10000, 0x11));
        assertThat(f.m.platform().dev.blockedCount()).isEqualTo(2);

        // the pages on either side of the block are not protected
        assertThat(f.copy(SRC, SLB - 4096, 4096, false)).isEqualTo(DmaEngine.ST_DONE);
        assertThat(f.copy(SRC, SLB + 0x10000, 4096, false)).isEqualTo(DmaEngine.ST_DONE);
        assertThat(f.m.ram().read(SLB - 4096, 4096)).isEqualTo(bytes(4096, 0xa5));
        assertThat(f.m.ram().read(SLB + 0x10000, 4096)).isEqualTo(bytes(4096, 0xa5));

        // a device reading the SLB gets all ones
        f.copy(SLB + 0x100, SRC, 16, false);
        assertThat(f.m.ram().read(SRC, 16)).isEqualTo(bytes(16, 0xff));
    }

    @Test
    void clearingSlDevEnLiftsTheProtection() {
        f.busMaster();
        fill(SRC, 4096, 0x5a);
        f.m.cpu().dmaProtectionHook().protectSecureLoaderBlock(SLB);
        assertThat(f.copy(SRC, SLB + 0x8000, 4096, false)).isEqualTo(DmaEngine.ST_DONE | DmaEngine.ST_MASTER_ABORT);
        f.devWrite(FN_CR, 0, 0); // the secure loader's abort path (15.27.8)
        assertThat(f.copy(SRC, SLB + 0x8000, 4096, false)).isEqualTo(DmaEngine.ST_DONE);
        assertThat(f.m.ram().read(SLB + 0x8000, 4096)).isEqualTo(bytes(4096, 0x5a));
        assertThat(f.m.platform().dev.secureLoaderBase()).isEqualTo(SLB); // hidden: software cannot change it
    }

    @Test
    void slbProtectionAddsToTheDevBitmap() {
        f.busMaster();
        fill(SRC, 4096, 0x33);
        long bitmap = 0x100000, other = 0x600000;
        f.enableDev(bitmap, false);
        f.protect(bitmap, other, true);
        f.m.cpu().dmaProtectionHook().protectSecureLoaderBlock(SLB);
        assertThat(f.devRead(FN_CR, 0)).isEqualTo(CR_DEV_EN | CR_SL_DEV_EN);
        assertThat(f.copy(SRC, SLB, 4096, false) & DmaEngine.ST_MASTER_ABORT).isNotZero();
        assertThat(f.copy(SRC, other, 4096, false) & DmaEngine.ST_MASTER_ABORT).isNotZero();
        assertThat(f.copy(SRC, other + 0x10000, 4096, false)).isEqualTo(DmaEngine.ST_DONE);
    }
}
