package dev.hvsim.machine.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IoPortBusTest {
    private final IoPortBus bus = new IoPortBus();

    static final class Recorder implements IoDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public long in(int offset, int size) {
            log.add("in" + offset + "/" + size);
            return 0x1230 + offset;
        }

        @Override
        public void out(int offset, int size, long value) {
            log.add("out" + offset + "/" + size + "=" + Long.toHexString(value));
        }
    }

    @Test
    void unassignedPortsReadAllOnesAndIgnoreWrites() {
        bus.out(0x80, 1, 0);
        assertThat(bus.in(0x80, 1)).isEqualTo(0xff);
        assertThat(bus.in(0x1234, 2)).isEqualTo(0xffff);
        assertThat(bus.in(0xffff, 4)).isEqualTo(0xffffffffL);
    }

    @Test
    void devicesSeeOffsetsIntoTheirRange() {
        Recorder dev = new Recorder();
        bus.register("dev", 0x3f8, 8, dev);
        assertThat(bus.in(0x3fd, 1)).isEqualTo(0x35);
        bus.out(0x3f8, 2, 0x4142);
        assertThat(dev.log).containsExactly("in5/1", "out0/2=4142");
    }

    @Test
    void anAccessStraddlingTheRangeEndIsSplit() {
        Recorder dev = new Recorder();
        bus.register("dev", 0x100, 2, dev);
        assertThat(bus.in(0x101, 2)).isEqualTo(0xff31);
        bus.out(0x0ff, 4, 0x44332211L);
        assertThat(dev.log).containsExactly("in1/1", "out0/1=22", "out1/1=33");
    }

    @Test
    void overlappingAndInvalidRangesAreRejected() {
        bus.register("a", 0x60, 1, new Recorder());
        assertThatThrownBy(() -> bus.register("b", 0x5f, 2, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already belongs to a");
        assertThatThrownBy(() -> bus.register("c", 0xffff, 2, new Recorder())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.register("d", 0x10, 0, new Recorder())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writeValuesAreMaskedToTheAccessSize() {
        Recorder dev = new Recorder();
        bus.register("dev", 0x70, 1, dev);
        bus.out(0x70, 1, 0x1ff);
        assertThat(dev.log).containsExactly("out0/1=ff");
    }
}
