package dev.hvsim.vmcs;

/**
 * A 32-bit VMCS component encoding and its bit fields (SDM Vol. 3C 25.11.2, Table 25-21): bit 0 access type,
 * bits 9:1 index, bits 11:10 type, bit 12 reserved (0), bits 14:13 width, bits 31:15 reserved (0).
 *
 * <p>An encoding with a reserved bit set, or with access type "high" on a width other than 64-bit, names no
 * field on any processor; VMREAD/VMWRITE of it fail with VMfailValid 12.
 *
 * @param value the encoding as VMREAD/VMWRITE take it in a register
 */
public record VmcsEncoding(int value) {

    private static final int RESERVED = 0xffff9000;

    /** Composes an encoding from its fields. */
    public static VmcsEncoding of(AccessType access, int index, FieldType type, FieldWidth width) {
        if (index < 0 || index > 0x1ff) {
            throw new IllegalArgumentException("index " + index + " does not fit bits 9:1");
        }
        return new VmcsEncoding((access == AccessType.HIGH ? 1 : 0) | index << 1 | type.code() << 10
                | width.code() << 13);
    }

    /** Bit 0. */
    public AccessType access() {
        return (value & 1) != 0 ? AccessType.HIGH : AccessType.FULL;
    }

    /** Bits 9:1. */
    public int index() {
        return (value >>> 1) & 0x1ff;
    }

    /** Bits 11:10. */
    public FieldType type() {
        return FieldType.values()[(value >>> 10) & 3];
    }

    /** Bits 14:13. */
    public FieldWidth width() {
        return FieldWidth.ofCode((value >>> 13) & 3);
    }

    /** True when bit 12 or any of bits 31:15 is 1. */
    public boolean reservedBitsSet() {
        return (value & RESERVED) != 0;
    }

    /** True when the encoding is well formed: no reserved bit, and "high" only for a 64-bit width. */
    public boolean wellFormed() {
        return !reservedBitsSet() && (access() == AccessType.FULL || width() == FieldWidth.W64);
    }

    /** The full-access encoding of the same field (bit 0 clear). */
    public VmcsEncoding full() {
        return new VmcsEncoding(value & ~1);
    }

    @Override
    public String toString() {
        return String.format("0x%08x", value);
    }
}
