package dev.hvsim.x86core.bus;

/**
 * The host-physical address space as the CPU sees it: RAM plus memory-mapped devices.
 *
 * <p>Implemented by {@code machine/}. All accesses are little-endian. An access never throws for a
 * guest-controlled address: an address with nothing behind it reads as all-ones and ignores writes
 * (the behaviour of an unclaimed bus cycle on a PC).
 */
public interface PhysicalBus {

    /** Reads {@code size} bytes (1, 2, 4 or 8) at {@code pa}; zero-extended. */
    long read(long pa, int size);

    /** Writes the low {@code size} bytes (1, 2, 4 or 8) of {@code value} at {@code pa}. */
    void write(long pa, int size, long value);

    /**
     * The backing array of the 4 KiB RAM page that holds {@code pa}, for the CPU's fast path, or
     * {@code null} when that page is not plain RAM (MMIO, unbacked). A RAM page is allocated the first
     * time it is asked for, so a sparse guest costs only the pages it touches. The array has exactly
     * 4096 bytes and the byte at index {@code pa & 0xfff} is the byte at {@code pa}.
     */
    byte[] ramPage(long pa);

    /**
     * Called after something other than a CPU (a DMA engine, a loader) wrote physical memory, so the
     * CPUs' decode caches can drop stale code. The default does nothing.
     */
    default void addWriteObserver(PhysicalWriteObserver observer) {}

    /** Told about physical writes that did not come from a CPU's own store path. */
    interface PhysicalWriteObserver {
        void physicalWrite(long pa, int length);
    }
}
