package dev.hvsim.x86core.testing;

import dev.hvsim.x86core.bus.SparseMemory;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sparse RAM plus a recording I/O bus for core tests (the real machine lives in machine/): every port
 * access is logged, IN returns a value set in {@link #inValues} (all-ones otherwise), and bytes written to
 * port 0xe9 collect in {@link #console}.
 */
public final class TestBus extends SparseMemory {
    public final ByteArrayOutputStream console = new ByteArrayOutputStream();
    public final List<long[]> ioLog = new ArrayList<>();
    public final Map<Integer, Long> inValues = new HashMap<>();

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
