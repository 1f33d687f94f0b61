package dev.hvsim.machine.dma;

import static dev.hvsim.machine.device.DmaEngine.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.device.DmaEngine;
import org.junit.jupiter.api.Test;

/** The DMA engine's configuration space, registers, limits and INTx (DmaEngine Javadoc). */
class DmaEngineTest {
    private final DevFixture f = new DevFixture("intel-core");

    @Test
    void configurationSpaceAndBarSizing() {
        assertThat(f.cfgRead(0, DEVICE, 0, 0, 4)).isEqualTo(0xd3a01234L);
        assertThat(f.cfgRead(0, DEVICE, 0, 0x10, 4)).isEqualTo(BAR_ADDRESS);
        assertThat(f.cfgRead(0, DEVICE, 0, 0x3c, 2)).isEqualTo(0x0100L | IRQ);
        assertThat(f.reg(REG_ID)).isEqualTo(ID & 0xffffffffL);
        f.cfgWrite(0, DEVICE, 0, 0x10, 4, 0xffffffffL);
        assertThat(f.cfgRead(0, DEVICE, 0, 0x10, 4)).isEqualTo(0xfffff000L);
        assertThat(f.reg(REG_ID)).isEqualTo(0xffffffffL); // not decoding at another address
        f.cfgWrite(0, DEVICE, 0, 0x10, 4, BAR_ADDRESS);
        assertThat(f.reg(REG_ID)).isEqualTo(ID & 0xffffffffL);
        f.cfgWrite(0, DEVICE, 0, 4, 2, 0);
        assertThat(f.reg(REG_ID)).isEqualTo(0xffffffffL); // memory space off
    }

    @Test
    void noBusMasterNoTransfer() {
        f.m.memory().write(0x200000, 4, 0xdeadbeefL);
        assertThat(f.copy(0x200000, 0x300000, 4, false)).isEqualTo(ST_DONE | ST_NO_BUS_MASTER);
        assertThat(f.m.memory().read(0x300000, 4)).isZero();
    }

    @Test
    void copiesThroughTheDmaPathAndRefusesHugeLengths() {
        f.busMaster();
        f.m.memory().write(0x200ffc, 8, 0x0123456789abcdefL);
        long before = f.m.platform().dma.transfers();
        assertThat(f.copy(0x200ffc, 0x300000, 8, false)).isEqualTo(ST_DONE);
        assertThat(f.m.memory().read(0x300000, 8)).isEqualTo(0x0123456789abcdefL);
        assertThat(f.m.platform().dma.transfers() - before).isEqualTo(4); // split at the source page boundary
        assertThat(f.copy(0x200000, 0x300000, MAX_LENGTH + 1, false)).isEqualTo(ST_DONE | ST_BAD_LENGTH);
        assertThat(f.copy(0x200000, 0x300000, -1, false)).isEqualTo(ST_DONE | ST_BAD_LENGTH);
        assertThat(f.copy(0x200000, 0x300000, 0, false)).isEqualTo(ST_DONE);
    }

    @Test
    void dmaToMmioOrBeyondRamIsAMasterAbort() {
        f.busMaster();
        assertThat(f.copy(0x200000, 0xfee00000L, 4, false) & ST_MASTER_ABORT).isNotZero(); // local APIC page
        assertThat(f.copy(0x200000, 0x4000_0000_0000L, 4, false) & ST_MASTER_ABORT).isNotZero();
        assertThat(f.m.platform().dma.blockedPages()).isZero();
    }

    @Test
    void doneInterruptIsALevelOnIrq11UntilAcknowledged() {
        f.busMaster();
        assertThat(f.m.platform().dmaEngine.command() & 4).isEqualTo(4);
        // IOAPIC pin 11: level, vector 0x63, unmasked, destination APIC 0
        f.m.memory().write(0xfec00000L, 4, 0x10 + 2 * 11 + 1);
        f.m.memory().write(0xfec00010L, 4, 0);
        f.m.memory().write(0xfec00000L, 4, 0x10 + 2 * 11);
        f.m.memory().write(0xfec00010L, 4, 0x8063);
        f.copy(0x200000, 0x300000, 4, true);
        assertThat(f.reg(REG_INT_STATUS)).isEqualTo(1);
        assertThat(f.m.apic(0).pendingInterrupt()).isEqualTo(0x63);
        f.m.apic(0).acknowledge(0x63);
        f.setReg(REG_INT_STATUS, 1);
        assertThat(f.reg(REG_INT_STATUS)).isZero();
        f.m.apic(0).write(0xb0, 4, 0); // EOI: the line is low, nothing is redelivered
        assertThat(f.m.apic(0).pendingInterrupt()).isEqualTo(-1);
        f.copy(0x200000, 0x300000, 4, false); // no interrupt requested
        assertThat(f.reg(REG_INT_STATUS)).isZero();
        assertThat(DmaEngine.CMD_IRQ).isEqualTo(2);
    }
}
