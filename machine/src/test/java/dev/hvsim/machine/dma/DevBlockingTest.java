package dev.hvsim.machine.dma;

import static dev.hvsim.machine.dma.DeviceExclusionVector.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.device.DmaEngine;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * DEV blocking per 4 KiB page through the DMA engine (dev.csv "bitmap-semantics": a set bit blocks device
 * reads, which return all ones, and writes, which are dropped; the violation is logged in DEV_ERR_STATUS /
 * DEV_ERR_ADDR); CPU accesses are never blocked.
 */
class DevBlockingTest {
    static final long BITMAP = 0x100000, SRC = 0x200000, DST = 0x300000;
    private final DevFixture f = DevFixture.amd();

    private void fill(long pa, int len, int b) {
        byte[] d = new byte[len];
        Arrays.fill(d, (byte) b);
        f.m.memory().load(pa, d, 0, len);
    }

    private byte[] at(long pa, int len) {
        return f.m.ram().read(pa, len);
    }

    private static byte[] bytes(int len, int b) {
        byte[] d = new byte[len];
        Arrays.fill(d, (byte) b);
        return d;
    }

    @Test
    void protectedPageIsNotWrittenAndTheViolationIsLogged() {
        f.busMaster();
        fill(SRC, 4096, 0xa5);
        fill(DST, 4096, 0x11);
        f.enableDev(BITMAP, false);
        f.protect(BITMAP, DST, true);
        long st = f.copy(SRC, DST, 4096, false);
        assertThat(st).isEqualTo(DmaEngine.ST_DONE | DmaEngine.ST_MASTER_ABORT);
        assertThat(at(DST, 4096)).isEqualTo(bytes(4096, 0x11));
        assertThat(f.devRead(FN_ERR_STATUS, 0)).isEqualTo(ERR_VALID | ERR_ADDR_VALID | ERR_DEST_DRAM
                | ERR_SOURCE_DEVICE | ERR_ACCESS_WRITE);
        assertThat(f.devRead(FN_ERR_ADDR_LO, 0)).isEqualTo((int) DST);
        assertThat(f.m.platform().dev.blockedCount()).isEqualTo(1);
        assertThat(f.cfgRead(0, DmaEngine.DEVICE, 0, 6, 2) & (1 << 13)).isNotZero(); // received master abort

        f.protect(BITMAP, DST, false);
        f.devWrite(FN_ERR_STATUS, 0, 0);
        assertThat(f.copy(SRC, DST, 4096, false)).isEqualTo(DmaEngine.ST_DONE);
        assertThat(at(DST, 4096)).isEqualTo(bytes(4096, 0xa5));
        assertThat(f.devRead(FN_ERR_STATUS, 0)).isZero();
    }

    @Test
    void readFromAProtectedPageReturnsAllOnes() {
        f.busMaster();
        fill(SRC, 4096, 0x5a);
        f.enableDev(BITMAP, false);
        f.protect(BITMAP, SRC, true);
        f.copy(SRC + 16, DST, 32, false);
        assertThat(at(DST, 32)).isEqualTo(bytes(32, 0xff));
        assertThat(f.devRead(FN_ERR_STATUS, 0) & 3).isEqualTo(ERR_ACCESS_READ);
        assertThat(f.devRead(FN_ERR_ADDR_LO, 0)).isEqualTo((int) SRC + 16);
    }

    @Test
    void pageCrossingTransferLandsOnlyInTheUnprotectedPage() {
        f.busMaster();
        fill(SRC, 8192, 0x77);
        fill(DST, 8192, 0x00);
        f.enableDev(BITMAP, false);
        f.protect(BITMAP, DST + 4096, true);
        f.copy(SRC, DST + 2048, 4096, false);
        assertThat(at(DST + 2048, 2048)).isEqualTo(bytes(2048, 0x77));
        assertThat(at(DST + 4096, 4096)).isEqualTo(bytes(4096, 0));
    }

    @Test
    void secondViolationOnlySetsOverflow() {
        f.busMaster();
        f.enableDev(BITMAP, false);
        f.protect(BITMAP, DST, true);
        f.protect(BITMAP, DST + 0x5000, true);
        f.copy(SRC, DST, 8, false);
        f.copy(SRC, DST + 0x5008, 8, false);
        assertThat(f.devRead(FN_ERR_STATUS, 0) & (ERR_VALID | ERR_OVERFLOW)).isEqualTo(ERR_VALID | ERR_OVERFLOW);
        assertThat(f.devRead(FN_ERR_ADDR_LO, 0)).isEqualTo((int) DST);
        assertThat(f.m.platform().dev.blockedCount()).isEqualTo(2);
    }

    @Test
    void nothingIsBlockedWhileDevIsDisabledOrTheDomainInvalid() {
        f.busMaster();
        fill(SRC, 64, 0x42);
        f.enableDev(BITMAP, true);
        f.protect(BITMAP, DST, true);
        f.devWrite(FN_CR, 0, 0);
        f.copy(SRC, DST, 64, false);
        assertThat(at(DST, 64)).isEqualTo(bytes(64, 0x42));
        f.devWrite(FN_CR, 0, CR_DEV_EN);
        f.devWrite(FN_BASE_LO, 0, (int) BITMAP); // VALID = 0
        fill(SRC, 64, 0x43);
        f.copy(SRC, DST, 64, false);
        assertThat(at(DST, 64)).isEqualTo(bytes(64, 0x43));
        assertThat(f.m.platform().dev.blockedCount()).isZero();
    }

    @Test
    void protectBitDecidesAboveTheCoveredRange() {
        DeviceExclusionVector dev = f.m.platform().dev;
        DmaRequester who = f.m.platform().dmaEngine.requester();
        f.enableDev(BITMAP, false);
        assertThat(dev.blocks(who, 0x1_0000_0000L, true)).isFalse();
        f.enableDev(BITMAP, true);
        assertThat(dev.blocks(who, 0x1_0000_0000L, true)).isTrue();
        assertThat(dev.blocks(who, 0xffff_f000L, true)).isFalse(); // last covered page, bit clear
        // SIZE = 1: 8 GiB covered, the bit of page 0x100000 decides
        f.devWrite(FN_BASE_LO, 0, (int) BITMAP | BASE_VALID | BASE_PROTECT | 1 << 2);
        assertThat(dev.blocks(who, 0x1_0000_0000L, true)).isFalse();
        f.protect(BITMAP, 0x1_0000_0000L, true);
        assertThat(dev.blocks(who, 0x1_0000_0000L, false)).isTrue();
    }

    @Test
    void devMapPutsTheEngineInAnotherDomain() {
        f.busMaster();
        fill(SRC, 16, 0x31);
        f.enableDev(BITMAP, false);
        f.protect(BITMAP, DST, true);
        // map 0: bus 0, UNIT1 = 1 valid -> DOM1 = 1; domain 1 has no valid base: nothing blocked
        f.devWrite(FN_MAP, 0, 1 << 26 | 1 << 11 | 1 << 6);
        f.copy(SRC, DST, 16, false);
        assertThat(at(DST, 16)).isEqualTo(bytes(16, 0x31));
        // domain 1 with its own empty bitmap, protecting above 4 GiB only
        f.devWrite(FN_BASE_LO, 1, 0x140000 | BASE_VALID);
        assertThat(f.m.platform().dev.domain(f.m.platform().dmaEngine.requester())).isEqualTo(1);
        // UNIT0 = 1 valid -> DOM0 = 5: beyond N_DOMS, everything blocked (hvsim's fail-safe choice)
        f.devWrite(FN_MAP, 0, 5 << 20 | 1 << 5 | 1);
        fill(SRC, 16, 0x32);
        f.copy(SRC, DST + 0x8000, 16, false);
        assertThat(at(DST + 0x8000, 16)).isEqualTo(bytes(16, 0));
    }

    @Test
    void cpuWritesToAProtectedPageAlwaysLand() {
        f.enableDev(BITMAP, true);
        f.protect(BITMAP, DST, true);
        f.m.memory().write(DST + 8, 8, 0x1122334455667788L);
        assertThat(f.m.memory().read(DST + 8, 8)).isEqualTo(0x1122334455667788L);
        assertThat(f.m.platform().dev.blockedCount()).isZero();
    }

    @Test
    void unclaimedAddressesAbortWithoutTouchingTheDevLog() {
        f.busMaster();
        f.enableDev(BITMAP, false);
        long st = f.copy(0xffff_ffff_ffff_f000L, DST, 0x2000, false); // wraps past 2^64: unclaimed, then RAM
        assertThat(st & DmaEngine.ST_MASTER_ABORT).isNotZero();
        assertThat(Arrays.equals(at(DST, 0x1000), bytes(0x1000, 0xff))).isTrue(); // unclaimed: all ones
        assertThat(Arrays.equals(at(DST + 0x1000, 0x1000), at(0, 0x1000))).isTrue(); // wrapped to RAM at 0
        assertThat(f.devRead(FN_ERR_STATUS, 0)).isZero();
    }
}
