package dev.hvsim.machine.device;

import dev.hvsim.machine.apic.LocalApic;
import dev.hvsim.machine.bus.IoDevice;

/**
 * The PC's cascaded pair of Intel 8259A programmable interrupt controllers: master at ports 0x20/0x21,
 * slave at 0xA0/0xA1 on the master's IR2 (8259A datasheet, "Programming the 8259A": ICW1..ICW4, OCW1..OCW3).
 * Register {@link #master()} and {@link #slave()} on the I/O bus.
 *
 * <p>Modelled: the initialisation sequence (ICW1 with or without ICW4, single or cascade, edge or level
 * (LTIM)), ICW2 vector base (bits 7:3), ICW4 automatic EOI, OCW1 interrupt mask, OCW2 (datasheet, "Operation
 * Command Words", R/SL/EOI bits 7:5): non-specific and specific EOI, rotate on non-specific EOI, rotate on
 * specific EOI, set priority, rotate in automatic EOI mode set/clear; OCW3 read IRR / read ISR; priority
 * (IR0 highest after ICW1, rotated by the commands above: the lowest-priority level is the last one
 * rotated); spurious IR7 / IR15 when an INTA finds nothing; the PIIX edge/level control registers (ELCR,
 * {@link #elcr()}, ports 0x4D0/0x4D1: bit n = IRQ n level-triggered; IRQ 0, 1, 2, 8 and 13 are always
 * edge, as on the PIIX and in QEMU). Not modelled: special mask mode, poll mode, buffered mode
 * (DEVIATIONS.md). Initial state (what a BIOS leaves): vector bases 0x08 and 0x70, every line masked.
 */
public final class Pic8259 implements dev.hvsim.x86core.Snapshottable, LocalApic.ExtIntSource {
    /** One 8259A. */
    public final class Chip implements IoDevice {
        int irr, isr, imr = 0xff, base, lines;
        /** The level with the lowest priority (7 after ICW1: IR0 highest); rotation moves it. */
        int lowest = 7;
        /** ELCR bits of this chip's lines (1 = level-triggered) and the bits that may be set. */
        int elcr;
        private final int elcrWritable;
        int icwStep;
        boolean needIcw4, single, levelTriggered, autoEoi, rotateAutoEoi, readIsr;

        int[] save() {
            return new int[] {irr, isr, imr, base, lines, lowest, elcr, icwStep, needIcw4 ? 1 : 0, single ? 1 : 0,
                levelTriggered ? 1 : 0, autoEoi ? 1 : 0, rotateAutoEoi ? 1 : 0, readIsr ? 1 : 0};
        }

        void load(int[] v) {
            irr = v[0]; isr = v[1]; imr = v[2]; base = v[3]; lines = v[4]; lowest = v[5]; elcr = v[6]; icwStep = v[7];
            needIcw4 = v[8] != 0; single = v[9] != 0; levelTriggered = v[10] != 0; autoEoi = v[11] != 0;
            rotateAutoEoi = v[12] != 0; readIsr = v[13] != 0;
        }

        Chip(int base, int elcrWritable) {
            this.base = base;
            this.elcrWritable = elcrWritable;
        }

        private boolean level(int bit) {
            return levelTriggered || (elcr & bit) != 0;
        }

        /** The set bit of {@code v} with the highest priority (the first after {@link #lowest}), or -1. */
        private int highest(int v) {
            for (int k = 1; k <= 8; k++) {
                int line = (lowest + k) & 7;
                if ((v & (1 << line)) != 0) {
                    return line;
                }
            }
            return -1;
        }

        /** 0 = highest priority, 7 = lowest. */
        private int priority(int line) {
            return (line - lowest - 1) & 7;
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
                rotateAutoEoi = false;
                readIsr = false;
                lowest = 7;
                icwStep = 2;
            } else if ((v & 0x08) != 0) { // OCW3
                if ((v & 2) != 0) {
                    readIsr = (v & 1) != 0;
                }
            } else {
                ocw2(v >>> 5, v & 7);
            }
        }

        /** OCW2 with R/SL/EOI = {@code cmd} and level {@code l}. */
        private void ocw2(int cmd, int l) {
            switch (cmd) {
                case 1: case 5: { // non-specific EOI; 5: and rotate (the level becomes the lowest)
                    int h = highest(isr); // the highest-priority in-service level
                    if (h >= 0) {
                        isr &= ~(1 << h);
                        if (cmd == 5) {
                            lowest = h;
                        }
                    }
                    break;
                }
                case 3: isr &= ~(1 << l); break;                  // specific EOI
                case 7: isr &= ~(1 << l); lowest = l; break;      // rotate on specific EOI
                case 6: lowest = l; break;                        // set priority
                case 4: rotateAutoEoi = true; break;              // rotate in automatic EOI mode (set)
                case 0: rotateAutoEoi = false; break;             // rotate in automatic EOI mode (clear)
                default: break;                                   // 2: no operation
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
            if (level(bit)) {
                irr = high ? irr | bit : irr & ~bit;
            } else if (high && (lines & bit) == 0) {
                irr |= bit; // rising edge
            }
            lines = high ? lines | bit : lines & ~bit;
        }

        /** The requested line that would be serviced next, or -1 (nested by the current priorities). */
        int pendingLine() {
            int req = irr & ~imr;
            if (this == master && slaveChip.pendingLine() >= 0 && (imr & 4) == 0) {
                req |= 4;
            }
            int h = highest(req);
            if (h < 0) {
                return -1;
            }
            int inService = highest(isr);
            return inService >= 0 && priority(inService) <= priority(h) ? -1 : h;
        }

        /** INTA for {@code line}: IRR to ISR (unless automatic EOI); returns the vector. */
        int ack(int line) {
            int bit = 1 << line;
            if (!level(bit)) {
                irr &= ~bit;
            }
            if (!autoEoi) {
                isr |= bit;
            } else if (rotateAutoEoi) {
                lowest = line; // rotate in automatic EOI mode: the serviced level becomes the lowest
            }
            return base + line;
        }

        public int imr() { return imr; }
        public int isr() { return isr; }
        public int irr() { return irr; }
        public int vectorBase() { return base; }
    }

    /** The ELCR pair at 0x4D0 (IRQ 0..7) and 0x4D1 (IRQ 8..15). */
    private final class Elcr implements IoDevice {
        @Override
        public long in(int offset, int size) {
            return (offset & 1) == 0 ? master.elcr : slaveChip.elcr;
        }

        @Override
        public void out(int offset, int size, long value) {
            Chip c = (offset & 1) == 0 ? master : slaveChip;
            c.elcr = (int) value & c.elcrWritable;
            changed();
        }
    }

    /** First ELCR port; {@link #elcr()} covers two. */
    public static final int ELCR_PORT = 0x4d0;
    private final Chip master = new Chip(0x08, 0xf8);
    private final Chip slaveChip = new Chip(0x70, 0xde);
    private final IoDevice elcr = new Elcr();
    private final Runnable onChange;

    /** {@code onChange} runs when INTR may have changed (it signals the BSP). */
    public Pic8259(Runnable onChange) {
        this.onChange = onChange;
    }

    public Chip master() { return master; }
    public Chip slave() { return slaveChip; }

    /** The edge/level control registers, two ports at {@link #ELCR_PORT}. */
    public IoDevice elcr() { return elcr; }

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

    /** Both chips' registers, initialisation sequence state and input lines. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int[] m = master.save(), sl = slaveChip.save();
        return () -> {
            master.load(m);
            slaveChip.load(sl);
        };
    }
}
