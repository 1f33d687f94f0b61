package dev.hvsim.machine.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.bus.Ram;
import org.junit.jupiter.api.Test;

class FlatLoaderTest {
    private final MemoryBus bus = new MemoryBus(Ram.ofMiB(2));

    @Test
    void imageAtOrAbove1MiBStartsInProtectedModeAtItsAddress() throws LoadException {
        LoadedImage img = FlatLoader.load(new byte[] {(byte) 0xf4}, 0x100000, -1, bus);
        assertThat(img.entry()).isEqualTo(0x100000);
        assertThat(img.mode()).isEqualTo(StartMode.PROTECTED_32);
        assertThat(bus.read(0x100000, 1)).isEqualTo(0xf4);
    }

    @Test
    void imageBelow1MiBStartsInRealModeWithAnExplicitEntry() throws LoadException {
        LoadedImage img = FlatLoader.load(new byte[16], 0x7c00, 0x7c08, bus);
        assertThat(img.entry()).isEqualTo(0x7c08);
        assertThat(img.mode()).isEqualTo(StartMode.REAL_MODE);
    }

    @Test
    void anImageThatDoesNotFitIsRefused() {
        assertThatThrownBy(() -> FlatLoader.load(new byte[0x1001], 0x1ff000, -1, bus))
                .isInstanceOf(LoadException.class)
                .hasMessage("flat image of 4097 bytes at 0x1ff000 does not fit in RAM (2 MiB)");
        assertThatThrownBy(() -> FlatLoader.load(new byte[1], 0x80000000L, -1, bus))
                .hasMessageContaining("does not fit in RAM");
    }

    @Test
    void badEntriesAreRefused() {
        assertThatThrownBy(() -> FlatLoader.load(new byte[1], 0x7c00, 0x100000, bus))
                .hasMessageContaining("must be below 0x100000");
        assertThatThrownBy(() -> FlatLoader.load(new byte[1], 0x100000, 0x300000, bus))
                .hasMessage("entry 0x300000 is outside RAM (2 MiB)");
    }
}
