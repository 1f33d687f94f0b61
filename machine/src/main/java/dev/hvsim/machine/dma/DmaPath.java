package dev.hvsim.machine.dma;

import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.bus.Ram;
import java.util.Arrays;

/**
 * The one path every device DMA read and write of the machine takes (machine/DESIGN.md, "DMA"). CPU
 * accesses never go through it: they use the {@link MemoryBus} directly, so DMA protection can never block
 * the CPU.
 *
 * <p>An access is split at 4 KiB page boundaries. For each page:
 * <ol>
 * <li>the {@link DmaProtection} (the DEV on the amd profile) is asked; a blocked page is not written, reads
 * as all ones, is recorded by the protection agent and counted here ({@link #blockedPages()}), and the
 * access ends with a master abort ({@link Result#BLOCKED});</li>
 * <li>otherwise, a page wholly in RAM and not overlaid by an MMIO region is read or written (a write tells
 * the CPUs' decode caches through {@link MemoryBus#load});</li>
 * <li>anything else (no RAM, an MMIO region, an address at or above 2^52) is an unclaimed cycle: reads all
 * ones, writes are dropped, and the access ends with a master abort ({@link Result#UNCLAIMED}). Device
 * to device (peer-to-peer) DMA and MSI writes to 0xFEExxxxx are not modelled (machine/DEVIATIONS.md).</li>
 * </ol>
 * Guest-controlled addresses and lengths never make it throw: the caller bounds the length (its own buffer),
 * and any address is accepted.
 */
public final class DmaPath implements dev.hvsim.x86core.Snapshottable {
    /** Highest physical address width of the architecture (AMD APM Vol. 2, 5.1: 52 bits). */
    public static final long ADDRESS_LIMIT = 1L << 52;

    /** How an access ended; the worst outcome over its pages. */
    public enum Result {
        /** Every page was RAM and allowed. */
        OK,
        /** Some page was unclaimed (not RAM); no page was blocked. */
        UNCLAIMED,
        /** Some page was blocked by the DMA protection. */
        BLOCKED
    }

    private final MemoryBus memory;
    private DmaProtection protection = DmaProtection.NONE;
    private long blockedPages, transfers;

    public DmaPath(MemoryBus memory) {
        this.memory = memory;
    }

    /** Installs the platform's DMA protection (the DEV); {@link DmaProtection#NONE} by default. */
    public void setProtection(DmaProtection p) {
        this.protection = p == null ? DmaProtection.NONE : p;
    }

    public DmaProtection protection() {
        return protection;
    }

    /** Pages (page-sized parts of accesses) the protection blocked since the machine was built. */
    public long blockedPages() {
        return blockedPages;
    }

    /** Accesses made through this path since the machine was built. */
    public long transfers() {
        return transfers;
    }

    /** Device read of {@code len} bytes at {@code pa} into {@code buf[off..off+len)}. */
    public Result read(DmaRequester who, long pa, byte[] buf, int off, int len) {
        return access(who, pa, buf, off, len, false);
    }

    /** Device write of {@code buf[off..off+len)} to {@code len} bytes at {@code pa}. */
    public Result write(DmaRequester who, long pa, byte[] buf, int off, int len) {
        return access(who, pa, buf, off, len, true);
    }

    private Result access(DmaRequester who, long pa, byte[] buf, int off, int len, boolean write) {
        transfers++;
        Result result = Result.OK;
        int done = 0;
        while (done < len) {
            long a = pa + done;
            int n = (int) Math.min(len - done, Ram.PAGE_SIZE - (a & (Ram.PAGE_SIZE - 1)));
            Result r = page(who, a, buf, off + done, n, write);
            if (r.ordinal() > result.ordinal()) {
                result = r;
            }
            done += n;
        }
        return result;
    }

    /** [a, a + n) lies in one page. */
    private Result page(DmaRequester who, long a, byte[] buf, int off, int n, boolean write) {
        if (a < 0 || a >= ADDRESS_LIMIT) {
            return abort(buf, off, n, write, Result.UNCLAIMED);
        }
        if (protection.blocks(who, a, write)) {
            blockedPages++;
            protection.recordBlocked(who, a, write);
            return abort(buf, off, n, write, Result.BLOCKED);
        }
        if (!memory.isPlainRam(a, n)) {
            return abort(buf, off, n, write, Result.UNCLAIMED);
        }
        if (write) {
            memory.load(a, buf, off, n);
        } else {
            byte[] page = memory.ram().pageIfPresent(a);
            if (page == null) {
                Arrays.fill(buf, off, off + n, (byte) 0);
            } else {
                System.arraycopy(page, (int) (a & (Ram.PAGE_SIZE - 1)), buf, off, n);
            }
        }
        return Result.OK;
    }

    /** A master abort: a read returns all ones, a write is dropped. */
    private static Result abort(byte[] buf, int off, int n, boolean write, Result r) {
        if (!write) {
            Arrays.fill(buf, off, off + n, (byte) 0xff);
        }
        return r;
    }

    /** The transfer and blocked-page counters (the protection is wired once, at construction). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        long b = blockedPages, t = transfers;
        return () -> {
            blockedPages = b;
            transfers = t;
        };
    }
}
