package dev.hvsim.machine.bus;

import dev.hvsim.x86core.bus.PageAccess;
import dev.hvsim.x86core.bus.PhysicalBus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The physical address space of a machine: {@link Ram} from address 0, overlaid by memory-mapped
 * devices that {@linkplain #map register} their regions. An MMIO region wins over RAM where both
 * exist; an address with neither reads as all-ones and ignores writes (an unclaimed bus cycle).
 *
 * <p>An access that lies wholly inside one MMIO region goes to its device at once; one that lies in
 * one RAM page is a direct array access; anything else (an access straddling a region boundary or a
 * page boundary) is split into byte accesses, each routed on its own.
 *
 * <p>Map regions before the CPU runs: a CPU may have cached a RAM page in its TLB.
 */
public final class MemoryBus implements PhysicalBus {

    /** A device's claim on [base, base + size). */
    public record Region(String name, long base, long size, MmioDevice device) {
        /** True when [pa, pa + len) lies inside this region. */
        boolean covers(long pa, int len) {
            return pa - base >= 0 && pa - base <= size - len;
        }

        boolean overlaps(long start, long length) {
            return start < base + size && base < start + length;
        }
    }

    private final Ram ram;
    private Region[] regions = new Region[0];
    private final List<PhysicalWriteObserver> observers = new ArrayList<>();

    /** A bus over {@code ram} with no MMIO regions yet. */
    public MemoryBus(Ram ram) {
        this.ram = ram;
    }

    /** The RAM behind this bus. */
    public Ram ram() {
        return ram;
    }

    /**
     * Gives [base, base + size) to {@code device}.
     *
     * @throws IllegalArgumentException when the size is not positive, the range wraps, or it overlaps
     *                                  a region mapped before
     */
    public Region map(String name, long base, long size, MmioDevice device) {
        if (size <= 0 || base < 0 || base + size < base) {
            throw new IllegalArgumentException(String.format("bad MMIO region %s at 0x%x size 0x%x", name, base, size));
        }
        for (Region r : regions) {
            if (r.overlaps(base, size)) {
                throw new IllegalArgumentException(String.format("MMIO region %s at 0x%x overlaps %s at 0x%x",
                        name, base, r.name(), r.base()));
            }
        }
        Region region = new Region(name, base, size, device);
        Region[] grown = Arrays.copyOf(regions, regions.length + 1);
        grown[regions.length] = region;
        Arrays.sort(grown, Comparator.comparingLong(Region::base));
        regions = grown;
        return region;
    }

    /** The mapped MMIO regions, in address order. */
    public List<Region> regions() {
        return List.of(regions);
    }

    @Override
    public long read(long pa, int size) {
        Region r = regionAt(pa);
        if (r != null && r.covers(pa, size)) {
            return r.device().read(pa - r.base(), size) & mask(size);
        }
        if (r == null && inOnePlainPage(pa, size)) {
            byte[] page = ram.pageIfPresent(pa);
            return page == null ? 0 : PageAccess.read(page, (int) (pa & 0xfff), size);
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (long) readByte(pa + i) << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long pa, int size, long value) {
        Region r = regionAt(pa);
        if (r != null && r.covers(pa, size)) {
            r.device().write(pa - r.base(), size, value & mask(size));
            return;
        }
        if (r == null && inOnePlainPage(pa, size)) {
            PageAccess.write(ram.page(pa), (int) (pa & 0xfff), size, value);
            return;
        }
        for (int i = 0; i < size; i++) {
            writeByte(pa + i, (int) (value >>> (8 * i)) & 0xff);
        }
    }

    @Override
    public byte[] ramPage(long pa) {
        long pageBase = pa & ~0xfffL;
        if (regions.length != 0) {
            Region r = regionAt(pageBase);
            if (r != null && r.device() instanceof MmioDevice.PageBacked && r.covers(pageBase, Ram.PAGE_SIZE)) {
                return ((MmioDevice.PageBacked) r.device()).page(pageBase - r.base());
            }
        }
        if (!ram.contains(pageBase, Ram.PAGE_SIZE) || overlapsRegion(pageBase, Ram.PAGE_SIZE)) {
            return null;
        }
        return ram.page(pa);
    }

    @Override
    public void addWriteObserver(PhysicalWriteObserver observer) {
        observers.add(observer);
    }

    /**
     * Copies {@code data} into RAM at {@code pa} on behalf of a loader or DMA engine, and tells the
     * write observers (the CPUs' decode caches).
     *
     * @throws IllegalArgumentException when [pa, pa + length) is not all RAM
     */
    public void load(long pa, byte[] data, int offset, int length) {
        ram.write(pa, data, offset, length);
        notifyWritten(pa, length);
    }

    /** Zeroes [pa, pa + length) of RAM (a loader's .bss) and tells the write observers. */
    public void zero(long pa, long length) {
        ram.zero(pa, length);
        for (long done = 0; done < length; done += Integer.MAX_VALUE) {
            notifyWritten(pa + done, (int) Math.min(Integer.MAX_VALUE, length - done));
        }
    }

    /** Whether [pa, pa + length) is all RAM and touches no MMIO region (what device DMA may reach). */
    public boolean isPlainRam(long pa, long length) {
        return pa >= 0 && length >= 0 && ram.contains(pa, length) && !overlapsRegion(pa, length);
    }

    private void notifyWritten(long pa, int length) {
        if (length > 0) {
            for (PhysicalWriteObserver o : observers) {
                o.physicalWrite(pa, length);
            }
        }
    }

    private int readByte(long pa) {
        Region r = regionAt(pa);
        if (r != null) {
            return (int) r.device().read(pa - r.base(), 1) & 0xff;
        }
        return ram.contains(pa, 1) ? ram.readByte(pa) : 0xff;
    }

    private void writeByte(long pa, int b) {
        Region r = regionAt(pa);
        if (r != null) {
            r.device().write(pa - r.base(), 1, b);
        } else if (ram.contains(pa, 1)) {
            ram.writeByte(pa, b);
        }
    }

    /** The region containing {@code pa}, or null. */
    private Region regionAt(long pa) {
        Region[] rs = regions;
        if (rs.length == 0 || pa < rs[0].base()) {
            return null; // below the lowest region (regions are sorted by base): the common case, RAM
        }
        for (Region r : rs) {
            if (r.covers(pa, 1)) {
                return r;
            }
        }
        return null;
    }

    private boolean overlapsRegion(long start, long length) {
        Region[] rs = regions;
        if (rs.length == 0 || (start >= 0 && length >= 0 && start + length <= rs[0].base())) {
            return false; // entirely below the lowest region (sorted by base)
        }
        for (Region r : rs) {
            if (r.overlaps(start, length)) {
                return true;
            }
        }
        return false;
    }

    /** [pa, pa + size) is RAM inside one page and touches no MMIO region. */
    private boolean inOnePlainPage(long pa, int size) {
        return (size == 1 || size == 2 || size == 4 || size == 8)
                && (pa & 0xfff) + size <= Ram.PAGE_SIZE && ram.contains(pa, size)
                && (regions.length == 0 || !overlapsRegion(pa, size));
    }

    static long mask(int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }

}
