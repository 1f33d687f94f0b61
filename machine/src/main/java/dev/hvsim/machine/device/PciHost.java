package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8
 * (32-bit: enable bit 31, bus 23:16, device 15:11, function 10:8, register 7:2) and CONFIG_DATA at
 * 0xCFC..0xCFF, with one device: a host bridge at 00:00.0 with QEMU's i440FX identity (vendor 0x8086,
 * device 0x1237, revision 0x02, class 06/00/00, header type 0). Every other function reads all ones;
 * writes to it are ignored. Only the command register (offset 4) of the host bridge is writable.
 * Register {@link #address()} at 0xCF8 (4 ports) and this device at 0xCFC (4 ports).
 */
public final class PciHost implements IoDevice {
    public static final int ADDRESS_PORT = 0xcf8, DATA_PORT = 0xcfc;
    private final byte[] config = new byte[256];
    private int address;

    public PciHost() {
        put(0x00, 2, 0x8086);
        put(0x02, 2, 0x1237);
        put(0x08, 1, 0x02);
        put(0x0a, 1, 0x00); // sub-class: host bridge
        put(0x0b, 1, 0x06); // base class: bridge
        put(0x0e, 1, 0x00); // header type 0, single function
    }

    private void put(int off, int size, int v) {
        for (int i = 0; i < size; i++) {
            config[off + i] = (byte) (v >>> (8 * i));
        }
    }

    /** The CONFIG_ADDRESS register: only full 32-bit accesses reach it (byte accesses are ignored). */
    public IoDevice address() {
        return new IoDevice() {
            @Override
            public long in(int offset, int size) {
                return size == 4 ? address & 0xffffffffL : 0xffffffffL;
            }

            @Override
            public void out(int offset, int size, long value) {
                if (size == 4) {
                    address = (int) value & 0x80fffffc;
                }
            }
        };
    }

    private boolean hostBridge() {
        return address < 0 && (address & 0x00ffff00) == 0; // enabled, bus 0, device 0, function 0
    }

    @Override
    public long in(int offset, int size) {
        if (!hostBridge()) {
            return 0xffffffffL;
        }
        int reg = (address & 0xfc) + offset;
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (reg + i < 256 ? config[reg + i] & 0xff : 0xff);
        }
        return v;
    }

    @Override
    public void out(int offset, int size, long value) {
        if (!hostBridge()) {
            return;
        }
        int reg = (address & 0xfc) + offset;
        for (int i = 0; i < size; i++) {
            if (reg + i == 4 || reg + i == 5) {
                config[reg + i] = (byte) (value >>> (8 * i));
            }
        }
    }
}
