package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import java.util.HashMap;
import java.util.Map;

/**
 * The VMCS as VM entry sees it: every field read once, before any check runs (snapshot, check, commit;
 * ARCHITECTURE.md). Immutable; keyed by the full encoding, so a 64-bit field is one value.
 */
public final class VmcsSnapshot {
    private final Map<Integer, Long> values;

    private VmcsSnapshot(Map<Integer, Long> values) {
        this.values = Map.copyOf(values);
    }

    /** Reads every field of the catalogue that the VMCS's layout holds. */
    public static VmcsSnapshot read(Vmcs vmcs) {
        Map<Integer, Long> m = new HashMap<>();
        for (VmcsField f : VmcsFields.get().fullFields()) {
            if (vmcs.layout().has(f)) {
                m.put(f.encodingValue(), vmcs.read(f));
            }
        }
        return new VmcsSnapshot(m);
    }

    /** A snapshot of explicit values (absent fields read 0); values are truncated to each field's width. */
    public static VmcsSnapshot of(Map<VmcsField, Long> fields) {
        Map<Integer, Long> m = new HashMap<>();
        fields.forEach((f, v) -> m.put(f.encoding().full().value(), v & f.width().mask()));
        return new VmcsSnapshot(m);
    }

    /** The value of {@code f} (a high access gives bits 63:32 of its full field). */
    public long get(VmcsField f) {
        long v = values.getOrDefault(f.encoding().full().value(), 0L);
        return f.high() ? v >>> 32 : v;
    }
}
