package dev.hvsim.machine.bus;

import dev.hvsim.x86core.bus.IoBus;
import java.util.ArrayList;
import java.util.List;

/**
 * The 64 Ki I/O ports of a machine. Devices {@linkplain #register register} port ranges; the CPU's
 * IN/OUT reach them through {@link IoBus}. A port nobody registered reads all-ones and ignores writes.
 *
 * <p>An access whose ports all belong to one range goes to that device as one access of its size;
 * an access that straddles a range boundary is split into byte accesses, each routed on its own (what
 * an ISA bus does with a wide cycle to narrow devices).
 */
public final class IoPortBus implements IoBus {
    private static final int PORTS = 0x10000;

    /** A device's claim on ports [first, first + count). */
    public record Range(String name, int first, int count, IoDevice device) {
        boolean covers(int port, int size) {
            return port >= first && port + size <= first + count;
        }
    }

    private final Range[] owner = new Range[PORTS];
    private final List<Range> ranges = new ArrayList<>();

    /**
     * Gives ports [first, first + count) to {@code device}.
     *
     * @throws IllegalArgumentException when the range is empty, leaves the port space, or overlaps a
     *                                  range registered before
     */
    public Range register(String name, int first, int count, IoDevice device) {
        if (count <= 0 || first < 0 || first + count > PORTS) {
            throw new IllegalArgumentException(String.format("bad port range %s at 0x%x count %d", name, first, count));
        }
        for (int p = first; p < first + count; p++) {
            if (owner[p] != null) {
                throw new IllegalArgumentException(String.format("port 0x%x of %s already belongs to %s",
                        p, name, owner[p].name()));
            }
        }
        Range r = new Range(name, first, count, device);
        for (int p = first; p < first + count; p++) {
            owner[p] = r;
        }
        ranges.add(r);
        return r;
    }

    /** The registered ranges, in registration order. */
    public List<Range> ranges() {
        return List.copyOf(ranges);
    }

    @Override
    public long in(int port, int size) {
        port &= 0xffff;
        Range r = owner[port];
        if (r != null && r.covers(port, size)) {
            return r.device().in(port - r.first(), size) & MemoryBus.mask(size);
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (long) inByte((port + i) & 0xffff) << (8 * i);
        }
        return v;
    }

    @Override
    public void out(int port, int size, long value) {
        port &= 0xffff;
        Range r = owner[port];
        if (r != null && r.covers(port, size)) {
            r.device().out(port - r.first(), size, value & MemoryBus.mask(size));
            return;
        }
        for (int i = 0; i < size; i++) {
            outByte((port + i) & 0xffff, (int) (value >>> (8 * i)) & 0xff);
        }
    }

    private int inByte(int port) {
        Range r = owner[port];
        return r == null ? 0xff : (int) r.device().in(port - r.first(), 1) & 0xff;
    }

    private void outByte(int port, int b) {
        Range r = owner[port];
        if (r != null) {
            r.device().out(port - r.first(), 1, b);
        }
    }
}
