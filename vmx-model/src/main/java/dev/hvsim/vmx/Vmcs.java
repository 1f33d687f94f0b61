package dev.hvsim.vmx;

import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.vmcs.VmcsMemory;
import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * A VMCS region in physical memory viewed through a layout (SDM Vol. 3C 25.2): fields by symbol, encoding
 * or catalogue entry, and the launch state.
 *
 * <p>The current VMCS of a CPU ({@link VmxExtension#currentVmcs()}) keeps a processor-side copy of its fields (a
 * {@code long[]} by catalogue index, filled from the region when the VMCS becomes current): VMREAD, the VM-entry
 * snapshot and the non-root controls read the copy; every write (VMWRITE, VM exits, the Java root API) goes to the
 * copy and through to the region, so the region always holds what the copy holds and VMCLEAR has nothing to write
 * back. SDM Vol. 3C 25.11.1 "Software Use of Virtual-Machine Control Structures" allows a processor to keep VMCS data
 * outside the region while the VMCS is active; the one visible difference is that ordinary stores of the CPU into the
 * region of its current VMCS are not seen until the next VMPTRLD (vmx-model DEVIATIONS.md "VMCS storage"). Writes
 * that are not a CPU's stores (a debugger, a loader, DMA) reach the copy through
 * {@link VmxExtension#physicalWritten}. Any other view (a shadow VMCS, a region that is not current, check-vmcs'
 * array) reads and writes the region itself.
 */
public final class Vmcs {
    private final VmcsMemory memory;
    private final VmcsLayout layout;
    private final long address;
    /** The CPU whose processor-side copy serves this region while it is that CPU's current VMCS, else null. */
    private final VmxExtension owner;

    /** A view of the region itself (no processor-side copy). */
    public Vmcs(PhysicalBus bus, long address, VmcsLayout layout) {
        this(bus, address, layout, null);
    }

    /** A view that uses {@code owner}'s processor-side copy whenever the region is its current VMCS. */
    Vmcs(PhysicalBus bus, long address, VmcsLayout layout, VmxExtension owner) {
        this.memory = VmcsMemory.of(bus, address);
        this.layout = layout;
        this.address = address;
        this.owner = owner;
    }

    /** A VMCS over an array (the check-vmcs tool and tests). */
    public Vmcs(byte[] region, VmcsLayout layout) {
        this.memory = VmcsMemory.of(region);
        this.layout = layout;
        this.address = -1;
        this.owner = null;
    }

    public long address() { return address; }
    public VmcsLayout layout() { return layout; }

    /** The processor-side copy serving this view now, or null (not the owner's current VMCS, or no owner). */
    private long[] cache() {
        return owner == null ? null : owner.vmcsCacheFor(address);
    }

    /**
     * The processor-side copy serving this view now (by catalogue index; callers only read it, and write through
     * {@link #put}), or null.
     */
    long[] copy() {
        return cache();
    }

    /** Whether the layout has a slot for every field of the catalogue (then the copy holds every field). */
    boolean layoutHasEveryField() {
        for (int i = 0; i < MASK.length; i++) {
            if (layout.fullSize(i) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Reads the region again into the processor-side copy (nothing when none serves this view). */
    void reload() {
        long[] cache = cache();
        if (cache != null) {
            layout.readFullFields(memory, cache);
            java.util.Arrays.fill(owner.vmcsChanged, -1L);
        }
    }

    public long read(VmcsField f) {
        long[] cache = cache();
        if (cache != null) {
            int i = VmcsSnapshot.indexOf(f);
            if (i >= 0 && layout.fullSize(i) != 0) {
                long v = cache[i];
                return f.high() ? v >>> 32 : v;
            }
        }
        return layout.read(memory, f);
    }

    public void write(VmcsField f, long value) {
        long[] cache = cache();
        if (cache != null) {
            int i = VmcsSnapshot.indexOf(f);
            int size = i < 0 ? 0 : layout.fullSize(i);
            if (size != 0) {
                if (!f.high()) {
                    store(cache, i, size, value);
                    return;
                }
                // the region holds what the copy holds: a value the copy already has is not stored again
                long v = (cache[i] & 0xffffffffL) | value << 32;
                if (v != cache[i]) {
                    cache[i] = v;
                    owner.vmcsChanged[i >>> 6] |= 1L << i;
                    memory.write(layout.fullOffset(i) + 4, 4, value & 0xffffffffL);
                }
                return;
            }
        }
        layout.write(memory, f, value);
    }

    /** Catalogue index -> the field's width mask. */
    static final long[] MASK = masks();
    private static final java.util.List<VmcsField> FULL = VmcsFields.get().fullFields();

    private static long[] masks() {
        java.util.List<VmcsField> full = VmcsFields.get().fullFields();
        long[] m = new long[full.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = full.get(i).width().mask();
        }
        return m;
    }

    /** Field {@code i} (catalogue index, {@link VmcsSnapshot#indexOf}) into the copy and through to the region. */
    private void store(long[] cache, int i, int size, long value) {
        long v = value & MASK[i];
        if (v != cache[i]) { // the region holds what the copy holds: a value the copy has is not stored again
            cache[i] = v;
            owner.vmcsChanged[i >>> 6] |= 1L << i;
            memory.write(layout.fullOffset(i), size, v);
        }
    }

    /**
     * {@link #read(VmcsField)} of the full field with catalogue index {@code i} ({@link VmcsSnapshot#indexOf}): the
     * VM exit's straight-line save and load use indices computed once instead of a lookup per field.
     */
    long get(int i) {
        long[] cache = cache();
        if (cache != null && layout.fullSize(i) != 0) {
            return cache[i];
        }
        return read(FULL.get(i));
    }

    /** {@link #write(VmcsField, long)} of the full field with catalogue index {@code i}. */
    void put(int i, long value) {
        long[] cache = cache();
        int size = layout.fullSize(i);
        if (cache != null && size != 0) {
            store(cache, i, size, value);
        } else {
            write(FULL.get(i), value);
        }
    }

    /** Reads a field given by symbol ({@code GUEST_RIP}) or encoding ({@code 0x681e}). */
    public long read(String field) {
        return read(VmcsFields.get().lookup(field));
    }

    /** Writes a field given by symbol or encoding; the value is truncated to the field's width. */
    public void write(String field, long value) {
        write(VmcsFields.get().lookup(field), value);
    }

    /** Every full field of the catalogue in {@code VmcsFields.fullFields()} order into {@code out} (0 when absent). */
    void readFullFields(long[] out) {
        long[] cache = cache();
        if (cache != null) {
            System.arraycopy(cache, 0, out, 0, cache.length);
        } else {
            layout.readFullFields(memory, out);
        }
    }

    public LaunchState launchState() {
        return layout.launchState(memory);
    }

    public void setLaunchState(LaunchState s) {
        layout.writeLaunchState(memory, s);
    }

    /** Bits 30:0 of the first dword. */
    public int revisionId() {
        return VmcsLayout.revisionIdOf(memory);
    }

    /** Bit 31 of the first dword (shadow-VMCS indicator). */
    public boolean shadowIndicator() {
        return VmcsLayout.shadowIndicatorOf(memory);
    }

    /** Writes the revision id (and shadow indicator) header, as software does before VMPTRLD. */
    public void writeHeader(int revisionId, boolean shadow) {
        VmcsLayout.writeHeader(memory, revisionId, shadow);
    }
}
