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
 * <p>Channel 0's OUT drives ISA IRQ 0. The gates of channels 0 and 1 are tied high on a PC, so:
 * <ul>
 *   <li>mode 0 (interrupt on terminal count): OUT goes low with the control word and rises when the count
 *       reaches 0: one interrupt; the counter then wraps;</li>
 *   <li>modes 1 (hardware retriggerable one-shot) and 5 (hardware triggered strobe) wait for a rising
 *       edge of the gate, which never comes: OUT stays high, the count stays at its initial value, no
 *       interrupt (QEMU counts them from the load instead: DEVIATIONS.md);</li>
 *   <li>mode 2 (rate generator): OUT is low for the one clock when the count is 1, then the count reloads:
 *       one interrupt per period;</li>
 *   <li>mode 3 (square wave): the count goes down by 2 per clock, OUT is high for the first ceil(N/2)
 *       clocks of a period and low for the rest: one interrupt (rising edge) per period;</li>
 *   <li>mode 4 (software triggered strobe): OUT stays high, goes low for one clock at terminal count and
 *       rises again: one interrupt, one clock after the count reached 0; the counter then wraps.</li>
 * </ul>
 * An edge per period is all an edge-triggered PIC or IOAPIC sees. Channels 1 and 2 count but drive nothing.
 * Modelled: access modes LSB, MSB, LSB-then-MSB, the counter latch command, the read-back command (latch
 * the count and/or the status byte of any channels: OUT, NULL COUNT, access mode, mode, BCD; status is
 * read first), reload value 0 meaning 65536. Not modelled: BCD counting (the bit is stored and reported),
 * the channel 2 gate and port 0x61 (DEVIATIONS.md). Until the guest programs channel 0 it raises nothing
 * (QEMU's BIOS starts it at 18.2 Hz).
 */
public final class Pit8254 implements dev.hvsim.x86core.Snapshottable, IoDevice {
    public static final int PORT = 0x40, SIZE = 4;

    private static final class Channel {
        int mode, access = 3, reload = 0x10000;
        long startTicks;
        boolean programmed, bcd;
        /** A latched status byte (read-back command), read before any latched count; -1 when none. */
        int status = -1;
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

    private static boolean gateTriggered(Channel c) {
        return c.mode != 1 && c.mode != 5; // the gate is tied high: no trigger edge ever arrives
    }

    /** The counter's value now. */
    private int count(Channel c) {
        long elapsed = ticksNow() - c.startTicks;
        switch (c.mode) {
            case 1: case 5: return c.reload & 0xffff; // never triggered
            case 2: return (int) (c.reload - elapsed % c.reload) & 0xffff;
            case 3: { // by 2 per clock in each half; an odd count loses 1 more in the high half, 3 in the low
                long pos = elapsed % c.reload, high = (c.reload + 1) / 2, odd = c.reload & 1;
                long v = pos < high ? c.reload - odd - 2 * pos : c.reload - 3 * odd - 2 * (pos - high);
                return (int) Math.max(v, 0) & 0xffff;
            }
            default: return (int) ((c.reload - elapsed) & 0xffff); // modes 0 and 4 wrap after terminal count
        }
    }

    /** The OUT pin now (8254 datasheet, mode waveforms). */
    private boolean out(Channel c) {
        if (!c.programmed) {
            return c.mode != 0;
        }
        long elapsed = ticksNow() - c.startTicks;
        switch (c.mode) {
            case 0: return elapsed >= c.reload;
            case 2: return elapsed % c.reload != c.reload - 1;
            case 3: return elapsed % c.reload < (c.reload + 1) / 2;
            case 4: return elapsed != c.reload;
            default: return true; // modes 1 and 5: waiting for a trigger
        }
    }

    /** Read-back status byte: OUT (7), NULL COUNT (6), access mode (5:4), mode (3:1), BCD (0). */
    private int statusByte(Channel c) {
        boolean nullCount = !c.programmed || !gateTriggered(c);
        return (out(c) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | c.access << 4 | c.mode << 1 | (c.bcd ? 1 : 0);
    }

    @Override
    public long in(int offset, int size) {
        if (offset == 3) {
            return 0xff; // the control word register cannot be read
        }
        Channel c = ch[offset];
        if (c.status >= 0) {
            int st = c.status;
            c.status = -1;
            return st;
        }
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
            readBack(v);
            return;
        }
        Channel c = ch[sc];
        int access = (v >>> 4) & 3;
        if (access == 0) {
            c.latched = count(c); // counter latch command
            c.readHigh = false;
            return;
        }
        c.access = access;
        c.bcd = (v & 1) != 0;
        c.status = -1;
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

    /**
     * Read-back command (11 COUNT# STATUS# CNT2 CNT1 CNT0 0): latches the count (bit 5 = 0) and/or the status
     * (bit 4 = 0) of each selected channel; a latch that has not been read yet is kept.
     */
    private void readBack(int v) {
        for (int i = 0; i < 3; i++) {
            if ((v & (2 << i)) == 0) {
                continue;
            }
            Channel c = ch[i];
            if ((v & 0x20) == 0 && c.latched < 0) {
                c.latched = count(c);
                c.readHigh = false;
            }
            if ((v & 0x10) == 0 && c.status < 0) {
                c.status = statusByte(c);
            }
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

    /** The tick (from the load) at which OUT first rises: the terminal count, one clock later in mode 4. */
    private static long firstEdge(Channel c) {
        return c.mode == 4 ? c.reload + 1L : c.reload;
    }

    /** The modelled time (core cycles) of channel 0's next interrupt, or {@link Long#MAX_VALUE}. */
    public long deadline() {
        Channel c = ch[0];
        if (!c.programmed || !gateTriggered(c) || !irq0Routed.getAsBoolean()) {
            return Long.MAX_VALUE;
        }
        boolean periodic = c.mode == 2 || c.mode == 3;
        if (!periodic && c.periodsRaised > 0) {
            return Long.MAX_VALUE;
        }
        long ticks = periodic ? (c.periodsRaised + 1) * c.reload : firstEdge(c);
        return Timebase.cyclesFor(c.startTicks + ticks, Timebase.PIT_HZ);
    }

    /** Raises IRQ 0 if channel 0's deadline has passed (missed periods are merged into one edge). */
    public void tick() {
        Channel c = ch[0];
        if (!c.programmed || !gateTriggered(c)) {
            return;
        }
        long t = now.getAsLong();
        boolean periodic = c.mode == 2 || c.mode == 3;
        long ticks = periodic ? (c.periodsRaised + 1) * c.reload : firstEdge(c);
        long due = Timebase.cyclesFor(c.startTicks + ticks, Timebase.PIT_HZ);
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

    /** Every channel's mode, counts, latches and start time (the time base is the machine's, restored with it). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long[][] v = new long[3][];
        for (int i = 0; i < 3; i++) {
            Channel c = ch[i];
            v[i] = new long[] {c.mode, c.access, c.reload, c.startTicks, c.programmed ? 1 : 0, c.bcd ? 1 : 0, c.status,
                c.writeHigh ? 1 : 0, c.readHigh ? 1 : 0, c.latched, c.partial, c.periodsRaised};
        }
        return () -> {
            for (int i = 0; i < 3; i++) {
                Channel c = ch[i];
                long[] x = v[i];
                c.mode = (int) x[0]; c.access = (int) x[1]; c.reload = (int) x[2]; c.startTicks = x[3];
                c.programmed = x[4] != 0; c.bcd = x[5] != 0; c.status = (int) x[6]; c.writeHigh = x[7] != 0;
                c.readHigh = x[8] != 0; c.latched = (int) x[9]; c.partial = (int) x[10]; c.periodsRaised = x[11];
            }
        };
    }
}
