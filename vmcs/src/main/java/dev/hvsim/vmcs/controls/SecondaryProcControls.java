package dev.hvsim.vmcs.controls;

/**
 * A value of the Secondary processor-based VM-execution controls (SDM Vol. 3C 25.6.2; allowed settings in IA32_VMX_PROCBASED_CTLS2, Appendix A).
 *
 * <p>Generated from {@code reference/vmx-controls.csv}: one predicate per defined bit, named by
 * {@link ControlBit#javaNameOf}. The bit positions are read from that table when the class loads;
 * {@code ControlWordRecordsTest} fails when a defined bit has no predicate or a predicate tests another bit.
 *
 * @param value the raw 32-bit control word
 */
public record SecondaryProcControls(int value) implements ControlValue {

    private static final ControlCatalogue C = ControlCatalogue.get();
    private static final int VIRTUALIZE_APIC_ACCESSES = C.mask32(ControlWord.SECONDARY_PROC, "virtualizeApicAccesses");
    private static final int ENABLE_EPT = C.mask32(ControlWord.SECONDARY_PROC, "enableEpt");
    private static final int DESCRIPTOR_TABLE_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "descriptorTableExiting");
    private static final int ENABLE_RDTSCP = C.mask32(ControlWord.SECONDARY_PROC, "enableRdtscp");
    private static final int VIRTUALIZE_X2APIC_MODE = C.mask32(ControlWord.SECONDARY_PROC, "virtualizeX2apicMode");
    private static final int ENABLE_VPID = C.mask32(ControlWord.SECONDARY_PROC, "enableVpid");
    private static final int WBINVD_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "wbinvdExiting");
    private static final int UNRESTRICTED_GUEST = C.mask32(ControlWord.SECONDARY_PROC, "unrestrictedGuest");
    private static final int APIC_REGISTER_VIRTUALIZATION = C.mask32(ControlWord.SECONDARY_PROC, "apicRegisterVirtualization");
    private static final int VIRTUAL_INTERRUPT_DELIVERY = C.mask32(ControlWord.SECONDARY_PROC, "virtualInterruptDelivery");
    private static final int PAUSE_LOOP_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "pauseLoopExiting");
    private static final int RDRAND_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "rdrandExiting");
    private static final int ENABLE_INVPCID = C.mask32(ControlWord.SECONDARY_PROC, "enableInvpcid");
    private static final int ENABLE_VM_FUNCTIONS = C.mask32(ControlWord.SECONDARY_PROC, "enableVmFunctions");
    private static final int VMCS_SHADOWING = C.mask32(ControlWord.SECONDARY_PROC, "vmcsShadowing");
    private static final int ENABLE_ENCLS_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "enableEnclsExiting");
    private static final int RDSEED_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "rdseedExiting");
    private static final int ENABLE_PML = C.mask32(ControlWord.SECONDARY_PROC, "enablePml");
    private static final int EPT_VIOLATION_VE = C.mask32(ControlWord.SECONDARY_PROC, "eptViolationVe");
    private static final int CONCEAL_VMX_FROM_PT = C.mask32(ControlWord.SECONDARY_PROC, "concealVmxFromPt");
    private static final int ENABLE_XSAVES_XRSTORS = C.mask32(ControlWord.SECONDARY_PROC, "enableXsavesXrstors");
    private static final int PASID_TRANSLATION = C.mask32(ControlWord.SECONDARY_PROC, "pasidTranslation");
    private static final int MODE_BASED_EXECUTE_CONTROL_FOR_EPT = C.mask32(ControlWord.SECONDARY_PROC, "modeBasedExecuteControlForEpt");
    private static final int SUB_PAGE_WRITE_PERMISSIONS_FOR_EPT = C.mask32(ControlWord.SECONDARY_PROC, "subPageWritePermissionsForEpt");
    private static final int INTEL_PT_USES_GUEST_PHYSICAL_ADDRESSES = C.mask32(ControlWord.SECONDARY_PROC, "intelPtUsesGuestPhysicalAddresses");
    private static final int USE_TSC_SCALING = C.mask32(ControlWord.SECONDARY_PROC, "useTscScaling");
    private static final int ENABLE_USER_WAIT_AND_PAUSE = C.mask32(ControlWord.SECONDARY_PROC, "enableUserWaitAndPause");
    private static final int ENABLE_PCONFIG = C.mask32(ControlWord.SECONDARY_PROC, "enablePconfig");
    private static final int ENABLE_ENCLV_EXITING = C.mask32(ControlWord.SECONDARY_PROC, "enableEnclvExiting");
    private static final int EPC_VIRTUALIZATION = C.mask32(ControlWord.SECONDARY_PROC, "epcVirtualization");
    private static final int VMM_BUS_LOCK_DETECTION = C.mask32(ControlWord.SECONDARY_PROC, "vmmBusLockDetection");
    private static final int INSTRUCTION_TIMEOUT = C.mask32(ControlWord.SECONDARY_PROC, "instructionTimeout");

    @Override
    public ControlWord word() {
        return ControlWord.SECONDARY_PROC;
    }

    @Override
    public long bits() {
        return value & 0xffffffffL;
    }

    /** The value with exactly the named defined controls set; every other bit, reserved default1 bits included, is 0. */
    public static SecondaryProcControls of(String... javaNames) {
        long v = 0;
        for (String n : javaNames) {
            v |= C.bit(ControlWord.SECONDARY_PROC, n).mask();
        }
        return new SecondaryProcControls((int) v);
    }

    /** Virtualize APIC accesses. */
    public boolean virtualizeApicAccesses() {
        return (value & VIRTUALIZE_APIC_ACCESSES) != 0;
    }

    /** Enable EPT. */
    public boolean enableEpt() {
        return (value & ENABLE_EPT) != 0;
    }

    /** Descriptor-table exiting. */
    public boolean descriptorTableExiting() {
        return (value & DESCRIPTOR_TABLE_EXITING) != 0;
    }

    /** Enable RDTSCP. */
    public boolean enableRdtscp() {
        return (value & ENABLE_RDTSCP) != 0;
    }

    /** Virtualize x2APIC mode. */
    public boolean virtualizeX2apicMode() {
        return (value & VIRTUALIZE_X2APIC_MODE) != 0;
    }

    /** Enable VPID. */
    public boolean enableVpid() {
        return (value & ENABLE_VPID) != 0;
    }

    /** WBINVD exiting. */
    public boolean wbinvdExiting() {
        return (value & WBINVD_EXITING) != 0;
    }

    /** Unrestricted guest. */
    public boolean unrestrictedGuest() {
        return (value & UNRESTRICTED_GUEST) != 0;
    }

    /** APIC-register virtualization. */
    public boolean apicRegisterVirtualization() {
        return (value & APIC_REGISTER_VIRTUALIZATION) != 0;
    }

    /** Virtual-interrupt delivery. */
    public boolean virtualInterruptDelivery() {
        return (value & VIRTUAL_INTERRUPT_DELIVERY) != 0;
    }

    /** PAUSE-loop exiting. */
    public boolean pauseLoopExiting() {
        return (value & PAUSE_LOOP_EXITING) != 0;
    }

    /** RDRAND exiting. */
    public boolean rdrandExiting() {
        return (value & RDRAND_EXITING) != 0;
    }

    /** Enable INVPCID. */
    public boolean enableInvpcid() {
        return (value & ENABLE_INVPCID) != 0;
    }

    /** Enable VM functions. */
    public boolean enableVmFunctions() {
        return (value & ENABLE_VM_FUNCTIONS) != 0;
    }

    /** VMCS shadowing. */
    public boolean vmcsShadowing() {
        return (value & VMCS_SHADOWING) != 0;
    }

    /** Enable ENCLS exiting. */
    public boolean enableEnclsExiting() {
        return (value & ENABLE_ENCLS_EXITING) != 0;
    }

    /** RDSEED exiting. */
    public boolean rdseedExiting() {
        return (value & RDSEED_EXITING) != 0;
    }

    /** Enable PML. */
    public boolean enablePml() {
        return (value & ENABLE_PML) != 0;
    }

    /** EPT-violation #VE. */
    public boolean eptViolationVe() {
        return (value & EPT_VIOLATION_VE) != 0;
    }

    /** Conceal VMX from PT. */
    public boolean concealVmxFromPt() {
        return (value & CONCEAL_VMX_FROM_PT) != 0;
    }

    /** Enable XSAVES/XRSTORS. */
    public boolean enableXsavesXrstors() {
        return (value & ENABLE_XSAVES_XRSTORS) != 0;
    }

    /** PASID translation. */
    public boolean pasidTranslation() {
        return (value & PASID_TRANSLATION) != 0;
    }

    /** Mode-based execute control for EPT. */
    public boolean modeBasedExecuteControlForEpt() {
        return (value & MODE_BASED_EXECUTE_CONTROL_FOR_EPT) != 0;
    }

    /** Sub-page write permissions for EPT. */
    public boolean subPageWritePermissionsForEpt() {
        return (value & SUB_PAGE_WRITE_PERMISSIONS_FOR_EPT) != 0;
    }

    /** Intel PT uses guest physical addresses. */
    public boolean intelPtUsesGuestPhysicalAddresses() {
        return (value & INTEL_PT_USES_GUEST_PHYSICAL_ADDRESSES) != 0;
    }

    /** Use TSC scaling. */
    public boolean useTscScaling() {
        return (value & USE_TSC_SCALING) != 0;
    }

    /** Enable user wait and pause. */
    public boolean enableUserWaitAndPause() {
        return (value & ENABLE_USER_WAIT_AND_PAUSE) != 0;
    }

    /** Enable PCONFIG. */
    public boolean enablePconfig() {
        return (value & ENABLE_PCONFIG) != 0;
    }

    /** Enable ENCLV exiting. */
    public boolean enableEnclvExiting() {
        return (value & ENABLE_ENCLV_EXITING) != 0;
    }

    /** EPC virtualization (SGX). Reference row: sources disagree, see REFERENCE-NOTES.md. */
    public boolean epcVirtualization() {
        return (value & EPC_VIRTUALIZATION) != 0;
    }

    /** VMM bus-lock detection. */
    public boolean vmmBusLockDetection() {
        return (value & VMM_BUS_LOCK_DETECTION) != 0;
    }

    /** Instruction timeout. */
    public boolean instructionTimeout() {
        return (value & INSTRUCTION_TIMEOUT) != 0;
    }
}
