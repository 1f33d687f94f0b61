package dev.hvsim.machine.device;

import dev.hvsim.machine.Timebase;
import dev.hvsim.machine.bus.IoDevice;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Intel 8254 programmable interval timer at ports 0x40..0x43 (8254 datasheet: control word format,
 * read/write operations, counter latch command, modes 0..5). Counts at {@link Timebase#PIT_HZ} from the
 * machine's modelled clock ({@code now}, in core cycles), so it is deterministic.
 *
 * <p>Channel 0's OUT drives ISA IRQ 0: mode 0 (interrupt on terminal count) raises it once when the count
 * reaches 0; modes 2 (rate generator) and 3 (square wave) raise it once per period (an edge per period is
 * all an edge-triggered PIC or IOAPIC sees). Channels 1 and 2 count but drive nothing. Modelled: access
 * modes LSB, MSB, LSB-then-MSB, the counter latch command, reload value 0 meaning 65536. Not modelled: BCD
 * counting, the read-back command, gates, modes 1, 4 and 5 (they count like mode 0), port 0x61
 * (DEVIATIONS.md). Until the guest programs channel 0 it raises nothing (QEMU's BIOS starts it at 18.2 Hz).
 */
public final class Pit8254 implements IoDevice {
    public static final int PORT = 0x40, SIZE = 4;

    private static final class Channel {
        int mode, access = 3, reload = 0x10000;
        long startTicks;
        boolean programmed;
        boolean writeHigh, readHigh;
        int latched = -1;
        int partial;
        long periodsRaised;
    }

    private final Channel[] ch = {new Channel(), new Channel(), new Channel()};
    private final LongSupplier now;
    private final IrqLine irq0;
    private final BooleanSupplier irq0Routed;

    /** An interrupt line a device drives. */
    public interface IrqLine {
        void set(boolean high);
    }

    /**
     * @param now        the machine's modelled time in core cycles
     * @param irq0       channel 0's output
     * @param irq0Routed whether IRQ 0 can reach a CPU (unmasked at the PIC or the IOAPIC); when it cannot,
     *                   the machine need not stop at the PIT's deadlines
     */
    public Pit8254(LongSupplier now, IrqLine irq0, BooleanSupplier irq0Routed) {
        this.now = now;
        this.irq0 = irq0;
        this.irq0Routed = irq0Routed;
    }

    private long ticksNow() {
        return Timebase.ticks(now.getAsLong(), Timebase.PIT_HZ);
    }

    /** The counter's value now. */
    private int count(Channel c) {
        long elapsed = ticksNow() - c.startTicks;
        if (c.mode == 2 || c.mode == 3) {
            return (int) (c.reload - elapsed % c.reload) & 0xffff;
        }
        return (int) ((c.reload - elapsed) & 0xffff); // mode 0 wraps after terminal count
    }

    @Override
    public long in(int offset, int size) {
        if (offset == 3) {
            return 0xff; // the control word register cannot be read
        }
        Channel c = ch[offset];
        int v = c.latched >= 0 ? c.latched : count(c);
        int b;
        if (c.access == 1) {
            b = v & 0xff;
        } else if (c.access == 2) {
            b = v >>> 8;
        } else {
            b = c.readHigh ? v >>> 8 : v & 0xff;
            c.readHigh = !c.readHigh;
        }
        if (c.latched >= 0 && (c.access != 3 || !c.readHigh)) {
            c.latched = -1; // the latch is released once read completely
        }
        return b & 0xff;
    }

    @Override
    public void out(int offset, int size, long value) {
        int v = (int) value & 0xff;
        if (offset == 3) {
            control(v);
            return;
        }
        Channel c = ch[offset];
        if (c.access == 1) {
            load(c, v);
        } else if (c.access == 2) {
            load(c, v << 8);
        } else if (!c.writeHigh) {
            c.partial = v;
            c.writeHigh = true;
        } else {
            c.writeHigh = false;
            load(c, c.partial | v << 8);
        }
    }

    private void control(int v) {
        int sc = v >>> 6;
        if (sc == 3) {
            return; // read-back command: not modelled
        }
        Channel c = ch[sc];
        int access = (v >>> 4) & 3;
        if (access == 0) {
            c.latched = count(c); // counter latch command
            c.readHigh = false;
            return;
        }
        c.access = access;
        c.mode = (v >>> 1) & 7;
        if (c.mode > 5) {
            c.mode -= 4; // 6 and 7 are aliases of 2 and 3
        }
        c.writeHigh = false;
        c.readHigh = false;
        c.latched = -1;
        c.programmed = false;
        if (sc == 0) {
            irq0.set(c.mode != 0); // mode 0: OUT goes low on the control word; the others start high
        }
    }

    private void load(Channel c, int value) {
        c.reload = value == 0 ? 0x10000 : value;
        c.startTicks = ticksNow();
        c.programmed = true;
        c.periodsRaised = 0;
        if (c == ch[0]) {
            irq0.set(false);
        }
    }

    /** The modelled time (core cycles) of channel 0's next interrupt, or {@link Long#MAX_VALUE}. */
    public long deadline() {
        Channel c = ch[0];
        if (!c.programmed || !irq0Routed.getAsBoolean()) {
            return Long.MAX_VALUE;
        }
        boolean periodic = c.mode == 2 || c.mode == 3;
        if (!periodic && c.periodsRaised > 0) {
            return Long.MAX_VALUE;
        }
        return Timebase.cyclesFor(c.startTicks + (c.periodsRaised + 1) * c.reload, Timebase.PIT_HZ);
    }

    /** Raises IRQ 0 if channel 0's deadline has passed (missed periods are merged into one edge). */
    public void tick() {
        Channel c = ch[0];
        if (!c.programmed) {
            return;
        }
        long t = now.getAsLong();
        long due = Timebase.cyclesFor(c.startTicks + (c.periodsRaised + 1) * c.reload, Timebase.PIT_HZ);
        boolean periodic = c.mode == 2 || c.mode == 3;
        if (t < due || (!periodic && c.periodsRaised > 0)) {
            return;
        }
        c.periodsRaised = periodic ? (ticksNow() - c.startTicks) / c.reload : 1;
        irq0.set(false);
        irq0.set(true);
        if (periodic) {
            irq0.set(false);
        }
    }
}
