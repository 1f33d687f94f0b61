package dev.hvsim.vmcs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.bus.SparseMemory;
import org.junit.jupiter.api.Test;

/**
 * {@link VmcsMemory#of(dev.hvsim.x86core.bus.PhysicalBus, long)}: a page-aligned region in RAM is accessed in the
 * RAM page's array and must read and write exactly the bytes the bus reads and writes (little-endian, every size,
 * every offset); a region the bus has no RAM page for, or that is not page aligned, goes through the bus.
 */
class VmcsMemoryTest {
    private static final long BASE = 0x7000;

    /** A value whose bytes differ from each other and from offset to offset. */
    private static long pattern(int offset, int size) {
        long v = 0x0123_4567_89ab_cdefL * (offset + 1) ^ (long) size << 59;
        return size == 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    @Test
    void pageViewWritesWhatTheBusReadsAtEveryOffsetAndSize() {
        SparseMemory bus = new SparseMemory();
        VmcsMemory m = VmcsMemory.of(bus, BASE);
        assertThat(m).isInstanceOf(VmcsMemory.PageVmcsMemory.class);
        for (int size : new int[] {1, 2, 4, 8}) {
            for (int off = 0; off + size <= 4096; off++) {
                long v = pattern(off, size);
                m.write(off, size, v);
                assertThat(bus.read(BASE + off, size)).as("size %d offset %d", size, off).isEqualTo(v);
                assertThat(m.read(off, size)).isEqualTo(v);
            }
        }
    }

    @Test
    void pageViewReadsWhatTheBusWroteAtEveryOffsetAndSize() {
        SparseMemory bus = new SparseMemory();
        VmcsMemory m = VmcsMemory.of(bus, BASE);
        for (int size : new int[] {1, 2, 4, 8}) {
            for (int off = 0; off + size <= 4096; off++) {
                long v = pattern(off, size) ^ 0xffL;
                bus.write(BASE + off, size, v);
                assertThat(m.read(off, size)).as("size %d offset %d", size, off).isEqualTo(v);
            }
        }
        // zero-extension of the top byte
        bus.write(BASE, 8, -1L);
        assertThat(m.read(0, 4)).isEqualTo(0xffff_ffffL);
        assertThat(m.read(0, 2)).isEqualTo(0xffffL);
        assertThat(m.read(0, 1)).isEqualTo(0xffL);
    }

    @Test
    void withoutARamPageOrAlignmentTheBusIsUsed() {
        SparseMemory ram = new SparseMemory();
        SparseMemory mmio = new SparseMemory() {
            @Override
            public byte[] ramPage(long pa) {
                return null; // as a bus does for a page that is not plain RAM
            }

            @Override
            public long read(long pa, int size) {
                return ram.read(pa, size);
            }

            @Override
            public void write(long pa, int size, long value) {
                ram.write(pa, size, value);
            }
        };
        VmcsMemory m = VmcsMemory.of(mmio, BASE);
        assertThat(m).isNotInstanceOf(VmcsMemory.PageVmcsMemory.class);
        m.write(0x10, 8, 0x1122_3344_5566_7788L);
        assertThat(ram.read(BASE + 0x10, 8)).isEqualTo(0x1122_3344_5566_7788L);
        VmcsMemory unaligned = VmcsMemory.of(ram, BASE + 8);
        assertThat(unaligned).isNotInstanceOf(VmcsMemory.PageVmcsMemory.class);
        assertThat(unaligned.read(8, 8)).isEqualTo(0x1122_3344_5566_7788L);
    }
}
