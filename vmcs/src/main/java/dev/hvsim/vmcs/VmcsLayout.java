package dev.hvsim.vmcs;

import dev.hvsim.vmcs.data.CsvTable;
import dev.hvsim.x86core.bus.PhysicalBus;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Where each VMCS field lives in a VMCS region, for one VMCS revision identifier.
 *
 * <p>Architectural (SDM Vol. 3C 25.2, Table 25-1): bytes 0-3 hold the revision identifier in bits 30:0 and
 * the shadow-VMCS indicator in bit 31; bytes 4-7 the VMX-abort indicator; the rest is implementation-specific
 * and undocumented on hardware. The rest of this layout (launch state and one slot per field) is hvsim's own,
 * written as data in {@code hvsim/vmcs-layout-REVISION.csv} (see vmcs/DEVIATIONS.md). A high-access encoding
 * reads and writes bits 63:32 of its 64-bit field's slot.
 */
public final class VmcsLayout {

    /** hvsim's VMCS revision identifier ("hv" in its top bytes; bit 31 clear). */
    public static final int HVSIM_REVISION_ID = 0x68760001;
    /** Offset of the revision identifier (architectural). */
    public static final int REVISION_ID_OFFSET = 0;
    /** Offset of the VMX-abort indicator (architectural). */
    public static final int ABORT_INDICATOR_OFFSET = 4;
    /** Bit 31 of the first dword: the region is a shadow VMCS (SDM 25.10). */
    public static final int SHADOW_VMCS_INDICATOR = 0x8000_0000;

    /** Every VMCS field encoding is below this (bits 31:15 of an encoding are reserved, SDM Vol. 3C 25.11.2). */
    static final int ENCODING_LIMIT = 0x8000;

    private static final Map<Integer, VmcsLayout> LOADED = loadKnown();

    private final int revisionId;
    private final int regionSize;
    private final int launchStateOffset;
    private final Map<Integer, Integer> offsets; // full encoding -> offset
    /** The same as {@link #offsets}, indexed by full encoding (encodings are below 8000H): -1 when absent. VMREAD,
     *  VMWRITE and every VM entry's snapshot look fields up here, without boxing or hashing. */
    private final int[] offsetByEncoding = new int[ENCODING_LIMIT];
    private final String resource;
    /** Offset and size of each field of {@link VmcsFields#fullFields()}, in that order (-1 / 0 when absent): what
     *  {@link #readFullFields} reads, so a VM entry's snapshot is one loop over the region without lookups. */
    private final int[] fullOffsets;
    private final int[] fullSizes;

    private VmcsLayout(int revisionId, CsvTable table, String resource) {
        this.revisionId = revisionId;
        this.regionSize = 4096;
        this.resource = resource;
        Map<Integer, Integer> offs = new HashMap<>();
        int launch = -1;
        VmcsFields catalogue = VmcsFields.get();
        for (CsvTable.Row r : table.rows()) {
            String item = r.get("item");
            int offset = (int) CsvTable.number(r.get("offset"));
            int size = Integer.parseInt(r.get("size"));
            switch (item) {
                case "revision-id":
                    require(offset == REVISION_ID_OFFSET && size == 4, r, "revision id must be bytes 0-3");
                    break;
                case "abort-indicator":
                    require(offset == ABORT_INDICATOR_OFFSET && size == 4, r, "abort indicator must be bytes 4-7");
                    break;
                case "launch-state":
                    require(size == 4, r, "launch state is 4 bytes");
                    launch = offset;
                    break;
                default:
                    VmcsField f = catalogue.byName(item);
                    require(!f.high(), r, "a high access has no slot of its own");
                    require(f.encodingValue() == (int) CsvTable.number(r.get("encoding")), r, "encoding differs");
                    require(size == f.width().bytes(), r, "size is not the field's width");
                    require(offset >= 0 && offset + size <= regionSize, r, "outside the region");
                    require(offs.put(f.encodingValue(), offset) == null, r, "field listed twice");
            }
        }
        require(launch >= 0, null, "no launch-state row");
        this.launchStateOffset = launch;
        this.offsets = Collections.unmodifiableMap(offs);
        java.util.Arrays.fill(offsetByEncoding, -1);
        offs.forEach((enc, off) -> {
            require(enc >= 0 && enc < ENCODING_LIMIT, null, "encoding " + Integer.toHexString(enc) + " out of range");
            offsetByEncoding[enc] = off;
        });
        java.util.List<VmcsField> full = catalogue.fullFields();
        this.fullOffsets = new int[full.size()];
        this.fullSizes = new int[full.size()];
        for (int i = 0; i < full.size(); i++) {
            int o = slot(full.get(i).encodingValue());
            fullOffsets[i] = o;
            fullSizes[i] = o < 0 ? 0 : full.get(i).width().bytes();
        }
    }

    /**
     * Reads every field of {@link VmcsFields#fullFields()} that this layout holds into {@code out}, in that order
     * (a field without a slot reads 0): the same values as {@link #read(VmcsMemory, VmcsField)} field by field.
     */
    public void readFullFields(VmcsMemory region, long[] out) {
        region.readAll(fullOffsets, fullSizes, out);
    }

    /**
     * Offset of the slot of field {@code i} of {@link VmcsFields#fullFields()} (-1 when this layout has none): with
     * {@link #fullSize} what a processor-side copy indexed like {@code fullFields()} writes through to.
     */
    public int fullOffset(int i) {
        return fullOffsets[i];
    }

    /** Bytes of the slot of field {@code i} of {@link VmcsFields#fullFields()} (0 when this layout has none). */
    public int fullSize(int i) {
        return fullSizes[i];
    }

    /** The slot offset of the field whose full encoding is {@code fullEncoding}, or -1. */
    private int slot(int fullEncoding) {
        return fullEncoding >= 0 && fullEncoding < ENCODING_LIMIT ? offsetByEncoding[fullEncoding] : -1;
    }

    private void require(boolean ok, CsvTable.Row r, String what) {
        if (!ok) {
            throw new IllegalStateException((r == null ? resource : r.where()) + ": " + what);
        }
    }

    private static Map<Integer, VmcsLayout> loadKnown() {
        Map<Integer, VmcsLayout> m = new HashMap<>();
        for (int rev : new int[] {HVSIM_REVISION_ID}) {
            String path = resourceFor(rev);
            m.put(rev, new VmcsLayout(rev, CsvTable.resource(path), path));
        }
        return Collections.unmodifiableMap(m);
    }

    private static String resourceFor(int revisionId) {
        return String.format("/dev/hvsim/vmcs/hvsim/vmcs-layout-%08x.csv", revisionId);
    }

    /** hvsim's layout. */
    public static VmcsLayout hvsim() {
        return LOADED.get(HVSIM_REVISION_ID);
    }

    /** The layout of revision {@code revisionId}; IllegalArgumentException when hvsim has none. */
    public static VmcsLayout forRevision(int revisionId) {
        VmcsLayout l = LOADED.get(revisionId);
        if (l == null) {
            throw new IllegalArgumentException(String.format("no VMCS layout for revision id 0x%08x (known: %s)",
                    revisionId, LOADED.keySet().stream().map(i -> String.format("0x%08x", i)).toList()));
        }
        return l;
    }

    /** The revision identifier this layout belongs to. */
    public int revisionId() {
        return revisionId;
    }

    /** Bytes of a VMCS region (IA32_VMX_BASIC[44:32]); 4096. */
    public int regionSize() {
        return regionSize;
    }

    /** Offset of hvsim's launch-state dword. */
    public int launchStateOffset() {
        return launchStateOffset;
    }

    /** Whether the layout has a slot for {@code f} (every catalogue field has one in hvsim's layout). */
    public boolean has(VmcsField f) {
        return slot(f.encodingValue() & ~1) >= 0;
    }

    /** Offset of the bytes an access to {@code f} touches (a high access: the slot's upper dword). */
    public int offsetOf(VmcsField f) {
        int o = slot(f.encodingValue() & ~1);
        if (o < 0) {
            throw new IllegalArgumentException("VMCS layout " + String.format("0x%08x", revisionId)
                    + " has no slot for " + f);
        }
        return f.high() ? o + 4 : o;
    }

    /** Bytes an access to {@code f} touches. */
    public int sizeOf(VmcsField f) {
        return f.high() ? 4 : f.width().bytes();
    }

    /** Reads {@code f}, zero-extended to 64 bits (VMREAD semantics for the stored value). */
    public long read(VmcsMemory region, VmcsField f) {
        return region.read(offsetOf(f), sizeOf(f));
    }

    /** Writes {@code f}: the value is truncated to the field's width (a high access writes bits 63:32). */
    public void write(VmcsMemory region, VmcsField f, long value) {
        region.write(offsetOf(f), sizeOf(f), value & f.valueMask());
    }

    /** {@link #read(VmcsMemory, VmcsField)} on an array. */
    public long read(byte[] region, VmcsField f) {
        return read(VmcsMemory.of(region), f);
    }

    /** {@link #write(VmcsMemory, VmcsField, long)} on an array. */
    public void write(byte[] region, VmcsField f, long value) {
        write(VmcsMemory.of(region), f, value);
    }

    /** {@link #read(VmcsMemory, VmcsField)} on the region at {@code base} in physical memory. */
    public long read(PhysicalBus bus, long base, VmcsField f) {
        return read(VmcsMemory.of(bus, base), f);
    }

    /** {@link #write(VmcsMemory, VmcsField, long)} on the region at {@code base} in physical memory. */
    public void write(PhysicalBus bus, long base, VmcsField f, long value) {
        write(VmcsMemory.of(bus, base), f, value);
    }

    /** Bits 30:0 of the first dword. */
    public static int revisionIdOf(VmcsMemory region) {
        return (int) region.read(REVISION_ID_OFFSET, 4) & ~SHADOW_VMCS_INDICATOR;
    }

    /** Bit 31 of the first dword. */
    public static boolean shadowIndicatorOf(VmcsMemory region) {
        return (region.read(REVISION_ID_OFFSET, 4) & SHADOW_VMCS_INDICATOR) != 0;
    }

    /** Writes the header dword: revision id in 30:0, shadow indicator in 31. */
    public static void writeHeader(VmcsMemory region, int revisionId, boolean shadow) {
        if ((revisionId & SHADOW_VMCS_INDICATOR) != 0) {
            throw new IllegalArgumentException("revision id has bit 31 set");
        }
        region.write(REVISION_ID_OFFSET, 4, (revisionId & 0xffffffffL) | (shadow ? SHADOW_VMCS_INDICATOR & 0xffffffffL : 0));
    }

    /** The VMX-abort indicator (SDM 28.7: a nonzero value written on VMX abort). */
    public static int abortIndicatorOf(VmcsMemory region) {
        return (int) region.read(ABORT_INDICATOR_OFFSET, 4);
    }

    /** Writes the VMX-abort indicator. */
    public static void writeAbortIndicator(VmcsMemory region, int value) {
        region.write(ABORT_INDICATOR_OFFSET, 4, value & 0xffffffffL);
    }

    /** The launch state stored in the region. */
    public LaunchState launchState(VmcsMemory region) {
        return LaunchState.ofStored(region.read(launchStateOffset, 4));
    }

    /** Stores the launch state. */
    public void writeLaunchState(VmcsMemory region, LaunchState s) {
        region.write(launchStateOffset, 4, s.stored());
    }

    @Override
    public String toString() {
        return String.format("VmcsLayout[0x%08x, %d fields]", revisionId, offsets.size());
    }
}
