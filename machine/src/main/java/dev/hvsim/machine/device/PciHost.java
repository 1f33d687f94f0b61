package dev.hvsim.machine.device;

import dev.hvsim.machine.bus.IoDevice;
import java.util.HashMap;
import java.util.Map;

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8
 * (32-bit: enable bit 31, bus 23:16, device 15:11, function 10:8, register 7:2) and CONFIG_DATA at
 * 0xCFC..0xCFF, over the functions {@linkplain #attach attached} to it. There is always a host bridge at
 * 00:00.0 with QEMU's i440FX identity (vendor 0x8086, device 0x1237, revision 0x02, class 06/00/00, header
 * type 0; only its command register is writable). A function nobody attached reads all ones; writes to it
 * are ignored. Register {@link #address()} at 0xCF8 (4 ports) and this device at 0xCFC (4 ports).
 */
public final class PciHost implements dev.hvsim.x86core.Snapshottable, IoDevice {
    public static final int ADDRESS_PORT = 0xcf8, DATA_PORT = 0xcfc;
    private final Map<Integer, PciFunction> functions = new HashMap<>();
    private int address;

    public PciHost() {
        PciConfigSpace hostBridge = new PciConfigSpace(0x8086, 0x1237, 0x02, 0x060000, 0x00) { };
        attach(0, 0, 0, hostBridge);
        hostBridge.writableCommand();
    }

    /**
     * Puts {@code f} at bus:device.function.
     *
     * @throws IllegalArgumentException when the location is out of range or taken
     */
    public void attach(int bus, int device, int function, PciFunction f) {
        if (bus < 0 || bus > 255 || device < 0 || device > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("bad PCI location " + bus + ":" + device + "." + function);
        }
        if (functions.putIfAbsent(bdf(bus, device, function), f) != null) {
            throw new IllegalArgumentException(String.format("PCI %02x:%02x.%x is taken", bus, device, function));
        }
    }

    /** The function at bus:device.function, or null. */
    public PciFunction function(int bus, int device, int function) {
        return functions.get(bdf(bus, device, function));
    }

    private static int bdf(int bus, int device, int function) {
        return bus << 8 | device << 3 | function;
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

    /** The function CONFIG_ADDRESS selects, or null (disabled, or nothing there). */
    private PciFunction selected() {
        return address < 0 ? functions.get((address >>> 8) & 0xffff) : null;
    }

    @Override
    public long in(int offset, int size) {
        PciFunction f = selected();
        int reg = (address & 0xfc) + offset;
        if (f == null || reg + size > 256) {
            return 0xffffffffL;
        }
        return f.configRead(reg, size);
    }

    @Override
    public void out(int offset, int size, long value) {
        PciFunction f = selected();
        int reg = (address & 0xfc) + offset;
        if (f != null && reg + size <= 256) {
            f.configWrite(reg, size, value);
        }
    }

    /** The CONFIG_ADDRESS register and every attached function's configuration space. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        int a = address;
        java.util.List<dev.hvsim.x86core.Snapshottable.Snapshot> fs = new java.util.ArrayList<>();
        for (PciFunction f : new java.util.TreeMap<>(functions).values()) {
            if (f instanceof dev.hvsim.x86core.Snapshottable) {
                fs.add(((dev.hvsim.x86core.Snapshottable) f).snapshot());
            }
        }
        return () -> {
            address = a;
            for (dev.hvsim.x86core.Snapshottable.Snapshot f : fs) {
                f.restore();
            }
        };
    }
}
