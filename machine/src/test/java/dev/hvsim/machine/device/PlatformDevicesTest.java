package dev.hvsim.machine.device;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.Timebase;
import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.bus.IoPortBus;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The chipset devices through the machine's buses: 8259 pair, 8254, IOAPIC, PCI host bridge, fw_cfg,
 * CMOS/RTC and pc-testdev (the datasheet and QEMU facts are in each class's Javadoc).
 */
class PlatformDevicesTest {
    private final Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), new ByteArrayOutputStream())
            .withCpus(2));
    private final IoPortBus io = m.io();
    private final LocalApic bsp = m.apic(0);

    private void picInit() {
        io.out(0x20, 1, 0x11);
        io.out(0xa0, 1, 0x11);
        io.out(0x21, 1, 0x20);
        io.out(0xa1, 1, 0x28);
        io.out(0x21, 1, 4);
        io.out(0xa1, 1, 2);
        io.out(0x21, 1, 1);
        io.out(0xa1, 1, 1);
    }

    @Test
    void picMasksAcknowledgesAndCascades() {
        picInit();
        assertThat(io.in(0x21, 1)).isZero();
        io.out(0x21, 1, 0xff);
        io.out(0xa1, 1, 0xff);
        assertThat(io.in(0x21, 1)).isEqualTo(0xffL);
        m.platform().pic.setIrq(3, true);
        assertThat(bsp.pendingInterrupt()).isEqualTo(-1); // masked
        io.out(0x21, 1, 0xf7);
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x23);
        bsp.acknowledge(0x23);
        io.out(0x20, 1, 0x0b); // OCW3: read ISR
        assertThat(io.in(0x20, 1)).isEqualTo(8L);
        io.out(0x20, 1, 0x20); // non-specific EOI
        assertThat(io.in(0x20, 1)).isZero();
        io.out(0x21, 1, 0xfb);
        io.out(0xa1, 1, 0xfe);
        m.platform().pic.setIrq(8, true);
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x28);
    }

    /** 8259A datasheet, OCW2: rotate on non-specific EOI, set priority, rotate on specific EOI. */
    @Test
    void picPriorityRotation() {
        picInit();
        io.out(0x21, 1, 0x00);
        m.platform().pic.setIrq(3, true);
        m.platform().pic.setIrq(5, true);
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x23);
        bsp.acknowledge(0x23);
        io.out(0x20, 1, 0xa0);                     // rotate on non-specific EOI: IR3 becomes the lowest
        m.platform().pic.setIrq(3, false);
        m.platform().pic.setIrq(3, true);          // a new edge on IR3: now below IR5 (IR4 is the highest)
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x25);
        bsp.acknowledge(0x25);
        assertThat(bsp.pendingInterrupt()).isEqualTo(-1); // IR3 has lower priority than IR5 in service
        io.out(0x20, 1, 0x65);                     // specific EOI for IR5
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x23);
        io.out(0x20, 1, 0xc2);                     // set priority: IR2 lowest, IR3 highest
        m.platform().pic.setIrq(1, true);
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x23);
        bsp.acknowledge(0x23);
        io.out(0x20, 1, 0xe3);                     // rotate on specific EOI of IR3: IR4 highest, IR1 before IR3
        assertThat(m.platform().pic.master().isr()).isZero();
        m.platform().pic.setIrq(3, false);
        m.platform().pic.setIrq(3, true);
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x21);
        io.out(0x20, 1, 0x11);                     // ICW1 resets the priorities (IR0 highest)
        assertThat(m.platform().pic.master().vectorBase()).isEqualTo(0x20);
    }

    /** PIIX ELCR (0x4D0/0x4D1): per-IRQ level triggering; IRQ 0, 1, 2, 8, 13 stay edge. */
    @Test
    void elcrMakesSingleLinesLevelTriggered() {
        picInit();
        io.out(0x4d0, 1, 0xff);
        io.out(0x4d1, 1, 0xff);
        assertThat(io.in(0x4d0, 1)).isEqualTo(0xf8L);
        assertThat(io.in(0x4d1, 1)).isEqualTo(0xdeL);
        io.out(0x4d0, 1, 0x20);                    // IRQ 5 level, IRQ 3 edge
        io.out(0x4d1, 1, 0);
        io.out(0x21, 1, 0x00);
        m.platform().pic.setIrq(5, true);
        bsp.acknowledge(bsp.pendingInterrupt());
        io.out(0x20, 1, 0x20);
        assertThat(m.platform().pic.master().irr() & 0x20).as("level: IRR follows the line").isNotZero();
        m.platform().pic.setIrq(5, false);
        assertThat(m.platform().pic.master().irr() & 0x20).isZero();
        m.platform().pic.setIrq(3, true);
        bsp.acknowledge(bsp.pendingInterrupt());
        assertThat(m.platform().pic.master().irr() & 0x08).as("edge: IRR cleared by INTA").isZero();
    }

    private long pitTicks() {
        return Timebase.ticks(m.cpu().cycles(), Timebase.PIT_HZ);
    }

    private void pitAdvance(long ticks) {
        long target = Timebase.cyclesFor(pitTicks() + ticks, Timebase.PIT_HZ);
        m.cpu().addCycles(target - m.cpu().cycles());
    }

    private int pitCount() {
        return (int) io.in(0x40, 1) | (int) io.in(0x40, 1) << 8;
    }

    /** 8254 datasheet: read-back status (OUT, NULL COUNT, RW, mode, BCD) and count, in that order. */
    @Test
    void pitReadBackAndModeWaveforms() {
        picInit();
        io.out(0x21, 1, 0xfe);
        io.out(0x43, 1, 0x38);                     // channel 0, LSB then MSB, mode 4
        io.out(0x43, 1, 0xe2);                     // read back the status of channel 0
        assertThat(io.in(0x40, 1)).isEqualTo(0xf8L); // OUT high, null count, RW 3, mode 4
        long t0 = pitTicks();
        io.out(0x40, 1, 100);
        io.out(0x40, 1, 0);
        io.out(0x43, 1, 0xe2);
        assertThat(io.in(0x40, 1)).isEqualTo(0xb8L); // count loaded
        assertThat(m.platform().pit.deadline()).isEqualTo(Timebase.cyclesFor(t0 + 101, Timebase.PIT_HZ));
        pitAdvance(100);
        io.out(0x43, 1, 0xe2);
        assertThat(io.in(0x40, 1) & 0x80).as("mode 4: OUT low for the clock at terminal count").isZero();

        io.out(0x43, 1, 0x32);                     // mode 1: waits for a gate trigger that never comes
        io.out(0x40, 1, 100);
        io.out(0x40, 1, 0);
        assertThat(m.platform().pit.deadline()).isEqualTo(Long.MAX_VALUE);
        pitAdvance(500);
        io.out(0x43, 1, 0xc2);                     // read back status and count
        assertThat(io.in(0x40, 1)).isEqualTo(0xf2L); // OUT high, null count (not triggered), RW 3, mode 1
        assertThat(pitCount()).isEqualTo(100);

        io.out(0x43, 1, 0x36);                     // mode 3, count 10: by 2 per clock, 5 clocks high, 5 low
        io.out(0x40, 1, 10);
        io.out(0x40, 1, 0);
        pitAdvance(3);
        io.out(0x43, 1, 0xc2);
        assertThat(io.in(0x40, 1)).isEqualTo(0xb6L); // OUT high, RW 3, mode 3
        assertThat(pitCount()).isEqualTo(4);
        pitAdvance(3);
        io.out(0x43, 1, 0xc2);
        assertThat(io.in(0x40, 1) & 0x80).as("mode 3: second half low").isZero();
        assertThat(pitCount()).isEqualTo(8);

        io.out(0x43, 1, 0x34);                     // mode 2, count 10: OUT low only while the count is 1
        io.out(0x40, 1, 10);
        io.out(0x40, 1, 0);
        pitAdvance(8);
        io.out(0x43, 1, 0xe2);
        assertThat(io.in(0x40, 1) & 0x80).isEqualTo(0x80L);
        pitAdvance(1);
        io.out(0x43, 1, 0xc2);
        assertThat(io.in(0x40, 1) & 0x80).isZero();
        assertThat(pitCount()).isEqualTo(1);
    }

    @Test
    void pitCountsFromModelledTimeAndRaisesIrq0() {
        picInit();
        io.out(0x21, 1, 0xfe);
        io.out(0x43, 1, 0x34);
        io.out(0x40, 1, 1193 & 0xff);
        io.out(0x40, 1, 1193 >> 8);
        long deadline = m.platform().pit.deadline();
        assertThat(deadline).isEqualTo(Timebase.cyclesFor(1193, Timebase.PIT_HZ));
        m.cpu().addCycles(deadline);
        m.platform().pit.tick();
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x20);
        io.out(0x43, 1, 0x00); // latch
        int lo = (int) io.in(0x40, 1), hi = (int) io.in(0x40, 1);
        assertThat(lo | hi << 8).isBetween(1, 1193);
    }

    @Test
    void ioapicEdgeLevelAndRemoteIrr() {
        IoApic ioapic = m.platform().ioapic;
        ioapic.write(0, 4, 1);
        assertThat(ioapic.read(0x10, 4)).isEqualTo(0x00170011L);
        ioapic.write(0, 4, 0x10 + 2 * 5);
        ioapic.write(0x10, 4, 0x8055); // level, vector 0x55
        io.out(0x2005, 1, 1);          // pc-testdev line 5
        assertThat(bsp.pendingInterrupt()).isEqualTo(0x55);
        assertThat(ioapic.entry(5) & IoApic.REMOTE_IRR).isNotZero();
        bsp.acknowledge(0x55);
        io.out(0x2005, 1, 0);
        bsp.write(LocalApic.EOI, 4, 0);
        assertThat(ioapic.entry(5) & IoApic.REMOTE_IRR).isZero();
        // edge to APIC 1
        ioapic.write(0, 4, 0x10 + 2 * 6 + 1);
        ioapic.write(0x10, 4, 1L << 24);
        ioapic.write(0, 4, 0x10 + 2 * 6);
        ioapic.write(0x10, 4, 0x56);
        io.out(0x2006, 1, 1);
        assertThat(m.apic(1).pendingInterrupt()).isEqualTo(0x56);
        assertThat(ioapic.read(0x10, 2)).isZero(); // bad size
    }

    @Test
    void pciHostBridge() {
        io.out(0xcf8, 4, 0x80000000L);
        assertThat(io.in(0xcfc, 4)).isEqualTo(0x12378086L);
        assertThat(io.in(0xcfe, 2)).isEqualTo(0x1237L);
        io.out(0xcf8, 4, 0x80000008L);
        assertThat(io.in(0xcfc, 4) >>> 8).isEqualTo(0x060000L);
        io.out(0xcf8, 4, 0x80000000L); // vendor ID is read-only
        io.out(0xcfc, 2, 0);
        assertThat(io.in(0xcfc, 2)).isEqualTo(0x8086L);
        io.out(0xcf8, 4, 0x80010000L); // bus 1
        assertThat(io.in(0xcfc, 4)).isEqualTo(0xffffffffL);
        io.out(0xcf8, 4, 0x00000000L); // disabled
        assertThat(io.in(0xcfc, 4)).isEqualTo(0xffffffffL);
    }

    private long fwcfg(int key, int bytes) {
        io.out(0x510, 2, key);
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= io.in(0x511, 1) << (8 * i);
        }
        return v;
    }

    @Test
    void fwCfgItems() {
        assertThat(fwcfg(0x00, 4)).isEqualTo(0x554d4551L);
        assertThat(fwcfg(0x01, 4)).isEqualTo(1L);
        assertThat(fwcfg(0x05, 2)).isEqualTo(2L);
        assertThat(fwcfg(0x03, 8)).isEqualTo(128L << 20);
        assertThat(fwcfg(0x11, 8)).isZero();
        assertThat(fwcfg(0x1234, 4)).isZero();
    }

    private int cmos(int reg) {
        io.out(0x70, 1, reg);
        return (int) io.in(0x71, 1);
    }

    @Test
    void cmosValuesAreSaneAndDeterministic() {
        assertThat(cmos(0x0a)).isEqualTo(0x26);
        assertThat(cmos(0x0b)).isEqualTo(0x02);
        assertThat(cmos(0x0d)).isEqualTo(0x80);
        assertThat(cmos(0x15) | cmos(0x16) << 8).isEqualTo(640);
        assertThat(cmos(0x17) | cmos(0x18) << 8).isEqualTo(0xffff); // 127 MiB, capped at 0xFFFF KiB
        assertThat(cmos(0x34) | cmos(0x35) << 8).isEqualTo((128 - 16) * 16); // above 16 MiB in 64 KiB units
        assertThat(cmos(0x5f)).isEqualTo(1);
        assertThat(cmos(0x09)).isEqualTo(0x00);
        assertThat(cmos(0x32)).isEqualTo(0x20);
        assertThat(cmos(0x00)).isEqualTo(0x00);
        m.cpu().addCycles(61 * Timebase.CORE_HZ);
        assertThat(cmos(0x00)).isEqualTo(0x01);
        assertThat(cmos(0x02)).isEqualTo(0x01);
        io.out(0x70, 1, 0x40);
        io.out(0x71, 1, 0x5a);
        assertThat(cmos(0x40)).isEqualTo(0x5a);
    }
}
