package dev.hvsim.vmcs;

/**
 * The type of a VMCS field, encoding bits 11:10 (SDM Vol. 3C 25.11.2 / Appendix B).
 */
public enum FieldType {
    /** Control field (0). */
    CONTROL(0, "control"),
    /** VM-exit information, read-only to VMWRITE unless IA32_VMX_MISC[29] (1). */
    READ_ONLY_DATA(1, "read-only data"),
    /** Guest-state field (2). */
    GUEST_STATE(2, "guest-state"),
    /** Host-state field (3). */
    HOST_STATE(3, "host-state");

    private final int code;
    private final String csvName;

    FieldType(int code, String csvName) {
        this.code = code;
        this.csvName = csvName;
    }

    /** The value of encoding bits 11:10. */
    public int code() {
        return code;
    }

    /** The spelling in vmcs-fields.csv's {@code type} column. */
    public String csvName() {
        return csvName;
    }

    /** The type with encoding value {@code code} (0..3). */
    public static FieldType ofCode(int code) {
        if (code < 0 || code > 3) {
            throw new IllegalArgumentException("type code " + code);
        }
        return values()[code];
    }

    /** The type spelled {@code s} in the reference table. */
    public static FieldType ofCsv(String s) {
        for (FieldType t : values()) {
            if (t.csvName.equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown field type '" + s + "'");
    }
}
