package dev.hvsim.vmcs.msr;

import dev.hvsim.vmcs.data.BitRange;

/**
 * A named bit field of a VMX MSR, one row of {@code vmx-capability-msrs.csv} (SDM Vol. 3C Appendix A).
 *
 * @param msr          the MSR
 * @param bits         where the field sits
 * @param name         the table's field name ({@code "VMCS revision identifier"})
 * @param meaning      the table's short explanation
 * @param verification the table's verification note
 */
public record MsrField(VmxMsr msr, BitRange bits, String name, String meaning, String verification) {

    /** The field's value in {@code raw}, shifted to bit 0. */
    public long extract(long raw) {
        return bits.extract(raw);
    }

    /** True when the table rests on a single source for this field. */
    public boolean unverified() {
        return verification.contains("UNVERIFIED");
    }
}
