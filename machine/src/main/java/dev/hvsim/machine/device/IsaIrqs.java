package dev.hvsim.machine.device;

/**
 * ISA interrupt lines fanned out to both interrupt controllers, as on QEMU's PC: ISA IRQ n drives 8259
 * input n (n &lt; 16) and IOAPIC pin n, except IRQ 0 (the PIT), which drives IOAPIC pin 2 (the usual
 * interrupt source override of the MP/ACPI tables).
 */
public final class IsaIrqs {
    private final Pic8259 pic;
    private final IoApic ioapic;

    public IsaIrqs(Pic8259 pic, IoApic ioapic) {
        this.pic = pic;
        this.ioapic = ioapic;
    }

    /** The IOAPIC pin ISA IRQ {@code irq} is wired to. */
    public static int ioapicPin(int irq) {
        return irq == 0 ? 2 : irq;
    }

    public void set(int irq, boolean high) {
        if (irq < 16) {
            pic.setIrq(irq, high);
        }
        ioapic.setIrq(ioapicPin(irq), high);
    }

    /** Whether IRQ {@code irq} can reach a CPU through either controller. */
    public boolean routed(int irq) {
        return (irq < 16 && pic.unmasked(irq)) || ioapic.unmasked(ioapicPin(irq));
    }
}
