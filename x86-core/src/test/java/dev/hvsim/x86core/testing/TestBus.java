package dev.hvsim.x86core.testing;

import dev.hvsim.x86core.bus.IoBus;
import dev.hvsim.x86core.bus.PhysicalBus;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal sparse-RAM physical bus and recording I/O bus for core tests (the real machine lives in
 * machine/). RAM covers the whole physical space; port 0xe9 collects bytes, port 0xf4 records exits.
 */
public final class TestBus implements PhysicalBus, IoBus {
    private final Map<Long, byte[]> pages = new HashMap<>();
    public final ByteArrayOutputStream console = new ByteArrayOutputStream();
    public final List<long[]> ioLog = new ArrayList<>();
    public final Map<Integer, Long> inValues = new HashMap<>();

    @Override
    public byte[] ramPage(long pa) {
        return pages.computeIfAbsent(pa >>> 12, k -> new byte[4096]);
    }

    @Override
    public long read(long pa, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (ramPage(pa + i)[(int) ((pa + i) & 0xfff)] & 0xff);
        }
        return v;
    }

    @Override
    public void write(long pa, int size, long value) {
        for (int i = 0; i < size; i++) {
            ramPage(pa + i)[(int) ((pa + i) & 0xfff)] = (byte) (value >>> (8 * i));
        }
    }

    public void load(long pa, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            write(pa + i, 1, bytes[i]);
        }
    }

    @Override
    public long in(int port, int size) {
        ioLog.add(new long[] {0, port, size, 0});
        return inValues.getOrDefault(port, (1L << (8 * size)) - 1);
    }

    @Override
    public void out(int port, int size, long value) {
        ioLog.add(new long[] {1, port, size, value});
        if (port == 0xe9) {
            console.write((int) value);
        }
    }
}
