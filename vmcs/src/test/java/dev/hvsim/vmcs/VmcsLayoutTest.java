package dev.hvsim.vmcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.x86core.bus.PhysicalBus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** hvsim's VMCS region layout (SDM Vol. 3C 25.2 for the header; the rest is hvsim's, see DEVIATIONS.md). */
class VmcsLayoutTest {

    private final VmcsLayout layout = VmcsLayout.hvsim();
    private final VmcsFields cat = VmcsFields.get();

    /** A sparse little-endian physical memory for the bus variant. */
    static final class MapBus implements PhysicalBus {
        final Map<Long, Byte> bytes = new HashMap<>();

        @Override
        public long read(long pa, int size) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | (bytes.getOrDefault(pa + i, (byte) 0) & 0xff);
            }
            return v;
        }

        @Override
        public void write(long pa, int size, long value) {
            for (int i = 0; i < size; i++) {
                bytes.put(pa + i, (byte) (value >>> (8 * i)));
            }
        }

        @Override
        public byte[] ramPage(long pa) {
            return null;
        }
    }

    @Test
    void everyFieldHasASlotInsideTheRegionAndNoTwoSlotsOverlap() {
        record Slot(String what, int offset, int size) {}
        List<Slot> slots = new ArrayList<>();
        slots.add(new Slot("revision id", VmcsLayout.REVISION_ID_OFFSET, 4));
        slots.add(new Slot("abort indicator", VmcsLayout.ABORT_INDICATOR_OFFSET, 4));
        slots.add(new Slot("launch state", layout.launchStateOffset(), 4));
        for (VmcsField f : cat.fullFields()) {
            assertThat(layout.has(f)).as(f.name()).isTrue();
            int off = layout.offsetOf(f);
            assertThat(off % f.width().bytes()).as("%s naturally aligned", f.name()).isZero();
            slots.add(new Slot(f.name(), off, layout.sizeOf(f)));
        }
        slots.sort(Comparator.comparingInt(Slot::offset));
        for (int i = 1; i < slots.size(); i++) {
            Slot a = slots.get(i - 1);
            Slot b = slots.get(i);
            assertThat(b.offset()).as("%s overlaps %s", b.what(), a.what()).isGreaterThanOrEqualTo(a.offset() + a.size());
        }
        Slot last = slots.get(slots.size() - 1);
        assertThat(last.offset() + last.size()).isLessThanOrEqualTo(layout.regionSize());
        assertThat(layout.regionSize()).isEqualTo(4096);
        assertThat(slots).hasSize(207 + 3);
    }

    @Test
    void highAccessTouchesTheUpperDwordOfTheFullSlot() {
        VmcsField full = cat.byName("TSC_OFFSET");
        VmcsField high = cat.byName("TSC_OFFSET_HIGH");
        assertThat(layout.offsetOf(high)).isEqualTo(layout.offsetOf(full) + 4);
        byte[] region = new byte[4096];
        layout.write(region, full, 0x1122334455667788L);
        assertThat(layout.read(region, high)).isEqualTo(0x11223344L);
        layout.write(region, high, 0xaabbccddeeL); // only the low 32 bits of the operand are written
        assertThat(layout.read(region, full)).isEqualTo(0xbbccddee55667788L);
    }

    @Test
    void writesAreTruncatedToTheFieldWidthAndReadBackZeroExtended() {
        SplittableRandom rnd = new SplittableRandom(25);
        byte[] region = new byte[4096];
        Map<VmcsField, Long> expected = new HashMap<>();
        for (VmcsField f : cat.fullFields()) {
            long v = rnd.nextLong();
            layout.write(region, f, v);
            expected.put(f, v & f.width().mask());
        }
        for (VmcsField f : cat.fullFields()) {
            assertThat(layout.read(region, f)).as(f.name()).isEqualTo(expected.get(f));
        }
        assertThat(VmcsLayout.revisionIdOf(VmcsMemory.of(region))).isZero(); // fields never touch the header
        assertThat(VmcsLayout.abortIndicatorOf(VmcsMemory.of(region))).isZero();
        assertThat(layout.read(region, cat.byName("GUEST_CS_SELECTOR"))).isLessThanOrEqualTo(0xffff);
    }

    @Test
    void aRegionInPhysicalMemoryReadsLikeTheArray() {
        MapBus bus = new MapBus();
        long base = 0x12345000L;
        byte[] region = new byte[4096];
        long v = 0x0123456789abcdefL;
        for (VmcsField f : cat.all()) {
            layout.write(bus, base, f, v);
            layout.write(region, f, v);
            v = Long.rotateLeft(v * 31 + 7, 9);
        }
        for (VmcsField f : cat.all()) {
            assertThat(layout.read(bus, base, f)).as(f.name()).isEqualTo(layout.read(region, f));
        }
        assertThat(bus.bytes.keySet()).allMatch(pa -> pa >= base && pa < base + 4096);
    }

    @Test
    void headerRevisionShadowAbortAndLaunchState() {
        byte[] region = new byte[4096];
        VmcsMemory m = VmcsMemory.of(region);
        VmcsLayout.writeHeader(m, VmcsLayout.HVSIM_REVISION_ID, true);
        assertThat(region[3] & 0xff).isEqualTo(0x80 | 0x68); // little-endian: bit 31 is the top bit of byte 3
        assertThat(VmcsLayout.revisionIdOf(m)).isEqualTo(0x68760001);
        assertThat(VmcsLayout.shadowIndicatorOf(m)).isTrue();
        VmcsLayout.writeHeader(m, VmcsLayout.HVSIM_REVISION_ID, false);
        assertThat(VmcsLayout.shadowIndicatorOf(m)).isFalse();
        VmcsLayout.writeAbortIndicator(m, 3);
        assertThat(region[4]).isEqualTo((byte) 3);
        assertThat(VmcsLayout.abortIndicatorOf(m)).isEqualTo(3);
        assertThat(layout.launchState(m)).isEqualTo(LaunchState.CLEAR);
        layout.writeLaunchState(m, LaunchState.LAUNCHED);
        assertThat(layout.launchState(m)).isEqualTo(LaunchState.LAUNCHED);
        assertThat(region[layout.launchStateOffset()]).isEqualTo((byte) 1);
        assertThatThrownBy(() -> VmcsLayout.writeHeader(m, 0x80000001, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void layoutsAreKeyedByRevisionId() {
        assertThat(VmcsLayout.forRevision(0x68760001)).isSameAs(layout);
        assertThat(layout.revisionId()).isEqualTo(VmcsLayout.HVSIM_REVISION_ID);
        assertThatThrownBy(() -> VmcsLayout.forRevision(4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x00000004").hasMessageContaining("0x68760001");
    }
}
