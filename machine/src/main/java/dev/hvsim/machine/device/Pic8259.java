package dev.hvsim.machine.device;

import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.bus.IoDevice;

/**
 * The PC's cascaded pair of Intel 8259A programmable interrupt controllers: master at ports 0x20/0x21,
 * slave at 0xA0/0xA1 on the master's IR2 (8259A datasheet, "Programming the 8259A": ICW1..ICW4, OCW1..OCW3).
 * Register {@link #master()} and {@link #slave()} on the I/O bus.
 *
 * <p>Modelled: the initialisation sequence (ICW1 with or without ICW4, single or cascade, edge or level
 * (LTIM)), ICW2 vector base (bits 7:3), ICW4 automatic EOI, OCW1 interrupt mask, OCW2 non-specific and
 * specific EOI, OCW3 read IRR / read ISR, fully nested priority (IR0 highest), spurious IR7 / IR15 when
 * an INTA finds nothing. Not modelled: priority rotation, special mask mode, poll mode, buffered mode
 * (DEVIATIONS.md). Initial state (what a BIOS leaves): vector bases 0x08 and 0x70, every line masked.
 */
public final class Pic8259 implements LocalApic.ExtIntSource {
    /** One 8259A. */
    public final class Chip implements IoDevice {
        int irr, isr, imr = 0xff, base, lines;
        int icwStep;
        boolean needIcw4, single, levelTriggered, autoEoi, readIsr;

        Chip(int base) {
            this.base = base;
        }

        @Override
        public long in(int offset, int size) {
            if ((offset & 1) == 0) {
                return readIsr ? isr : irr;
            }
            return imr;
        }

        @Override
        public void out(int offset, int size, long value) {
            int v = (int) value & 0xff;
            if ((offset & 1) == 0) {
                command(v);
            } else {
                data(v);
            }
            changed();
        }

        private void command(int v) {
            if ((v & 0x10) != 0) { // ICW1
                needIcw4 = (v & 1) != 0;
                single = (v & 2) != 0;
                levelTriggered = (v & 8) != 0;
                imr = 0;
                isr = 0;
                irr = 0;
                autoEoi = false;
                readIsr = false;
                icwStep = 2;
            } else if ((v & 0x08) != 0) { // OCW3
                if ((v & 2) != 0) {
                    readIsr = (v & 1) != 0;
                }
            } else { // OCW2
                int cmd = v >>> 5;
                if (cmd == 1 || cmd == 5) { // non-specific EOI (rotation not modelled)
                    int h = lowestBit(isr); // the highest-priority in-service level
                    if (h >= 0) {
                        isr &= ~(1 << h);
                    }
                } else if (cmd == 3 || cmd == 7) { // specific EOI
                    isr &= ~(1 << (v & 7));
                }
            }
        }

        private void data(int v) {
            switch (icwStep) {
                case 2:
                    base = v & 0xf8;
                    icwStep = single ? (needIcw4 ? 4 : 0) : 3;
                    break;
                case 3: icwStep = needIcw4 ? 4 : 0; break; // ICW3: the cascade wiring is fixed
                case 4: autoEoi = (v & 2) != 0; icwStep = 0; break;
                default: imr = v; // OCW1
            }
        }

        void setLine(int line, boolean high) {
            int bit = 1 << line;
            if (levelTriggered) {
                irr = high ? irr | bit : irr & ~bit;
            } else if (high && (lines & bit) == 0) {
                irr |= bit; // rising edge
            }
            lines = high ? lines | bit : lines & ~bit;
        }

        /** The requested line that would be serviced next, or -1 (fully nested mode). */
        int pendingLine() {
            int req = irr & ~imr;
            if (this == master && slaveChip.pendingLine() >= 0 && (imr & 4) == 0) {
                req |= 4;
            }
            int h = lowestBit(req);
            if (h < 0) {
                return -1;
            }
            int inService = lowestBit(isr);
            return inService >= 0 && inService <= h ? -1 : h;
        }

        /** INTA for {@code line}: IRR to ISR (unless automatic EOI); returns the vector. */
        int ack(int line) {
            int bit = 1 << line;
            if (!levelTriggered) {
                irr &= ~bit;
            }
            if (!autoEoi) {
                isr |= bit;
            }
            return base + line;
        }

        public int imr() { return imr; }
        public int isr() { return isr; }
        public int irr() { return irr; }
        public int vectorBase() { return base; }
    }

    private final Chip master = new Chip(0x08);
    private final Chip slaveChip = new Chip(0x70);
    private final Runnable onChange;

    /** {@code onChange} runs when INTR may have changed (it signals the BSP). */
    public Pic8259(Runnable onChange) {
        this.onChange = onChange;
    }

    public Chip master() { return master; }
    public Chip slave() { return slaveChip; }

    /** Sets ISA IRQ line {@code irq} (0..15): 0..7 on the master, 8..15 on the slave. */
    public void setIrq(int irq, boolean high) {
        if (irq < 8) {
            master.setLine(irq, high);
        } else if (irq < 16) {
            slaveChip.setLine(irq - 8, high);
        }
        changed();
    }

    /** Whether IRQ {@code irq} is unmasked (on the slave: also the cascade line on the master). */
    public boolean unmasked(int irq) {
        if (irq < 8) {
            return (master.imr & (1 << irq)) == 0;
        }
        return (slaveChip.imr & (1 << (irq - 8))) == 0 && (master.imr & 4) == 0;
    }

    private void changed() {
        onChange.run();
    }

    @Override
    public boolean intr() {
        return master.pendingLine() >= 0;
    }

    @Override
    public int pendingVector() {
        int line = master.pendingLine();
        if (line < 0) {
            return master.base + 7; // spurious IR7
        }
        if (line == 2) {
            int s = slaveChip.pendingLine();
            return s < 0 ? slaveChip.base + 7 : slaveChip.base + s;
        }
        return master.base + line;
    }

    @Override
    public void acknowledge() {
        int line = master.pendingLine();
        if (line < 0) {
            return; // spurious: no ISR bit is set
        }
        if (line == 2) {
            int s = slaveChip.pendingLine();
            master.ack(2);
            if (s >= 0) {
                slaveChip.ack(s);
            }
            return;
        }
        master.ack(line);
    }

    private static int lowestBit(int v) {
        return v == 0 ? -1 : Integer.numberOfTrailingZeros(v);
    }
}
