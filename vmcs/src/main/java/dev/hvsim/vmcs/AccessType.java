package dev.hvsim.vmcs;

/**
 * Access type, encoding bit 0 (SDM Vol. 3C 25.11.2): full, or the high 32 bits of a 64-bit field.
 */
public enum AccessType {
    FULL, HIGH;

    /** The spelling in vmcs-fields.csv's {@code access} column. */
    public String csvName() {
        return this == FULL ? "full" : "high";
    }

    /** The access type spelled {@code s} in the reference table. */
    public static AccessType ofCsv(String s) {
        switch (s) {
            case "full": return FULL;
            case "high": return HIGH;
            default: throw new IllegalArgumentException("unknown access type '" + s + "'");
        }
    }
}
