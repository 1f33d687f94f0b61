package dev.hvsim.vmcs.vmcb;

import dev.hvsim.vmcs.data.BitRange;

/**
 * A bit or bit range inside a VMCB field (intercept bits, int_ctl, EVENTINJ, NESTED_CTL, clean bits, segment
 * attributes, AVIC entries), one row of {@code vmcb-layout.csv} with a {@code bits} column (AMD APM Vol. 2
 * Appendix B).
 *
 * @param area         the area
 * @param offset       byte offset of the word the bits are counted in
 * @param bits         the bits, counted from bit 0 of the little-endian word at {@code offset}
 * @param name         the table's name
 * @param key          the lookup name ({@code name} without a trailing parenthesis)
 * @param description  the table's description
 * @param cleanBit     the clean bit that covers it, or -1
 * @param reserved     true for a reserved/SBZ range
 * @param verification the table's verification note
 * @param disagreement the table's disagreement note
 */
public record VmcbBitField(VmcbArea area, int offset, BitRange bits, String name, String key, String description,
        int cleanBit, boolean reserved, String verification, String disagreement) {

    /** {@code control.KEY} or {@code save.KEY}. */
    public String qualifiedName() {
        return area.csvName() + "." + key;
    }

    /** True when the table rests on a single source for this row. */
    public boolean unverified() {
        return verification.contains("UNVERIFIED");
    }
}
