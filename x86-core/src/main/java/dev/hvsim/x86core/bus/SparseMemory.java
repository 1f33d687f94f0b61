package dev.hvsim.x86core.bus;

import java.util.HashMap;
import java.util.Map;

/**
 * The simplest machine a CPU can run on: RAM over the whole physical address space, allocated a 4 KiB
 * page at a time on first touch, and an empty port space (reads all-ones, writes ignored). For tools and
 * tests that need a CPU but no devices (the VM-entry and VMRUN checkers, unit tests); the PC with its
 * devices is {@code machine/}.
 */
public class SparseMemory implements PhysicalBus, IoBus {
    private final Map<Long, byte[]> pages = new HashMap<>();

    @Override
    public byte[] ramPage(long pa) {
        return pages.computeIfAbsent(pa >>> 12, k -> new byte[4096]);
    }

    @Override
    public long read(long pa, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | ramPage(pa + i)[(int) ((pa + i) & 0xfff)] & 0xff;
        }
        return v;
    }

    @Override
    public void write(long pa, int size, long value) {
        for (int i = 0; i < size; i++) {
            ramPage(pa + i)[(int) ((pa + i) & 0xfff)] = (byte) (value >>> (8 * i));
        }
    }

    /** Copies bytes into memory at {@code pa}. */
    public void load(long pa, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            write(pa + i, 1, bytes[i]);
        }
    }

    @Override
    public long in(int port, int size) {
        return -1L >>> (64 - 8 * size);
    }

    @Override
    public void out(int port, int size, long value) {}
}
