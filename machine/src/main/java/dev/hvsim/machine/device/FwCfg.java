package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * QEMU's firmware configuration device, traditional I/O interface (QEMU docs/specs/fw_cfg.rst): a
 * 16-bit write to the selector port 0x510 selects an item and rewinds it; each 8-bit read of the data port
 * 0x511 returns the item's next byte, and 0 past its end or for an item that does not exist. Items:
 * 0x0000 signature "QEMU", 0x0001 ID = 1 (traditional interface only, no DMA), 0x0003 RAM size (64-bit
 * little-endian), 0x0005 number of CPUs (16-bit), 0x000f maximum CPUs (16-bit), 0x0019 file directory
 * with no files. Every other key, e.g. 0x0011 (kernel data), reads as zeroes. Writes to the data port
 * are ignored, as in QEMU since 2.4. Any write width to port 0x510 selects (QEMU only accepts 16 bits).
 */
public final class FwCfg implements dev.hvsim.x86core.Snapshottable, IoDevice {
    public static final int PORT = 0x510, SIZE = 2;
    public static final int SIGNATURE = 0x00, ID = 0x01, RAM_SIZE = 0x03, NB_CPUS = 0x05, MAX_CPUS = 0x0f,
            FILE_DIR = 0x19;
    private final Map<Integer, byte[]> items = new HashMap<>();
    private byte[] current = new byte[0];
    private int pos;
    private int selector;

    public FwCfg(long ramBytes, int cpus) {
        items.put(SIGNATURE, new byte[] {'Q', 'E', 'M', 'U'});
        items.put(ID, le(1, 4));
        items.put(RAM_SIZE, le(ramBytes, 8));
        items.put(NB_CPUS, le(cpus, 2));
        items.put(MAX_CPUS, le(cpus, 2));
        items.put(FILE_DIR, new byte[4]); // big-endian count 0
        select(0);
    }

    private static byte[] le(long v, int n) {
        return java.util.Arrays.copyOf(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(), n);
    }

    private void select(int key) {
        selector = key & 0xffff;
        current = items.getOrDefault(selector & 0x3fff, new byte[0]);
        pos = 0;
    }

    public int selector() { return selector; }

    @Override
    public long in(int offset, int size) {
        if (offset != 1) {
            return 0;
        }
        long v = 0;
        for (int i = 0; i < size; i++) { // wider reads return consecutive bytes (little-endian)
            int b = pos < current.length ? current[pos] & 0xff : 0;
            pos++;
            v |= (long) b << (8 * i);
        }
        return v;
    }

    @Override
    public void out(int offset, int size, long value) {
        if (offset == 0) {
            select((int) value);
        }
    }

    /** The selected item and the read position (the items themselves never change after construction). */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        byte[] cur = current;
        int p = pos, sel = selector;
        return () -> {
            current = cur;
            pos = p;
            selector = sel;
        };
    }
}
