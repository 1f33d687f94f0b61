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
 * copy only, and the fields written since are written back to the region when the VMCS stops being current (VMCLEAR,
 * VMPTRLD of a VMCS, VMXON, VMXOFF); a debugger's memory reads see them ({@link VmxExtension#overlay}). SDM Vol. 3C 25.11.1 "Software Use of Virtual-Machine Control Structures" allows a processor to keep VMCS
 * data outside the region while the VMCS is active (the region's contents are undefined then), and requires VMCLEAR
 * before the region is used otherwise; see vmx-model DEVIATIONS.md "VMCS storage". Writes that are not a CPU's loads
 * and stores (a debugger, a loader, DMA) reach the copy through {@link VmxExtension#physicalWritten}. Any other view
 * (a region that is not current, check-vmcs' array) reads and writes the region itself.
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
            java.util.Arrays.fill(owner.vmcsDirty, 0L);
            java.util.Arrays.fill(owner.vmcsChanged, -1L);
        }
    }

    /**
     * Writes the fields of the processor-side copy that the region does not hold yet to the region (SDM Vol. 3C
     * 25.11.1: VMCLEAR, and whatever else makes the VMCS not current, writes its data back); nothing when no copy
     * serves this view.
     */
    void writeBack() {
        long[] cache = cache();
        if (cache == null) {
            return;
        }
        long[] dirty = owner.vmcsDirty;
        for (int w = 0; w < dirty.length; w++) {
            long bits = dirty[w];
            dirty[w] = 0; // before the writes: a region reached through the bus reports them (physicalWritten)
            while (bits != 0) {
                int i = w << 6 | Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                memory.write(layout.fullOffset(i), layout.fullSize(i), cache[i]);
            }
        }
    }

    /**
     * Puts the bytes of the fields of the copy that are not yet written back and overlap {@code [pa, pa + length)}
     * into {@code buf} (which holds those bytes of memory from {@code offset}), as the region will hold them after
     * the write-back; nothing when no copy serves this view.
     */
    void overlay(long pa, byte[] buf, int offset, int length) {
        long[] cache = cache();
        if (cache == null) {
            return;
        }
        long[] dirty = owner.vmcsDirty;
        for (int w = 0; w < dirty.length; w++) {
            long bits = dirty[w];
            while (bits != 0) {
                int i = w << 6 | Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                long at = address + layout.fullOffset(i);
                for (int b = 0; b < layout.fullSize(i); b++) {
                    if (at + b >= pa && at + b < pa + length) {
                        buf[offset + (int) (at + b - pa)] = (byte) (cache[i] >>> (8 * b));
                    }
                }
            }
        }
    }

    /**
     * Bytes {@code [pa, pa + length)} of physical memory were written other than by the model's own VMCS writes: the
     * fields of the copy that overlap them take the region's bytes there (a field the copy holds newer than the
     * region keeps its other bytes, and is written back whole), every other field keeps the copy's value. No copy:
     * nothing.
     */
    void written(long pa, int length) {
        long[] cache = cache();
        if (cache == null) {
            return;
        }
        long[] dirty = owner.vmcsDirty;
        long from = pa - address, to = from + length; // region offsets, [from, to)
        for (int i = 0; i < cache.length; i++) {
            int size = layout.fullSize(i);
            int off = layout.fullOffset(i);
            if (size == 0 || off + size <= from || off >= to) {
                continue;
            }
            long region = memory.read(off, size);
            long v = region;
            if ((dirty[i >>> 6] >>> i & 1) != 0) {
                v = cache[i];
                for (int b = 0; b < size; b++) {
                    if (off + b >= from && off + b < to) { // this byte was written: the region's
                        long m = 0xffL << (8 * b);
                        v = (v & ~m) | (region & m);
                    }
                }
                dirty[i >>> 6] &= ~(1L << i);
                if (v != region) {
                    memory.write(off, size, v);
                }
            }
            cache[i] = v & MASK[i];
            owner.vmcsChanged[i >>> 6] |= 1L << i;
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
                long v = (cache[i] & 0xffffffffL) | value << 32;
                if (v != cache[i]) {
                    cache[i] = v;
                    owner.vmcsChanged[i >>> 6] |= 1L << i;
                    owner.vmcsDirty[i >>> 6] |= 1L << i;
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

    /**
     * Field {@code i} (catalogue index, {@link VmcsSnapshot#indexOf}) into the copy; the region gets it when the copy
     * is written back ({@link #writeBack}). A value the copy already has changes nothing.
     */
    private void store(long[] cache, int i, int size, long value) {
        long v = value & MASK[i];
        if (v != cache[i]) {
            cache[i] = v;
            owner.vmcsChanged[i >>> 6] |= 1L << i;
            owner.vmcsDirty[i >>> 6] |= 1L << i;
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
