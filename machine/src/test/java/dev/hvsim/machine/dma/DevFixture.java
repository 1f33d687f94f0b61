package dev.hvsim.machine.dma;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.bus.IoPortBus;
import dev.hvsim.machine.device.AmdNorthbridge;
import dev.hvsim.machine.device.DmaEngine;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;

/** A machine driven from Java the way a guest drives it: PCI configuration cycles, DEV_OP/DEV_DATA, BAR0 registers. */
final class DevFixture {
    final Machine m;
    final IoPortBus io;

    DevFixture(String profile) {
        m = new Machine(MachineConfig.of(CpuProfile.load(profile), new ByteArrayOutputStream()));
        io = m.io();
    }

    static DevFixture amd() {
        return new DevFixture("amd-zen");
    }

    static long cfgAddress(int bus, int dev, int fn, int reg) {
        return 0x80000000L | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
    }

    long cfgRead(int bus, int dev, int fn, int reg, int size) {
        io.out(0xcf8, 4, cfgAddress(bus, dev, fn, reg));
        return io.in(0xcfc + (reg & 3), size);
    }

    void cfgWrite(int bus, int dev, int fn, int reg, int size, long v) {
        io.out(0xcf8, 4, cfgAddress(bus, dev, fn, reg));
        io.out(0xcfc + (reg & 3), size, v);
    }

    int devRead(int function, int index) {
        cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_OP, 4, function << 8 | index);
        return (int) cfgRead(0, 0x18, 3, AmdNorthbridge.DEV_DATA, 4);
    }

    void devWrite(int function, int index, int v) {
        cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_OP, 4, function << 8 | index);
        cfgWrite(0, 0x18, 3, AmdNorthbridge.DEV_DATA, 4, v & 0xffffffffL);
    }

    /** Domain 0's bitmap at {@code bitmap} (SIZE 0: 4 GiB), DEV enabled. */
    void enableDev(long bitmap, boolean protectAbove) {
        devWrite(DeviceExclusionVector.FN_BASE_LO, 0, (int) bitmap | DeviceExclusionVector.BASE_VALID
                | (protectAbove ? DeviceExclusionVector.BASE_PROTECT : 0));
        devWrite(DeviceExclusionVector.FN_BASE_HI, 0, (int) (bitmap >>> 32));
        devWrite(DeviceExclusionVector.FN_CR, 0, DeviceExclusionVector.CR_DEV_EN);
    }

    /** Sets or clears the bitmap bit of the page holding {@code pa}, with a CPU write. */
    void protect(long bitmap, long pa, boolean on) {
        long page = pa >>> 12;
        long at = bitmap + (page >>> 3);
        long b = m.memory().read(at, 1);
        b = on ? b | 1L << (page & 7) : b & ~(1L << (page & 7));
        m.memory().write(at, 1, b);
    }

    void busMaster() {
        cfgWrite(0, DmaEngine.DEVICE, 0, 4, 2, 0x6);
    }

    long reg(int off) {
        return m.memory().read(DmaEngine.BAR_ADDRESS + off, 4);
    }

    void setReg(int off, long v) {
        m.memory().write(DmaEngine.BAR_ADDRESS + off, 4, v);
    }

    /** Programs and starts one copy; returns the engine's STATUS. */
    long copy(long src, long dst, int len, boolean irq) {
        m.memory().write(DmaEngine.BAR_ADDRESS + DmaEngine.REG_SRC, 8, src);
        m.memory().write(DmaEngine.BAR_ADDRESS + DmaEngine.REG_DST, 8, dst);
        setReg(DmaEngine.REG_LEN, len);
        setReg(DmaEngine.REG_CMD, DmaEngine.CMD_START | (irq ? DmaEngine.CMD_IRQ : 0));
        return reg(DmaEngine.REG_STATUS);
    }
}
