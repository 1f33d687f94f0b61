package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import java.util.List;
import java.util.Map;

/**
 * The VMCS as VM entry sees it: every field read once, before any check runs (snapshot, check, commit;
 * ARCHITECTURE.md). Immutable; keyed by the full encoding, so a 64-bit field is one value.
 *
 * <p>Stored as an open-addressing table of primitive encodings and values (no boxing, no map copies): VM entry
 * takes a snapshot every time, and the Java VMM enters after every exit.
 */
public final class VmcsSnapshot {
    private final int[] keys;     // full encoding + 1; 0 = empty slot
    private final long[] values;

    private VmcsSnapshot(int[] keys, long[] values) {
        this.keys = keys;
        this.values = values;
    }

    private static int slots(int n) {
        return Integer.highestOneBit(Math.max(16, n) * 2) * 2;
    }

    private static void put(int[] keys, long[] values, int encoding, long value) {
        int mask = keys.length - 1;
        int i = mix(encoding) & mask;
        while (keys[i] != 0 && keys[i] != encoding + 1) {
            i = (i + 1) & mask;
        }
        keys[i] = encoding + 1;
        values[i] = value;
    }

    private static int mix(int h) {
        h *= 0x9e3779b1;
        return h ^ (h >>> 16);
    }

    /** Reads every field of the catalogue that the VMCS's layout holds. */
    public static VmcsSnapshot read(Vmcs vmcs) {
        List<VmcsField> fields = VmcsFields.get().fullFields();
        int n = slots(fields.size());
        int[] k = new int[n];
        long[] v = new long[n];
        for (int i = 0; i < fields.size(); i++) {
            VmcsField f = fields.get(i);
            if (vmcs.layout().has(f)) {
                put(k, v, f.encodingValue(), vmcs.read(f));
            }
        }
        return new VmcsSnapshot(k, v);
    }

    /** A snapshot of explicit values (absent fields read 0); values are truncated to each field's width. */
    public static VmcsSnapshot of(Map<VmcsField, Long> fields) {
        int n = slots(fields.size());
        int[] k = new int[n];
        long[] v = new long[n];
        fields.forEach((f, value) -> put(k, v, f.encoding().full().value(), value & f.width().mask()));
        return new VmcsSnapshot(k, v);
    }

    /** The value of {@code f} (a high access gives bits 63:32 of its full field). */
    public long get(VmcsField f) {
        int encoding = f.encoding().full().value();
        int mask = keys.length - 1;
        int i = mix(encoding) & mask;
        long v = 0;
        while (keys[i] != 0) {
            if (keys[i] == encoding + 1) {
                v = values[i];
                break;
            }
            i = (i + 1) & mask;
        }
        return f.high() ? v >>> 32 : v;
    }
}
