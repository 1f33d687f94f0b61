package dev.hvsim.vmcs.msr;

/**
 * IA32_VMX_VMCS_ENUM (index 0x48A), SDM Vol. 3C Appendix A.9: the highest index used in any VMCS field
 * encoding the processor supports.
 *
 * @param raw the MSR value
 */
public record VmcsEnum(long raw) {

    private static final MsrField HIGHEST = VmxMsrCatalogue.get().field(VmxMsr.IA32_VMX_VMCS_ENUM,
            "Highest index value used in any VMCS field encoding");

    /** Bits 9:1: the highest field index (encoding bits 9:1) of any supported field. */
    public int highestIndex() {
        return (int) HIGHEST.extract(raw);
    }

    /** The MSR value that reports {@code highestIndex}. */
    public static VmcsEnum ofHighestIndex(int highestIndex) {
        return new VmcsEnum(HIGHEST.bits().insert(0, highestIndex));
    }
}
