package dev.hvsim.machine.device;

import dev.hvsim.machine.apic.ApicBus;
import dev.hvsim.machine.bus.MmioDevice;

/**
 * Intel 82093AA I/O APIC at 0xFEC00000 (82093AA datasheet, 3.0 "Register Descriptions"): IOREGSEL at
 * offset 0x00, IOWIN at 0x10; registers IOAPICID (0x00), IOAPICVER (0x01: 0x00170011, 24 pins, version
 * 0x11), IOAPICARB (0x02) and the 24 64-bit redirection-table entries (0x10 + 2n low, 0x11 + 2n high).
 *
 * <p>Edge-triggered pins deliver on a rising edge when unmasked (an edge while masked is lost, as the
 * datasheet says). Level-triggered pins deliver while asserted, unmasked and remote IRR = 0, setting
 * remote IRR; an EOI broadcast from a local APIC with the entry's vector clears it, and a pin still
 * asserted delivers again (SDM Vol. 3A 11.8.5, QEMU ioapic.c behaviour). Pin polarity is stored but not
 * applied (inputs are active high, as in QEMU). Accesses other than 32-bit at 0x00 or 0x10 read 0 and are
 * ignored (DEVIATIONS.md).
 */
public final class IoApic implements dev.hvsim.x86core.Snapshottable, MmioDevice {
    public static final long BASE = 0xfec00000L;
    public static final int SIZE = 0x1000, PINS = 24;
    public static final int VERSION_VALUE = 0x00170011;
    static final long MASKED = 1L << 16, REMOTE_IRR = 1L << 14, LEVEL = 1L << 15, DELIVERY_STATUS = 1L << 12;
    /** Writable bits of an entry: all but delivery status (12), remote IRR (14) and reserved 55:17. */
    private static final long WRITABLE = 0xff000000_0001afffL;

    private final ApicBus bus;
    private final long[] redir = new long[PINS];
    private int lines;
    private int select;
    private int id;

    public IoApic(ApicBus bus) {
        this.bus = bus;
        java.util.Arrays.fill(redir, MASKED);
        bus.setEoiListener(this::eoi);
    }

    @Override
    public long read(long offset, int size) {
        if (size != 4) {
            return 0;
        }
        if (offset == 0) {
            return select;
        }
        if (offset != 0x10) {
            return 0;
        }
        switch (select) {
            case 0: return (long) id << 24;
            case 1: return VERSION_VALUE;
            case 2: return (long) id << 24;
            default:
                if (select >= 0x10 && select < 0x10 + 2 * PINS) {
                    long e = redir[(select - 0x10) >> 1];
                    return (select & 1) == 0 ? e & 0xffffffffL : e >>> 32;
                }
                return 0;
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        if (size != 4) {
            return;
        }
        if (offset == 0) {
            select = (int) value & 0xff;
            return;
        }
        if (offset != 0x10) {
            return;
        }
        if (select == 0) {
            id = (int) (value >>> 24) & 0xf;
        } else if (select >= 0x10 && select < 0x10 + 2 * PINS) {
            int pin = (select - 0x10) >> 1;
            long e = redir[pin];
            long v = (select & 1) == 0 ? (e & ~0xffffffffL) | (value & 0xffffffffL) : (e & 0xffffffffL) | (value << 32);
            redir[pin] = (e & ~WRITABLE) | (v & WRITABLE);
            if ((redir[pin] & LEVEL) == 0) {
                redir[pin] &= ~REMOTE_IRR;
            }
            service(pin);
        }
    }

    /** The redirection entry of {@code pin}. */
    public long entry(int pin) {
        return redir[pin];
    }

    /** Whether {@code pin} is unmasked. */
    public boolean unmasked(int pin) {
        return pin >= 0 && pin < PINS && (redir[pin] & MASKED) == 0;
    }

    /** Sets input {@code pin} high (asserted) or low. */
    public void setIrq(int pin, boolean high) {
        if (pin < 0 || pin >= PINS) {
            return;
        }
        int bit = 1 << pin;
        boolean rising = high && (lines & bit) == 0;
        lines = high ? lines | bit : lines & ~bit;
        long e = redir[pin];
        if ((e & LEVEL) != 0) {
            service(pin);
        } else if (rising && (e & MASKED) == 0) {
            send(e, false);
        }
    }

    /** A level-triggered pin that is asserted, unmasked and not awaiting EOI delivers. */
    private void service(int pin) {
        long e = redir[pin];
        if ((e & LEVEL) != 0 && (lines & (1 << pin)) != 0 && (e & MASKED) == 0 && (e & REMOTE_IRR) == 0) {
            redir[pin] = e | REMOTE_IRR;
            send(e, true);
        }
    }

    private void send(long e, boolean level) {
        int mode = (int) (e >>> 8) & 7;
        bus.deliver((e & (1L << 11)) != 0, (int) (e >>> 56) & 0xff, mode, (int) e & 0xff, level);
    }

    /** EOI broadcast for {@code vector}: clear remote IRR of matching level entries, redeliver if still asserted. */
    public void eoi(int vector) {
        for (int pin = 0; pin < PINS; pin++) {
            long e = redir[pin];
            if ((e & REMOTE_IRR) != 0 && (int) (e & 0xff) == vector) {
                redir[pin] = e & ~REMOTE_IRR;
                service(pin);
            }
        }
    }

    /** The redirection table, the input lines, the index register and the ID. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long[] r = redir.clone();
        int l = lines, sel = select, i = id;
        return () -> {
            System.arraycopy(r, 0, redir, 0, r.length);
            lines = l;
            select = sel;
            id = i;
        };
    }
}
