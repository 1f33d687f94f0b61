package dev.hvsim.vmcs;

import dev.hvsim.vmcs.msr.VmxCapabilities;

/**
 * One VMCS component encoding, one row of {@code vmcs-fields.csv} (SDM Vol. 3C 25.11.2 and Appendix B). A
 * 64-bit field has two rows: its full encoding and its high encoding (bits 63:32).
 *
 * @param name           the field's symbol (Linux-style, e.g. {@code GUEST_RIP}); the lookup key
 * @param sdmName        the SDM's name of the field
 * @param encoding       the component encoding
 * @param width          width (agrees with encoding bits 14:13)
 * @param type           type (agrees with encoding bits 11:10)
 * @param access         full or high (agrees with encoding bit 0)
 * @param appendixBGroup the SDM Appendix B section and table the field is listed in
 * @param existsOnlyIf   the reference table's existence text (empty: every VMX processor has it)
 * @param existence      hvsim's reading of that text as a condition
 * @param verification   the reference table's verification note
 * @param disagreement   the reference table's disagreement note (usually empty)
 */
public record VmcsField(String name, String sdmName, VmcsEncoding encoding, FieldWidth width, FieldType type,
        AccessType access, String appendixBGroup, String existsOnlyIf, FieldExistence existence,
        String verification, String disagreement) {

    /** The encoding as an int. */
    public int encodingValue() {
        return encoding.value();
    }

    /** A VM-exit information field: VMWRITE fails with VMfailValid 13 unless IA32_VMX_MISC[29] is 1. */
    public boolean readOnly() {
        return type == FieldType.READ_ONLY_DATA;
    }

    /** The high half of a 64-bit field. */
    public boolean high() {
        return access == AccessType.HIGH;
    }

    /** The value bits VMREAD returns and VMWRITE stores for this encoding (32 bits for a high access). */
    public long valueMask() {
        return high() ? 0xffffffffL : width.mask();
    }

    /** True when the reference table rests on a single source for this row. */
    public boolean unverified() {
        return verification.contains("UNVERIFIED");
    }

    /**
     * Whether a processor with these capabilities supports the field: its existence condition holds and its
     * index is at most the highest index IA32_VMX_VMCS_ENUM reports (SDM Appendix A.9).
     */
    public boolean existsUnder(VmxCapabilities caps) {
        return existence.holds(caps) && encoding.index() <= caps.vmcsEnum().highestIndex();
    }

    @Override
    public String toString() {
        return name + "(" + encoding + ")";
    }
}
