package dev.hvsim.vmcs.msr;

/**
 * The MSRs of {@code vmx-capability-msrs.csv}: IA32_FEATURE_CONTROL and the VMX capability MSRs
 * IA32_VMX_BASIC (0x480) .. IA32_VMX_EXIT_CTLS2 (0x493) (SDM Vol. 3C Appendix A). The constant names are the
 * table's {@code msr_name}; the indices come from the table ({@link #index()}).
 */
public enum VmxMsr {
    IA32_FEATURE_CONTROL,
    IA32_VMX_BASIC,
    IA32_VMX_PINBASED_CTLS,
    IA32_VMX_PROCBASED_CTLS,
    IA32_VMX_EXIT_CTLS,
    IA32_VMX_ENTRY_CTLS,
    IA32_VMX_MISC,
    IA32_VMX_CR0_FIXED0,
    IA32_VMX_CR0_FIXED1,
    IA32_VMX_CR4_FIXED0,
    IA32_VMX_CR4_FIXED1,
    IA32_VMX_VMCS_ENUM,
    IA32_VMX_PROCBASED_CTLS2,
    IA32_VMX_EPT_VPID_CAP,
    IA32_VMX_TRUE_PINBASED_CTLS,
    IA32_VMX_TRUE_PROCBASED_CTLS,
    IA32_VMX_TRUE_EXIT_CTLS,
    IA32_VMX_TRUE_ENTRY_CTLS,
    IA32_VMX_VMFUNC,
    IA32_VMX_PROCBASED_CTLS3,
    IA32_VMX_EXIT_CTLS2;

    /** The MSR index (ECX of RDMSR), from the reference table. */
    public int index() {
        return VmxMsrCatalogue.get().index(this);
    }

    /** The MSR with this index, or null when the index is none of these. */
    public static VmxMsr byIndex(long index) {
        VmxMsr[] all = Indices.MSRS;
        int[] idx = Indices.INDEX;
        for (int i = 0; i < all.length; i++) {
            if (idx[i] == index) {
                return all[i];
            }
        }
        return null;
    }

    /** The constants and their indices, read from the table once (byIndex runs on RDMSR and on every VM entry). */
    private static final class Indices {
        static final VmxMsr[] MSRS = values();
        static final int[] INDEX = new int[MSRS.length];

        static {
            for (int i = 0; i < MSRS.length; i++) {
                INDEX[i] = MSRS[i].index();
            }
        }
    }
}
