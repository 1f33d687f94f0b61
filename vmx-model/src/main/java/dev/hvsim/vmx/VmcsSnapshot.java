package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The VMCS as VM entry sees it: every field read once, before any check runs (snapshot, check, commit;
 * ARCHITECTURE.md). Immutable (except the one a CPU's VM entries refill); keyed by the full encoding, so a 64-bit field is one value.
 *
 * <p>Every VM entry takes one, so it is a flat {@code long[]} indexed by the field's position in the catalogue's
 * full fields (found through a table indexed by encoding): one small allocation per entry, no boxing, no hashing.
 */
public final class VmcsSnapshot {
    private static final List<VmcsField> FULL = VmcsFields.get().fullFields();
    /** Full encoding (below 8000H) -> index into {@link #FULL}, or -1. */
    private static final int[] INDEX = indexByEncoding();

    private final long[] values;
    /** While a rule runs under an {@link EntryCheckMemo}: the bit set the fields it reads are noted in, else null. */
    private long[] track;

    private VmcsSnapshot(long[] values) {
        this.values = values;
    }

    private static int[] indexByEncoding() {
        int[] index = new int[0x8000];
        Arrays.fill(index, -1);
        for (int i = 0; i < FULL.size(); i++) {
            index[FULL.get(i).encodingValue()] = i;
        }
        return index;
    }

    /** The catalogue index of {@code f}'s full field (a high access: its 64-bit field), or -1. */
    static int indexOf(VmcsField f) {
        int enc = f.encodingValue() & ~1;
        return enc >= 0 && enc < INDEX.length ? INDEX[enc] : -1;
    }

    /** Reads every field of the catalogue that the VMCS's layout holds. */
    public static VmcsSnapshot read(Vmcs vmcs) {
        long[] v = new long[FULL.size()];
        vmcs.readFullFields(v);
        return new VmcsSnapshot(v);
    }

    /**
     * A snapshot for {@link #refill}: one per CPU's {@link VmEntry}, refilled at each VM entry instead of allocating a
     * new array (nothing keeps a snapshot beyond the entry that read it).
     */
    static VmcsSnapshot reusable() {
        return new VmcsSnapshot(new long[FULL.size()]);
    }

    /**
     * A view of {@code values} itself, not a copy: VM entry checks and commits the processor-side copy of the current
     * VMCS ({@link VmxExtension#vmcsCacheFor}) in place, since nothing writes the copy between the start of the checks
     * and the end of the commit (a VM exit during the commit's event delivery writes it only after the commit has
     * read its last field), so the view holds exactly what a {@link #refill} would.
     */
    static VmcsSnapshot over(long[] values) {
        if (values.length != FULL.size()) {
            throw new IllegalArgumentException("a snapshot has " + FULL.size() + " values, not " + values.length);
        }
        return new VmcsSnapshot(values);
    }

    /** Reads every field again, as {@link #read} does, into this snapshot's own array (every value is written). */
    VmcsSnapshot refill(Vmcs vmcs) {
        vmcs.readFullFields(values);
        return this;
    }

    /** A snapshot of explicit values (absent fields read 0); values are truncated to each field's width. */
    public static VmcsSnapshot of(Map<VmcsField, Long> fields) {
        long[] v = new long[FULL.size()];
        fields.forEach((f, value) -> {
            int i = indexOf(f);
            if (i >= 0) {
                v[i] = value & f.width().mask();
            }
        });
        return new VmcsSnapshot(v);
    }

    /** Number of values (the catalogue's full fields). */
    static int size() {
        return FULL.size();
    }

    /** The values by catalogue index (not copied: callers must not write them). */
    long[] values() {
        return values;
    }

    /** Notes every field {@link #get} reads in {@code bits} (by catalogue index) until called with null. */
    void track(long[] bits) {
        track = bits;
    }

    /** The value of the full field with catalogue index {@code i} ({@link #indexOf}); not noted by {@link #track}. */
    long at(int i) {
        return values[i];
    }

    /** The value of {@code f} (a high access gives bits 63:32 of its full field). */
    public long get(VmcsField f) {
        int i = indexOf(f);
        if (i >= 0 && track != null) {
            track[i >>> 6] |= 1L << i;
        }
        long v = i < 0 ? 0 : values[i];
        return f.high() ? v >>> 32 : v;
    }
}
