package dev.hvsim.machine.device;

import dev.hvsim.machine.Timebase;
import dev.hvsim.machine.bus.IoDevice;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * The MC146818 real-time clock and CMOS RAM at ports 0x70 (index; bit 7 is the NMI mask, stored) and
 * 0x71 (data), with 128 bytes of CMOS (MC146818A datasheet: registers 0x00..0x0D; the memory-size bytes
 * as QEMU's pc_cmos_init fills them).
 *
 * <p>Deterministic: the clock starts at 2000-01-01 00:00:00 (a Saturday) when the machine is built and
 * advances one second per {@link Timebase#CORE_HZ} modelled cycles; writes to the time registers are
 * ignored. Time is BCD, 24-hour (status B = 0x02), status A = 0x26 (no update in progress), status C = 0,
 * status D = 0x80 (valid RAM and time). Memory: 0x15/0x16 base memory 640 KiB, 0x17/0x18 and 0x30/0x31
 * extended memory above 1 MiB in KiB (at most 0xFFFF), 0x34/0x35 memory above 16 MiB below 4 GiB in
 * 64 KiB units, 0x5B..0x5D memory above 4 GiB in 64 KiB units, 0x5F number of CPUs - 1; 0x32 century.
 * No alarm, periodic or update interrupts (IRQ 8 is never raised: DEVIATIONS.md).
 */
public final class CmosRtc implements dev.hvsim.x86core.Snapshottable, IoDevice {
    public static final int PORT = 0x70, SIZE = 2;
    static final long EPOCH_2000 = 946_684_800L;
    private final byte[] ram = new byte[128];
    private final LongSupplier now;
    private int index;
    private boolean nmiDisabled;

    public CmosRtc(LongSupplier now, long ramBytes, int cpus) {
        this.now = now;
        ram[0x0a] = 0x26;
        ram[0x0b] = 0x02;
        ram[0x0d] = (byte) 0x80;
        put16(0x15, 640);
        long extKiB = Math.min(0xffff, Math.max(0, (Math.min(ramBytes, 0x1_0000_0000L) - 0x100000) >>> 10));
        put16(0x17, (int) extKiB);
        put16(0x30, (int) extKiB);
        long above16 = Math.max(0, Math.min(ramBytes, 0xfec00000L) - 0x1000000) >>> 16;
        put16(0x34, (int) Math.min(0xffff, above16));
        long above4g = Math.max(0, ramBytes - 0x1_0000_0000L) >>> 16;
        ram[0x5b] = (byte) above4g;
        ram[0x5c] = (byte) (above4g >>> 8);
        ram[0x5d] = (byte) (above4g >>> 16);
        ram[0x5f] = (byte) (cpus - 1);
    }

    private void put16(int reg, int v) {
        ram[reg] = (byte) v;
        ram[reg + 1] = (byte) (v >>> 8);
    }

    public boolean nmiDisabled() { return nmiDisabled; }

    private static int bcd(int v) {
        return (v / 10) << 4 | (v % 10);
    }

    /** Register {@code reg}: the clock's registers computed from modelled time, the rest from CMOS RAM. */
    public int register(int reg) {
        if (reg <= 9 || reg == 0x32) {
            LocalDateTime t = LocalDateTime.ofEpochSecond(EPOCH_2000 + now.getAsLong() / Timebase.CORE_HZ, 0,
                    ZoneOffset.UTC);
            switch (reg) {
                case 0: return bcd(t.getSecond());
                case 2: return bcd(t.getMinute());
                case 4: return bcd(t.getHour());
                case 6: return t.getDayOfWeek().getValue() % 7 + 1; // 1 = Sunday
                case 7: return bcd(t.getDayOfMonth());
                case 8: return bcd(t.getMonthValue());
                case 9: return bcd(t.getYear() % 100);
                case 0x32: return bcd(t.getYear() / 100);
                default: return 0; // alarm registers
            }
        }
        return ram[reg] & 0xff;
    }

    @Override
    public long in(int offset, int size) {
        return offset == 0 ? 0xff : register(index);
    }

    @Override
    public void out(int offset, int size, long value) {
        int v = (int) value & 0xff;
        if (offset == 0) {
            index = v & 0x7f;
            nmiDisabled = (v & 0x80) != 0;
        } else if (index > 0x0d && index != 0x32) {
            ram[index] = (byte) v; // the clock and status registers are read-only here (BCD, 24-hour)
        }
    }

    /** The 128 bytes of CMOS RAM, the index register and the NMI-disable bit. */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        byte[] r = ram.clone();
        int i = index;
        boolean n = nmiDisabled;
        return () -> {
            System.arraycopy(r, 0, ram, 0, r.length);
            index = i;
            nmiDisabled = n;
        };
    }
}
