package dev.hvsim.vmcs.msr;

/**
 * IA32_VMX_BASIC (index 0x480), SDM Vol. 3C Appendix A.1. Bit positions come from
 * {@code vmx-capability-msrs.csv}.
 *
 * @param raw the MSR value
 */
public record VmxBasic(long raw) {

    private static final MsrField REVISION = f("VMCS revision identifier");
    private static final MsrField ALWAYS0 = f("Always 0");
    private static final MsrField REGION_SIZE = f("VMCS region size");
    private static final MsrField PA32 = f("Physical-address width limited to 32 bits");
    private static final MsrField DUAL_MONITOR = f("Dual-monitor treatment of SMI/SMM supported");
    private static final MsrField MEMORY_TYPE = f("VMCS memory type");
    private static final MsrField INS_OUTS = f("INS/OUTS instruction information reported");
    private static final MsrField TRUE_CTLS = f("TRUE capability MSRs supported");
    private static final MsrField NO_ERROR_CODE_CHECK = f("No error-code consistency check on HW-exception injection");
    private static final MsrField NESTED_EXCEPTION = f("Nested-exception support (FRED)");

    private static MsrField f(String name) {
        return VmxMsrCatalogue.get().field(VmxMsr.IA32_VMX_BASIC, name);
    }

    /** Bits 30:0: the VMCS revision identifier processors write to and expect in VMXON and VMCS regions. */
    public int revisionId() {
        return (int) REVISION.extract(raw);
    }

    /** Bit 31, always 0 (it is bit 31 of the VMCS region header, not of this MSR, that marks a shadow VMCS). */
    public boolean bit31() {
        return ALWAYS0.extract(raw) != 0;
    }

    /** Bytes software allocates for the VMXON region and each VMCS region (at most 4096). */
    public int regionSize() {
        return (int) REGION_SIZE.extract(raw);
    }

    /** 1: VMXON/VMCS/bitmap physical addresses are limited to 32 bits (0 on Intel 64 processors). */
    public boolean physicalAddressWidth32() {
        return PA32.extract(raw) != 0;
    }

    /** Dual-monitor treatment of SMIs and SMM is supported. */
    public boolean dualMonitorTreatment() {
        return DUAL_MONITOR.extract(raw) != 0;
    }

    /** The memory type the processor uses for the VMCS and the structures it points to (0 UC, 6 WB). */
    public int memoryType() {
        return (int) MEMORY_TYPE.extract(raw);
    }

    /** VM exits caused by INS/OUTS report instruction information. */
    public boolean insOutsInformation() {
        return INS_OUTS.extract(raw) != 0;
    }

    /** The IA32_VMX_TRUE_*_CTLS MSRs exist, and default1 controls may be 0 where they say so. */
    public boolean trueControls() {
        return TRUE_CTLS.extract(raw) != 0;
    }

    /** VM entry may inject a hardware exception with or without an error code, whatever the vector. */
    public boolean noErrorCodeConsistencyCheck() {
        return NO_ERROR_CODE_CHECK.extract(raw) != 0;
    }

    /** Bit 58, nested-exception support (FRED); a single-source row of the reference, see REFERENCE-NOTES.md. */
    public boolean nestedExceptionSupport() {
        return NESTED_EXCEPTION.extract(raw) != 0;
    }
}
