package dev.hvsim.machine.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBusTest {
    private final MemoryBus bus = new MemoryBus(Ram.ofMiB(1));

    /** Records accesses and answers reads with 0xa0 + offset. */
    static final class Recorder implements MmioDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            log.add("r" + offset + "/" + size);
            return 0xa0 + offset;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add("w" + offset + "/" + size + "=" + Long.toHexString(value));
        }
    }

    @Test
    void ramReadsBackLittleEndian() {
        bus.write(0x1000, 8, 0x1122334455667788L);
        assertThat(bus.read(0x1000, 1)).isEqualTo(0x88);
        assertThat(bus.read(0x1000, 2)).isEqualTo(0x7788);
        assertThat(bus.read(0x1004, 4)).isEqualTo(0x11223344L);
        assertThat(bus.read(0x1000, 8)).isEqualTo(0x1122334455667788L);
    }

    @Test
    void accessesAcrossAPageBoundaryWork() {
        bus.write(0x1ffe, 4, 0xdeadbeefL);
        assertThat(bus.read(0x1ffe, 4)).isEqualTo(0xdeadbeefL);
        assertThat(bus.read(0x2000, 1)).isEqualTo(0xad);
    }

    @Test
    void addressesOutsideRamReadAllOnesAndIgnoreWrites() {
        long beyond = 0x100000;
        bus.write(beyond, 4, 0);
        assertThat(bus.read(beyond, 1)).isEqualTo(0xff);
        assertThat(bus.read(beyond, 2)).isEqualTo(0xffff);
        assertThat(bus.read(beyond, 4)).isEqualTo(0xffffffffL);
        assertThat(bus.read(beyond, 8)).isEqualTo(-1L);
        assertThat(bus.read(-8, 8)).isEqualTo(-1L);
        assertThat(bus.ramPage(beyond)).isNull();
    }

    @Test
    void anAccessStraddlingTheEndOfRamMixesRamAndAllOnes() {
        bus.write(0xffffe, 2, 0x1234);
        assertThat(bus.read(0xffffe, 4)).isEqualTo(0xffff1234L);
    }

    @Test
    void mmioRegionsClaimTheirAddressesEvenInsideRam() {
        Recorder dev = new Recorder();
        bus.write(0x3000, 4, 0x55555555);
        bus.map("dev", 0x3000, 0x10, dev);
        assertThat(bus.read(0x3004, 4)).isEqualTo(0xa4);
        bus.write(0x3008, 2, 0xbeef);
        assertThat(dev.log).containsExactly("r4/4", "w8/2=beef");
        assertThat(bus.ramPage(0x3000)).isNull();
        assertThat(bus.ramPage(0x4000)).isNotNull();
    }

    @Test
    void mmioAboveRamIsReachable() {
        Recorder dev = new Recorder();
        bus.map("apic", 0xfee00000L, 0x1000, dev);
        assertThat(bus.read(0xfee00020L, 4)).isEqualTo(0xa0 + 0x20);
        assertThat(bus.read(0xfee01000L, 4)).isEqualTo(0xffffffffL);
    }

    @Test
    void anAccessStraddlingARegionBoundaryIsSplitIntoBytes() {
        Recorder dev = new Recorder();
        bus.map("dev", 0x5000, 2, dev);
        bus.write(0x4ffe, 2, 0x0201);
        long v = bus.read(0x4ffe, 4);
        assertThat(v).isEqualTo(0xa1a00201L);
        assertThat(dev.log).containsExactly("r0/1", "r1/1");
    }

    @Test
    void overlappingRegionsAreRejected() {
        bus.map("a", 0x8000, 0x100, new Recorder());
        assertThatThrownBy(() -> bus.map("b", 0x80ff, 1, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps a");
        assertThatThrownBy(() -> bus.map("c", 0x9000, 0, new Recorder())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loadsTellTheWriteObservers() {
        List<long[]> seen = new ArrayList<>();
        bus.addWriteObserver((pa, len) -> seen.add(new long[] {pa, len}));
        bus.load(0x7000, new byte[] {1, 2, 3}, 0, 3);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0)).containsExactly(0x7000, 3);
        assertThat(bus.read(0x7000, 2)).isEqualTo(0x0201);
    }

    @Test
    void ramPageIsTheBackingArray() {
        byte[] page = bus.ramPage(0x6123);
        page[0x123] = 0x42;
        assertThat(bus.read(0x6123, 1)).isEqualTo(0x42);
    }

    @Test
    void regionsMappedOutOfOrderAreFoundAboveAndBelowEachOtherAndRamBelowTheLowestIsPlain() {
        Recorder high = new Recorder(), low = new Recorder();
        bus.map("high", 0x9000, 0x10, high);
        bus.map("low", 0x5008, 0x8, low); // mapped second, lowest base
        assertThat(bus.ramPage(0x4000)).as("the page below the lowest region").isNotNull();
        assertThat(bus.ramPage(0x5000)).as("the page holding the lowest region").isNull();
        assertThat(bus.ramPage(0x6000)).as("between the regions").isNotNull();
        assertThat(bus.ramPage(0x9000)).isNull();
        bus.write(0x5000, 8, 0x1122334455667788L); // RAM just below the low region, one page
        assertThat(bus.read(0x5000, 8)).isEqualTo(0x1122334455667788L);
        assertThat(bus.read(0x5008, 4)).isEqualTo(0xa0);
        assertThat(bus.read(0x9004, 4)).isEqualTo(0xa4);
        assertThat(low.log).containsExactly("r0/4");
        assertThat(high.log).containsExactly("r4/4");
    }
}
