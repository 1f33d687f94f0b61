package dev.hvsim.vmcs.vmcb;

/**
 * A VMCB field with an offset and a byte size, or a reserved range (AMD APM Vol. 2 Appendix B). One row of
 * {@code vmcb-layout.csv} that has a size, or a {@code reserved 0xA-0xB} / offset-only row.
 *
 * @param area         control or save area
 * @param offset       byte offset from the start of the VMCB
 * @param size         bytes; 0 when the table records no width (offset-only rows)
 * @param name         the table's name
 * @param key          the lookup name: {@code name} without a trailing parenthesis or range
 * @param description  the table's description
 * @param cleanBit     the VMCB clean bit that covers the field, or -1 (APM 15.15.3)
 * @param appliesTo    which guests the field applies to ({@code all}, {@code SEV-ES VMSA only}, ...)
 * @param reserved     true for a reserved range
 * @param verification the table's verification note
 * @param disagreement the table's disagreement note
 */
public record VmcbField(VmcbArea area, int offset, int size, String name, String key, String description,
        int cleanBit, String appliesTo, boolean reserved, String verification, String disagreement) {

    /** {@code control.KEY} or {@code save.KEY}. */
    public String qualifiedName() {
        return area.csvName() + "." + key;
    }

    /** One past the last byte. */
    public int end() {
        return offset + size;
    }

    /** True when the table rests on a single source for this row. */
    public boolean unverified() {
        return verification.contains("UNVERIFIED");
    }

    /** True for fields present in every VMCB, not only in SEV-ES/SEV-SNP guests' VMSA. */
    public boolean ordinary() {
        return appliesTo.startsWith("all");
    }

    /** Reads the field (little-endian, zero-extended) from a VMCB image; sizes above 8 are not values. */
    public long read(byte[] vmcb) {
        requireValue();
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (vmcb[offset + i] & 0xff);
        }
        return v;
    }

    /** Writes the low {@code size} bytes of {@code value} into a VMCB image. */
    public void write(byte[] vmcb, long value) {
        requireValue();
        for (int i = 0; i < size; i++) {
            vmcb[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    private void requireValue() {
        if (size < 1 || size > 8 || reserved) {
            throw new IllegalArgumentException(qualifiedName() + " is not a 1..8-byte value field");
        }
    }
}
