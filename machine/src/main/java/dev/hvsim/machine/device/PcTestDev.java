package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;

/**
 * The interrupt part of QEMU's {@code pc-testdev} (hw/misc/pc-testdev.c, used by kvm-unit-tests): a write
 * of v to port 0x2000 + n sets ISA/IOAPIC interrupt line n to {@code v != 0} (24 ports, one per IOAPIC
 * pin). Lines are routed like QEMU's ISA interrupts ({@link IsaIrqs}), so line n reaches IOAPIC pin n
 * (pin 2 for n = 0) and, for n &lt; 16, 8259 input n. Reads return 0. The other pc-testdev ports (0xe0
 * data, 0xe4 page flush, the 0xff000000 MMIO window) are not modelled.
 */
public final class PcTestDev implements IoDevice {
    public static final int PORT = 0x2000, SIZE = 24;
    private final IsaIrqs irqs;

    public PcTestDev(IsaIrqs irqs) {
        this.irqs = irqs;
    }

    @Override
    public long in(int offset, int size) {
        return 0;
    }

    @Override
    public void out(int offset, int size, long value) {
        irqs.set(offset, value != 0);
    }
}
