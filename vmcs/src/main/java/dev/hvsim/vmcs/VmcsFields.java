package dev.hvsim.vmcs;

import dev.hvsim.vmcs.data.CsvTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The VMCS field catalogue: every row of {@code reference/vmcs-fields.csv} (a copy of shared/reference; SDM
 * Vol. 3C Appendix B), with hvsim's existence condition from {@code hvsim/vmcs-field-existence.csv}. Lookup by
 * symbol and by encoding. Immutable; one shared instance.
 */
public final class VmcsFields {

    /** The field table. */
    public static final String RESOURCE = "/dev/hvsim/vmcs/reference/vmcs-fields.csv";
    /** hvsim's existence conditions, one row per field row. */
    public static final String EXISTENCE_RESOURCE = "/dev/hvsim/vmcs/hvsim/vmcs-field-existence.csv";

    private static final VmcsFields INSTANCE = new VmcsFields(CsvTable.resource(RESOURCE),
            CsvTable.resource(EXISTENCE_RESOURCE));

    private final List<VmcsField> all;
    private final Map<String, VmcsField> byName;
    private final Map<Integer, VmcsField> byEncoding;
    /** {@link #byEncoding} as an array over encodings below 8000H (every valid one; bits 31:15 are reserved), so
     *  VMREAD/VMWRITE find their field without boxing or hashing. */
    private final VmcsField[] byEncodingArray = new VmcsField[VmcsLayout.ENCODING_LIMIT];

    VmcsFields(CsvTable fields, CsvTable existence) {
        Map<String, CsvTable.Row> cond = new HashMap<>();
        for (CsvTable.Row r : existence.rows()) {
            if (cond.put(r.get("symbol"), r) != null) {
                throw new IllegalStateException(r.where() + ": " + r.get("symbol") + " listed twice");
            }
        }
        List<VmcsField> list = new ArrayList<>();
        Map<String, VmcsField> names = new LinkedHashMap<>();
        Map<Integer, VmcsField> encs = new HashMap<>();
        for (CsvTable.Row r : fields.rows()) {
            String name = r.get("symbol");
            CsvTable.Row c = cond.remove(name);
            if (c == null) {
                throw new IllegalStateException(EXISTENCE_RESOURCE + ": no row for " + name);
            }
            if (!c.get("exists_only_if").equals(r.get("exists_only_if"))
                    || CsvTable.number(c.get("encoding")) != CsvTable.number(r.get("encoding"))) {
                throw new IllegalStateException(c.where() + ": out of date against " + r.where()
                        + " (re-read the reference row and update the condition)");
            }
            VmcsField f = new VmcsField(name, r.get("sdm_name"),
                    new VmcsEncoding((int) CsvTable.number(r.get("encoding"))), FieldWidth.ofCsv(r.get("width")),
                    FieldType.ofCsv(r.get("type")), AccessType.ofCsv(r.get("access")),
                    r.get("sdm_appendix_b_group"), r.get("exists_only_if"), FieldExistence.parse(c.get("condition")),
                    r.get("verification"), r.get("disagreement"));
            if (names.put(name, f) != null || encs.put(f.encodingValue(), f) != null) {
                throw new IllegalStateException(r.where() + ": duplicate symbol or encoding " + f);
            }
            list.add(f);
        }
        if (!cond.isEmpty()) {
            throw new IllegalStateException(EXISTENCE_RESOURCE + ": rows for unknown fields " + cond.keySet());
        }
        this.all = Collections.unmodifiableList(list);
        this.byName = Collections.unmodifiableMap(names);
        this.byEncoding = Collections.unmodifiableMap(encs);
        encs.forEach((enc, f) -> {
            if (enc >= 0 && enc < byEncodingArray.length) {
                byEncodingArray[enc] = f;
            }
        });
    }

    /** The shared catalogue. */
    public static VmcsFields get() {
        return INSTANCE;
    }

    /** Every row, in table order (full and high encodings). */
    public List<VmcsField> all() {
        return all;
    }

    /** Number of rows (high parts counted). */
    public int size() {
        return all.size();
    }

    /** The fields with full access: one per field, the ones a layout stores. */
    public List<VmcsField> fullFields() {
        return all.stream().filter(f -> !f.high()).toList();
    }

    /** The field with this symbol, if any. */
    public Optional<VmcsField> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The field with this encoding, if any. */
    public Optional<VmcsField> find(int encoding) {
        return Optional.ofNullable(encoding >= 0 && encoding < byEncodingArray.length ? byEncodingArray[encoding]
                : byEncoding.get(encoding));
    }

    /**
     * The field with this symbol ({@code GUEST_RIP}); IllegalArgumentException naming it, with close symbols
     * when there are some.
     */
    public VmcsField byName(String name) {
        VmcsField f = byName.get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown VMCS field '" + name + "'" + suggestions(name));
        }
        return f;
    }

    /** The field with this encoding; IllegalArgumentException naming the encoding and why it is none. */
    public VmcsField byEncoding(int encoding) {
        VmcsField f = byEncoding.get(encoding);
        if (f == null) {
            VmcsEncoding e = new VmcsEncoding(encoding);
            String why = e.reservedBitsSet() ? " (reserved bits 31:15 or 12 set)"
                    : !e.wellFormed() ? " (high access of a " + e.width().csvName() + "-bit width)"
                    : " (no field at index " + e.index() + " of the " + e.width().csvName() + "-width "
                            + e.type().csvName() + " fields)";
            throw new IllegalArgumentException("unknown VMCS field encoding " + e + why);
        }
        return f;
    }

    /** A field by symbol or by {@code 0x}-prefixed encoding, as a user would type it. */
    public VmcsField lookup(String nameOrEncoding) {
        String s = nameOrEncoding.trim();
        if (s.startsWith("0x") || s.startsWith("0X")) {
            long v;
            try {
                v = Long.parseLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("malformed VMCS field encoding '" + s + "'", e);
            }
            if (v < 0 || v > 0xffffffffL) {
                throw new IllegalArgumentException("VMCS field encoding '" + s + "' does not fit 32 bits");
            }
            return byEncoding((int) v);
        }
        return byName(s);
    }

    private String suggestions(String name) {
        String key = name.toUpperCase(Locale.ROOT);
        List<String> close = byName.keySet().stream()
                .filter(n -> n.equals(key) || n.contains(key) || (key.length() > 3 && key.contains(n)))
                .limit(5).toList();
        return close.isEmpty() ? " (not a symbol of vmcs-fields.csv)" : " (did you mean " + String.join(", ", close) + "?)";
    }
}
