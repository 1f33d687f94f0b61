package dev.hvsim.machine.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RamTest {

    @Test
    void aFourGiBRamCostsOnlyTheTouchedPage() {
        Ram ram = Ram.ofMiB(4096);
        assertThat(ram.allocatedPages()).isZero();
        ram.writeByte(3L << 30, 0x5a);
        assertThat(ram.allocatedPages()).isEqualTo(1);
        assertThat(ram.readByte(3L << 30)).isEqualTo(0x5a);
        assertThat(ram.readByte((3L << 30) + 1)).isZero();
        assertThat(ram.allocatedPages()).isEqualTo(1);
    }

    @Test
    void readingUntouchedMemoryReturnsZeroWithoutAllocating() {
        Ram ram = Ram.ofMiB(64);
        assertThat(ram.readByte(0x123456)).isZero();
        assertThat(ram.read(0x200000, 16)).containsOnly(0);
        assertThat(ram.pageIfPresent(0x200000)).isNull();
        assertThat(ram.allocatedPages()).isZero();
    }

    @Test
    void writesSpanningPagesLandInBoth() {
        Ram ram = Ram.ofMiB(1);
        ram.write(0xffe, new byte[] {1, 2, 3, 4}, 0, 4);
        assertThat(ram.read(0xffe, 4)).containsExactly(1, 2, 3, 4);
        assertThat(ram.allocatedPages()).isEqualTo(2);
    }

    @Test
    void zeroLeavesUntouchedPagesUnallocated() {
        Ram ram = Ram.ofMiB(16);
        ram.writeByte(0x1000, 9);
        ram.zero(0, 0x100000);
        assertThat(ram.readByte(0x1000)).isZero();
        assertThat(ram.allocatedPages()).isEqualTo(1);
    }

    @Test
    void containsChecksBothEndsWithoutOverflow() {
        Ram ram = Ram.ofMiB(1);
        assertThat(ram.contains(0, 0x100000)).isTrue();
        assertThat(ram.contains(0xfffff, 2)).isFalse();
        assertThat(ram.contains(-1, 1)).isFalse();
        assertThat(ram.contains(1, Long.MAX_VALUE)).isFalse();
        assertThat(ram.page(0x100000)).isNull();
    }

    @Test
    void badSizesAreRejected() {
        assertThatThrownBy(() -> Ram.ofMiB(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Ram(4097)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ram.ofMiB(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
    }
}
