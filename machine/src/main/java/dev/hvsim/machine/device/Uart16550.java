package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;

/**
 * A 16550A UART (COM1 at 0x3f8..0x3ff on a PC) whose transmitter writes to a {@link ConsoleOutput}.
 *
 * <p>Registers by offset (DLAB = LCR bit 7):
 * <pre>
 * 0  DLAB=0: read RBR / write THR      DLAB=1: DLL (divisor low)
 * 1  DLAB=0: IER (bits 3:0)            DLAB=1: DLM (divisor high)
 * 2  read IIR / write FCR
 * 3  LCR      4  MCR (bits 4:0)      5  LSR (read-only)      6  MSR (read-only)      7  SCR
 * </pre>
 * Reset values: IER 0, IIR 0x01 (no interrupt), LCR 0, MCR 0, LSR 0x60 (THRE | TEMT), MSR 0xb0
 * (CTS, DSR, DCD asserted), SCR 0, divisor 12 (9600 baud at 1.8432 MHz).
 *
 * <p>Transmission is instantaneous, so THRE and TEMT are always set outside loopback. In loopback
 * (MCR bit 4) a transmitted byte is received instead of sent (LSR.DR, overrun sets LSR.OE) and MSR
 * bits 7:4 mirror MCR bits OUT2, OUT1, DTR, RTS, which is how drivers probe for a UART. IIR reports
 * "received data available" and "THR empty" by priority when enabled in IER, but no interrupt line is
 * connected (see machine/DEVIATIONS.md); there is no input from the host.
 */
public final class Uart16550 implements dev.hvsim.x86core.Snapshottable, IoDevice {
    /** COM1's base port. */
    public static final int COM1 = 0x3f8;
    /** Ports covered. */
    public static final int SIZE = 8;

    static final int LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    static final int LCR_DLAB = 0x80, MCR_LOOP = 0x10, IER_RDA = 0x01, IER_THRE = 0x02;
    static final int IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RDA = 0x04, IIR_FIFO = 0xc0;

    private final ConsoleOutput console;
    private int rbr, ier, lcr, mcr, lsr, scr, divisor;
    private boolean fifoEnabled;
    private boolean thrInterrupt;

    /** A UART in its reset state transmitting to {@code console}. */
    public Uart16550(ConsoleOutput console) {
        this.console = console;
        reset();
    }

    /** The hardware reset state listed in the class comment. */
    public void reset() {
        rbr = 0;
        ier = 0;
        lcr = 0;
        mcr = 0;
        lsr = LSR_THRE | LSR_TEMT;
        scr = 0;
        divisor = 12;
        fifoEnabled = false;
        thrInterrupt = false;
    }

    /** The baud-rate divisor (DLM:DLL). */
    public int divisor() {
        return divisor;
    }

    @Override
    public long in(int offset, int size) {
        switch (offset) {
            case 0: return dlab() ? divisor & 0xff : readRbr();
            case 1: return dlab() ? divisor >>> 8 : ier;
            case 2: return readIir();
            case 3: return lcr;
            case 4: return mcr;
            case 5: return lsr;
            case 6: return msr();
            case 7: return scr;
            default: return 0xff;
        }
    }

    @Override
    public void out(int offset, int size, long value) {
        int v = (int) value & 0xff;
        switch (offset) {
            case 0:
                if (dlab()) {
                    divisor = (divisor & 0xff00) | v;
                } else {
                    transmit(v);
                }
                break;
            case 1:
                if (dlab()) {
                    divisor = (divisor & 0xff) | (v << 8);
                } else {
                    writeIer(v);
                }
                break;
            case 2: fifoEnabled = (v & 1) != 0; break;
            case 3: lcr = v; break;
            case 4: mcr = v & 0x1f; break;
            case 7: scr = v; break;
            default: break; // LSR and MSR are read-only
        }
    }

    private boolean dlab() {
        return (lcr & LCR_DLAB) != 0;
    }

    private void transmit(int b) {
        if ((mcr & MCR_LOOP) != 0) {
            if ((lsr & LSR_DR) != 0) {
                lsr |= LSR_OE;
            }
            rbr = b;
            lsr |= LSR_DR;
        } else {
            console.put(b);
        }
        thrInterrupt = true; // the holding register is empty again at once
    }

    private int readRbr() {
        lsr &= ~LSR_DR;
        return rbr;
    }

    private void writeIer(int v) {
        boolean threWasOff = (ier & IER_THRE) == 0;
        ier = v & 0x0f;
        if (threWasOff && (ier & IER_THRE) != 0) {
            thrInterrupt = true; // enabling the THRE interrupt with an empty THR raises it
        }
    }

    private int readIir() {
        int fifo = fifoEnabled ? IIR_FIFO : 0;
        if ((ier & IER_RDA) != 0 && (lsr & LSR_DR) != 0) {
            return fifo | IIR_RDA;
        }
        if ((ier & IER_THRE) != 0 && thrInterrupt) {
            thrInterrupt = false; // reading IIR while it reports THRE clears that interrupt
            return fifo | IIR_THRE;
        }
        return fifo | IIR_NONE;
    }

    private int msr() {
        if ((mcr & MCR_LOOP) == 0) {
            return 0xb0;
        }
        int cts = (mcr & 0x02) << 3, dsr = (mcr & 0x01) << 5, ri = (mcr & 0x04) << 4, dcd = (mcr & 0x08) << 4;
        return cts | dsr | ri | dcd;
    }

    /** The registers (output already written to the console is not taken back). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int[] v = {rbr, ier, lcr, mcr, lsr, scr, divisor, fifoEnabled ? 1 : 0, thrInterrupt ? 1 : 0};
        return () -> {
            rbr = v[0]; ier = v[1]; lcr = v[2]; mcr = v[3]; lsr = v[4]; scr = v[5]; divisor = v[6];
            fifoEnabled = v[7] != 0;
            thrInterrupt = v[8] != 0;
        };
    }
}
