package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.MmioDevice;
import dev.hvsim.machine.dma.DmaPath;
import dev.hvsim.machine.dma.DmaRequester;
import java.util.function.BiConsumer;

/**
 * hvsim's DMA engine: a PCI function (00:04.0, 1234:D3A0, class 08/80/00 "other system peripheral") that
 * copies a block of physical memory to another, in the spirit of QEMU's "edu" device (hw/misc/edu.c) but
 * memory to memory and with its own register layout. Every byte it reads or writes goes through the
 * platform's {@link DmaPath}, so the DEV applies to it (machine/DESIGN.md, "DMA").
 *
 * <p>Configuration space: BAR0 is a 32-bit non-prefetchable 4 KiB memory BAR, assigned at power-on to
 * {@link #BAR_ADDRESS} with memory decoding on, as firmware would leave it (sizing works: writing all ones
 * reads back 0xFFFFF000; the registers answer only while BAR0 holds {@link #BAR_ADDRESS} and the memory
 * space bit is set: relocation is not modelled). Bus mastering is off until software sets command bit 2.
 * Interrupt pin INTA, wired to ISA IRQ {@link #IRQ} (interrupt line register preset to it); a level
 * interrupt, masked by command bit 10 (interrupt disable). A transfer that ended in a master abort (a DEV
 * block or an unclaimed address) sets status bit 13, "received master abort" (PCI 3.0, 6.2.3).
 *
 * <p>Registers (BAR0 offsets; 32-bit or 64-bit accesses at 4-byte aligned offsets; other accesses read 0
 * and are ignored):
 * <table>
 * <caption>DMA engine registers</caption>
 * <tr><td>0x00</td><td>ID</td><td>read-only {@value #ID}</td></tr>
 * <tr><td>0x08</td><td>SRC</td><td>64-bit source physical address</td></tr>
 * <tr><td>0x10</td><td>DST</td><td>64-bit destination physical address</td></tr>
 * <tr><td>0x18</td><td>LEN</td><td>bytes to copy, 0 .. {@value #MAX_LENGTH}</td></tr>
 * <tr><td>0x1C</td><td>CMD</td><td>write: bit 0 START, bit 1 interrupt when done; reads the last command</td></tr>
 * <tr><td>0x20</td><td>STATUS</td><td>read-only, of the last command: bit 0 DONE, bit 1 BAD_LENGTH (nothing
 * copied), bit 2 MASTER_ABORT (some page was blocked or unclaimed), bit 3 NO_BUS_MASTER (nothing copied)</td></tr>
 * <tr><td>0x24</td><td>INT_STATUS</td><td>bit 0: done interrupt pending; write 1 to clear</td></tr>
 * </table>
 * A transfer is done by the time the write to CMD retires (no modelled latency): it copies ascending in
 * pieces that cross no 4 KiB page on either side, each read then written through the DMA path.
 */
public final class DmaEngine extends PciConfigSpace implements MmioDevice {
    public static final int BUS = 0, DEVICE = 4, FUNCTION = 0;
    public static final int VENDOR = 0x1234, DEVICE_ID = 0xd3a0;
    public static final long BAR_ADDRESS = 0xfec80000L;
    public static final int BAR_SIZE = 0x1000, IRQ = 11;
    public static final int ID = 0x484d4101;
    public static final int MAX_LENGTH = 1 << 20;
    public static final int REG_ID = 0x00, REG_SRC = 0x08, REG_DST = 0x10, REG_LEN = 0x18, REG_CMD = 0x1c,
            REG_STATUS = 0x20, REG_INT_STATUS = 0x24;
    public static final int CMD_START = 1, CMD_IRQ = 2;
    public static final int ST_DONE = 1, ST_BAD_LENGTH = 2, ST_MASTER_ABORT = 4, ST_NO_BUS_MASTER = 8;
    /** Command register bit 10: interrupt disable (PCI 3.0, 6.2.2). */
    static final int CMD_INTX_DISABLE = 1 << 10;

    private final DmaPath dma;
    private final BiConsumer<Integer, Boolean> irqLine;
    private final DmaRequester requester;
    private final byte[] chunk = new byte[4096];
    private long src, dst;
    private int len, cmd, status, intStatus;
    private boolean lineHigh;

    /**
     * @param dma     the platform DMA path
     * @param irqLine sets ISA IRQ line {@code n} high or low (the machine's {@link IsaIrqs#set})
     */
    public DmaEngine(DmaPath dma, BiConsumer<Integer, Boolean> irqLine) {
        super(VENDOR, DEVICE_ID, 0x01, 0x088000, 0x00);
        this.dma = dma;
        this.irqLine = irqLine;
        // HyperTransport unit ID 1 behind bus 0 for DEV_MAP (hvsim's choice; the host bridge is unit 0)
        this.requester = new DmaRequester("dma-engine", BUS, DEVICE, FUNCTION, 1);
        put(COMMAND, 2, CMD_MEMORY);
        writable(COMMAND, 2, CMD_MEMORY | CMD_BUS_MASTER | CMD_INTX_DISABLE);
        put(BAR0, 4, BAR_ADDRESS);
        writable(BAR0, 4, ~(BAR_SIZE - 1L));
        put(INTERRUPT_LINE, 1, IRQ);
        writable(INTERRUPT_LINE, 1, 0xff);
        put(INTERRUPT_PIN, 1, 1);
    }

    public DmaRequester requester() {
        return requester;
    }

    private boolean decoding() {
        return (command() & CMD_MEMORY) != 0 && get(BAR0, 4) == BAR_ADDRESS;
    }

    @Override
    public void configWrite(int reg, int size, long value) {
        super.configWrite(reg, size, value);
        updateLine(); // interrupt disable may have changed
    }

    @Override
    public long read(long offset, int size) {
        if (!decoding()) {
            return -1L;
        }
        if ((offset & 3) != 0 || (size != 4 && size != 8)) {
            return 0;
        }
        long v = reg((int) offset);
        return size == 8 ? v | (reg((int) offset + 4) << 32) : v;
    }

    private long reg(int off) {
        switch (off) {
            case REG_ID: return ID & 0xffffffffL;
            case REG_SRC: return src & 0xffffffffL;
            case REG_SRC + 4: return src >>> 32;
            case REG_DST: return dst & 0xffffffffL;
            case REG_DST + 4: return dst >>> 32;
            case REG_LEN: return len & 0xffffffffL;
            case REG_CMD: return cmd;
            case REG_STATUS: return status;
            case REG_INT_STATUS: return intStatus;
            default: return 0;
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        if (!decoding() || (offset & 3) != 0 || (size != 4 && size != 8)) {
            return;
        }
        setReg((int) offset, (int) value);
        if (size == 8) {
            setReg((int) offset + 4, (int) (value >>> 32));
        }
    }

    private void setReg(int off, int v) {
        long u = v & 0xffffffffL;
        switch (off) {
            case REG_SRC: src = (src & ~0xffffffffL) | u; break;
            case REG_SRC + 4: src = (src & 0xffffffffL) | u << 32; break;
            case REG_DST: dst = (dst & ~0xffffffffL) | u; break;
            case REG_DST + 4: dst = (dst & 0xffffffffL) | u << 32; break;
            case REG_LEN: len = v; break;
            case REG_CMD:
                cmd = v & (CMD_START | CMD_IRQ);
                if ((v & CMD_START) != 0) {
                    start();
                }
                break;
            case REG_INT_STATUS:
                intStatus &= ~v;
                updateLine();
                break;
            default:
                break;
        }
    }

    private void start() {
        if ((command() & CMD_BUS_MASTER) == 0) {
            status = ST_DONE | ST_NO_BUS_MASTER;
        } else if (len < 0 || len > MAX_LENGTH) {
            status = ST_DONE | ST_BAD_LENGTH;
        } else {
            status = copy() ? ST_DONE : ST_DONE | ST_MASTER_ABORT;
        }
        if ((status & ST_MASTER_ABORT) != 0) {
            put(STATUS, 2, get(STATUS, 2) | STATUS_RECEIVED_MASTER_ABORT);
        }
        if ((cmd & CMD_IRQ) != 0) {
            intStatus |= 1;
            updateLine();
        }
    }

    /** Copies LEN bytes from SRC to DST through the DMA path; false when some piece was master-aborted. */
    private boolean copy() {
        boolean ok = true;
        for (long done = 0; done < len; ) {
            long s = src + done, d = dst + done;
            int n = (int) Math.min(len - done, Math.min(4096 - (s & 0xfff), 4096 - (d & 0xfff)));
            ok &= dma.read(requester, s, chunk, 0, n) == DmaPath.Result.OK;
            ok &= dma.write(requester, d, chunk, 0, n) == DmaPath.Result.OK;
            done += n;
        }
        return ok;
    }

    private void updateLine() {
        boolean high = (intStatus & 1) != 0 && (command() & CMD_INTX_DISABLE) == 0;
        if (high != lineHigh) {
            lineHigh = high;
            irqLine.accept(IRQ, high);
        }
    }

    /** The configuration space and the engine's registers and interrupt line. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        dev.hvsim.x86core.Snapshottable.Snapshot cfg = super.snapshot();
        long s = src, d = dst;
        int[] v = {len, cmd, status, intStatus, lineHigh ? 1 : 0};
        return () -> {
            cfg.restore();
            src = s;
            dst = d;
            len = v[0]; cmd = v[1]; status = v[2]; intStatus = v[3];
            lineHigh = v[4] != 0;
        };
    }
}
