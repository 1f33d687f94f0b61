package dev.hvsim.vmcs.msr;

/**
 * IA32_VMX_VMFUNC (index 0x491), SDM Vol. 3C Appendix A.11: the allowed-1 settings of the 64-bit
 * VM-function controls.
 *
 * @param raw the MSR value
 */
public record VmFuncCap(long raw) {

    private static final MsrField EPTP_SWITCHING = VmxMsrCatalogue.get().field(VmxMsr.IA32_VMX_VMFUNC,
            "EPTP switching (VM function 0) may be enabled");

    /** VM function 0 (EPTP switching) may be enabled. */
    public boolean eptpSwitching() {
        return EPTP_SWITCHING.extract(raw) != 0;
    }

    /** Whether VM-function control bit {@code bit} may be 1. */
    public boolean allowed1(int bit) {
        return bit >= 0 && bit < 64 && ((raw >>> bit) & 1) != 0;
    }
}
