package dev.hvsim.vmcs;

/**
 * The width of a VMCS field, encoding bits 14:13 (SDM Vol. 3C 25.11.2, Table 25-21 / Appendix B).
 */
public enum FieldWidth {
    /** 16-bit (encoding value 0). */
    W16(0, "16", 2),
    /** 64-bit (1); the only width with a "high" access type. */
    W64(1, "64", 8),
    /** 32-bit (2). */
    W32(2, "32", 4),
    /** Natural width (3): 64 bits on a processor that supports Intel 64. */
    NATURAL(3, "natural", 8);

    private final int code;
    private final String csvName;
    private final int bytes;

    FieldWidth(int code, String csvName, int bytes) {
        this.code = code;
        this.csvName = csvName;
        this.bytes = bytes;
    }

    /** The value of encoding bits 14:13. */
    public int code() {
        return code;
    }

    /** The spelling in vmcs-fields.csv's {@code width} column. */
    public String csvName() {
        return csvName;
    }

    /** Storage bytes of a full access on a 64-bit processor. */
    public int bytes() {
        return bytes;
    }

    /** The value bits a full access holds (all 64 for 64-bit and natural width). */
    public long mask() {
        return bytes == 8 ? -1L : (1L << (bytes * 8)) - 1;
    }

    /** The width with encoding value {@code code} (0..3). */
    public static FieldWidth ofCode(int code) {
        for (FieldWidth w : values()) {
            if (w.code == code) {
                return w;
            }
        }
        throw new IllegalArgumentException("width code " + code);
    }

    /** The width spelled {@code s} in the reference table. */
    public static FieldWidth ofCsv(String s) {
        for (FieldWidth w : values()) {
            if (w.csvName.equals(s)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown width '" + s + "'");
    }
}
