package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;

/** The VMCS fields the model reads and writes, from the vmcs catalogue (SDM Vol. 3C Appendix B). */
final class F {
    private static final VmcsFields C = VmcsFields.get();

    static final VmcsField VIRTUAL_PROCESSOR_ID = C.byName("VIRTUAL_PROCESSOR_ID");
    static final VmcsField GUEST_ES_SELECTOR = C.byName("GUEST_ES_SELECTOR");
    static final VmcsField GUEST_CS_SELECTOR = C.byName("GUEST_CS_SELECTOR");
    static final VmcsField GUEST_SS_SELECTOR = C.byName("GUEST_SS_SELECTOR");
    static final VmcsField GUEST_DS_SELECTOR = C.byName("GUEST_DS_SELECTOR");
    static final VmcsField GUEST_FS_SELECTOR = C.byName("GUEST_FS_SELECTOR");
    static final VmcsField GUEST_GS_SELECTOR = C.byName("GUEST_GS_SELECTOR");
    static final VmcsField GUEST_LDTR_SELECTOR = C.byName("GUEST_LDTR_SELECTOR");
    static final VmcsField GUEST_TR_SELECTOR = C.byName("GUEST_TR_SELECTOR");
    static final VmcsField HOST_ES_SELECTOR = C.byName("HOST_ES_SELECTOR");
    static final VmcsField HOST_CS_SELECTOR = C.byName("HOST_CS_SELECTOR");
    static final VmcsField HOST_SS_SELECTOR = C.byName("HOST_SS_SELECTOR");
    static final VmcsField HOST_DS_SELECTOR = C.byName("HOST_DS_SELECTOR");
    static final VmcsField HOST_FS_SELECTOR = C.byName("HOST_FS_SELECTOR");
    static final VmcsField HOST_GS_SELECTOR = C.byName("HOST_GS_SELECTOR");
    static final VmcsField HOST_TR_SELECTOR = C.byName("HOST_TR_SELECTOR");
    static final VmcsField IO_BITMAP_A = C.byName("IO_BITMAP_A");
    static final VmcsField IO_BITMAP_B = C.byName("IO_BITMAP_B");
    static final VmcsField MSR_BITMAP = C.byName("MSR_BITMAP");
    static final VmcsField VM_EXIT_MSR_STORE_ADDR = C.byName("VM_EXIT_MSR_STORE_ADDR");
    static final VmcsField VM_EXIT_MSR_LOAD_ADDR = C.byName("VM_EXIT_MSR_LOAD_ADDR");
    static final VmcsField VM_ENTRY_MSR_LOAD_ADDR = C.byName("VM_ENTRY_MSR_LOAD_ADDR");
    static final VmcsField TSC_OFFSET = C.byName("TSC_OFFSET");
    static final VmcsField TSC_MULTIPLIER = C.byName("TSC_MULTIPLIER");
    static final VmcsField VM_FUNCTION_CONTROL = C.byName("VM_FUNCTION_CONTROL");
    static final VmcsField EPTP_LIST_ADDRESS = C.byName("EPTP_LIST_ADDRESS");
    static final VmcsField VMREAD_BITMAP = C.byName("VMREAD_BITMAP");
    static final VmcsField VMWRITE_BITMAP = C.byName("VMWRITE_BITMAP");
    static final VmcsField VIRTUAL_APIC_PAGE_ADDR = C.byName("VIRTUAL_APIC_PAGE_ADDR");
    static final VmcsField VMCS_LINK_POINTER = C.byName("VMCS_LINK_POINTER");
    static final VmcsField GUEST_IA32_DEBUGCTL = C.byName("GUEST_IA32_DEBUGCTL");
    static final VmcsField GUEST_IA32_PAT = C.byName("GUEST_IA32_PAT");
    static final VmcsField GUEST_IA32_EFER = C.byName("GUEST_IA32_EFER");
    static final VmcsField GUEST_PDPTE0 = C.byName("GUEST_PDPTE0");
    static final VmcsField GUEST_PDPTE1 = C.byName("GUEST_PDPTE1");
    static final VmcsField GUEST_PDPTE2 = C.byName("GUEST_PDPTE2");
    static final VmcsField GUEST_PDPTE3 = C.byName("GUEST_PDPTE3");
    static final VmcsField HOST_IA32_PAT = C.byName("HOST_IA32_PAT");
    static final VmcsField HOST_IA32_EFER = C.byName("HOST_IA32_EFER");
    static final VmcsField PIN_BASED_VM_EXEC_CONTROL = C.byName("PIN_BASED_VM_EXEC_CONTROL");
    static final VmcsField CPU_BASED_VM_EXEC_CONTROL = C.byName("CPU_BASED_VM_EXEC_CONTROL");
    static final VmcsField EXCEPTION_BITMAP = C.byName("EXCEPTION_BITMAP");
    static final VmcsField PAGE_FAULT_ERROR_CODE_MASK = C.byName("PAGE_FAULT_ERROR_CODE_MASK");
    static final VmcsField PAGE_FAULT_ERROR_CODE_MATCH = C.byName("PAGE_FAULT_ERROR_CODE_MATCH");
    static final VmcsField CR3_TARGET_COUNT = C.byName("CR3_TARGET_COUNT");
    static final VmcsField PLE_GAP = C.byName("PLE_GAP");
    static final VmcsField PLE_WINDOW = C.byName("PLE_WINDOW");
    static final VmcsField VM_EXIT_CONTROLS = C.byName("VM_EXIT_CONTROLS");
    static final VmcsField VM_EXIT_MSR_STORE_COUNT = C.byName("VM_EXIT_MSR_STORE_COUNT");
    static final VmcsField VM_EXIT_MSR_LOAD_COUNT = C.byName("VM_EXIT_MSR_LOAD_COUNT");
    static final VmcsField VM_ENTRY_CONTROLS = C.byName("VM_ENTRY_CONTROLS");
    static final VmcsField VM_ENTRY_MSR_LOAD_COUNT = C.byName("VM_ENTRY_MSR_LOAD_COUNT");
    static final VmcsField VM_ENTRY_INTR_INFO_FIELD = C.byName("VM_ENTRY_INTR_INFO_FIELD");
    static final VmcsField VM_ENTRY_EXCEPTION_ERROR_CODE = C.byName("VM_ENTRY_EXCEPTION_ERROR_CODE");
    static final VmcsField VM_ENTRY_INSTRUCTION_LEN = C.byName("VM_ENTRY_INSTRUCTION_LEN");
    static final VmcsField TPR_THRESHOLD = C.byName("TPR_THRESHOLD");
    static final VmcsField SECONDARY_VM_EXEC_CONTROL = C.byName("SECONDARY_VM_EXEC_CONTROL");
    static final VmcsField VM_INSTRUCTION_ERROR = C.byName("VM_INSTRUCTION_ERROR");
    static final VmcsField VM_EXIT_REASON = C.byName("VM_EXIT_REASON");
    static final VmcsField VM_EXIT_INTR_INFO = C.byName("VM_EXIT_INTR_INFO");
    static final VmcsField VM_EXIT_INTR_ERROR_CODE = C.byName("VM_EXIT_INTR_ERROR_CODE");
    static final VmcsField IDT_VECTORING_INFO_FIELD = C.byName("IDT_VECTORING_INFO_FIELD");
    static final VmcsField IDT_VECTORING_ERROR_CODE = C.byName("IDT_VECTORING_ERROR_CODE");
    static final VmcsField VM_EXIT_INSTRUCTION_LEN = C.byName("VM_EXIT_INSTRUCTION_LEN");
    static final VmcsField VMX_INSTRUCTION_INFO = C.byName("VMX_INSTRUCTION_INFO");
    static final VmcsField GUEST_ES_LIMIT = C.byName("GUEST_ES_LIMIT");
    static final VmcsField GUEST_CS_LIMIT = C.byName("GUEST_CS_LIMIT");
    static final VmcsField GUEST_SS_LIMIT = C.byName("GUEST_SS_LIMIT");
    static final VmcsField GUEST_DS_LIMIT = C.byName("GUEST_DS_LIMIT");
    static final VmcsField GUEST_FS_LIMIT = C.byName("GUEST_FS_LIMIT");
    static final VmcsField GUEST_GS_LIMIT = C.byName("GUEST_GS_LIMIT");
    static final VmcsField GUEST_LDTR_LIMIT = C.byName("GUEST_LDTR_LIMIT");
    static final VmcsField GUEST_TR_LIMIT = C.byName("GUEST_TR_LIMIT");
    static final VmcsField GUEST_GDTR_LIMIT = C.byName("GUEST_GDTR_LIMIT");
    static final VmcsField GUEST_IDTR_LIMIT = C.byName("GUEST_IDTR_LIMIT");
    static final VmcsField GUEST_ES_AR_BYTES = C.byName("GUEST_ES_AR_BYTES");
    static final VmcsField GUEST_CS_AR_BYTES = C.byName("GUEST_CS_AR_BYTES");
    static final VmcsField GUEST_SS_AR_BYTES = C.byName("GUEST_SS_AR_BYTES");
    static final VmcsField GUEST_DS_AR_BYTES = C.byName("GUEST_DS_AR_BYTES");
    static final VmcsField GUEST_FS_AR_BYTES = C.byName("GUEST_FS_AR_BYTES");
    static final VmcsField GUEST_GS_AR_BYTES = C.byName("GUEST_GS_AR_BYTES");
    static final VmcsField GUEST_LDTR_AR_BYTES = C.byName("GUEST_LDTR_AR_BYTES");
    static final VmcsField GUEST_TR_AR_BYTES = C.byName("GUEST_TR_AR_BYTES");
    static final VmcsField GUEST_INTERRUPTIBILITY_INFO = C.byName("GUEST_INTERRUPTIBILITY_INFO");
    static final VmcsField GUEST_ACTIVITY_STATE = C.byName("GUEST_ACTIVITY_STATE");
    static final VmcsField GUEST_SMBASE = C.byName("GUEST_SMBASE");
    static final VmcsField GUEST_SYSENTER_CS = C.byName("GUEST_SYSENTER_CS");
    static final VmcsField HOST_IA32_SYSENTER_CS = C.byName("HOST_IA32_SYSENTER_CS");
    static final VmcsField CR0_GUEST_HOST_MASK = C.byName("CR0_GUEST_HOST_MASK");
    static final VmcsField CR4_GUEST_HOST_MASK = C.byName("CR4_GUEST_HOST_MASK");
    static final VmcsField CR0_READ_SHADOW = C.byName("CR0_READ_SHADOW");
    static final VmcsField CR4_READ_SHADOW = C.byName("CR4_READ_SHADOW");
    static final VmcsField CR3_TARGET_VALUE0 = C.byName("CR3_TARGET_VALUE0");
    static final VmcsField CR3_TARGET_VALUE1 = C.byName("CR3_TARGET_VALUE1");
    static final VmcsField CR3_TARGET_VALUE2 = C.byName("CR3_TARGET_VALUE2");
    static final VmcsField CR3_TARGET_VALUE3 = C.byName("CR3_TARGET_VALUE3");
    static final VmcsField EXIT_QUALIFICATION = C.byName("EXIT_QUALIFICATION");
    static final VmcsField IO_RCX = C.byName("IO_RCX");
    static final VmcsField IO_RSI = C.byName("IO_RSI");
    static final VmcsField IO_RDI = C.byName("IO_RDI");
    static final VmcsField IO_RIP = C.byName("IO_RIP");
    static final VmcsField GUEST_LINEAR_ADDRESS = C.byName("GUEST_LINEAR_ADDRESS");
    static final VmcsField GUEST_PHYSICAL_ADDRESS = C.byName("GUEST_PHYSICAL_ADDRESS");
    static final VmcsField EPT_POINTER = C.byName("EPT_POINTER");
    static final VmcsField VMX_PREEMPTION_TIMER_VALUE = C.byName("VMX_PREEMPTION_TIMER_VALUE");
    static final VmcsField GUEST_CR0 = C.byName("GUEST_CR0");
    static final VmcsField GUEST_CR3 = C.byName("GUEST_CR3");
    static final VmcsField GUEST_CR4 = C.byName("GUEST_CR4");
    static final VmcsField GUEST_ES_BASE = C.byName("GUEST_ES_BASE");
    static final VmcsField GUEST_CS_BASE = C.byName("GUEST_CS_BASE");
    static final VmcsField GUEST_SS_BASE = C.byName("GUEST_SS_BASE");
    static final VmcsField GUEST_DS_BASE = C.byName("GUEST_DS_BASE");
    static final VmcsField GUEST_FS_BASE = C.byName("GUEST_FS_BASE");
    static final VmcsField GUEST_GS_BASE = C.byName("GUEST_GS_BASE");
    static final VmcsField GUEST_LDTR_BASE = C.byName("GUEST_LDTR_BASE");
    static final VmcsField GUEST_TR_BASE = C.byName("GUEST_TR_BASE");
    static final VmcsField GUEST_GDTR_BASE = C.byName("GUEST_GDTR_BASE");
    static final VmcsField GUEST_IDTR_BASE = C.byName("GUEST_IDTR_BASE");
    static final VmcsField GUEST_DR7 = C.byName("GUEST_DR7");
    static final VmcsField GUEST_RSP = C.byName("GUEST_RSP");
    static final VmcsField GUEST_RIP = C.byName("GUEST_RIP");
    static final VmcsField GUEST_RFLAGS = C.byName("GUEST_RFLAGS");
    static final VmcsField GUEST_PENDING_DBG_EXCEPTIONS = C.byName("GUEST_PENDING_DBG_EXCEPTIONS");
    static final VmcsField GUEST_SYSENTER_ESP = C.byName("GUEST_SYSENTER_ESP");
    static final VmcsField GUEST_SYSENTER_EIP = C.byName("GUEST_SYSENTER_EIP");
    static final VmcsField HOST_CR0 = C.byName("HOST_CR0");
    static final VmcsField HOST_CR3 = C.byName("HOST_CR3");
    static final VmcsField HOST_CR4 = C.byName("HOST_CR4");
    static final VmcsField HOST_FS_BASE = C.byName("HOST_FS_BASE");
    static final VmcsField HOST_GS_BASE = C.byName("HOST_GS_BASE");
    static final VmcsField HOST_TR_BASE = C.byName("HOST_TR_BASE");
    static final VmcsField HOST_GDTR_BASE = C.byName("HOST_GDTR_BASE");
    static final VmcsField HOST_IDTR_BASE = C.byName("HOST_IDTR_BASE");
    static final VmcsField HOST_IA32_SYSENTER_ESP = C.byName("HOST_IA32_SYSENTER_ESP");
    static final VmcsField HOST_IA32_SYSENTER_EIP = C.byName("HOST_IA32_SYSENTER_EIP");
    static final VmcsField HOST_RSP = C.byName("HOST_RSP");
    static final VmcsField HOST_RIP = C.byName("HOST_RIP");

    /** Guest selector, base, limit and access-rights fields by x86-core segment number (ES, CS, SS, DS, FS, GS). */
    static final VmcsField[] GUEST_SEL = {GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR};
    static final VmcsField[] GUEST_BASE = {GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE};
    static final VmcsField[] GUEST_LIMIT = {GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT, GUEST_FS_LIMIT, GUEST_GS_LIMIT};
    static final VmcsField[] GUEST_AR = {GUEST_ES_AR_BYTES, GUEST_CS_AR_BYTES, GUEST_SS_AR_BYTES, GUEST_DS_AR_BYTES, GUEST_FS_AR_BYTES, GUEST_GS_AR_BYTES};
    static final VmcsField[] HOST_SEL = {HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR, HOST_DS_SELECTOR, HOST_FS_SELECTOR, HOST_GS_SELECTOR};
    static final VmcsField[] CR3_TARGET = {CR3_TARGET_VALUE0, CR3_TARGET_VALUE1, CR3_TARGET_VALUE2, CR3_TARGET_VALUE3};

    private F() {}

    /** The catalogue index of a field ({@link VmcsSnapshot#indexOf}), for straight-line VM-exit and VM-entry code. */
    static int i(VmcsField f) {
        int i = VmcsSnapshot.indexOf(f);
        if (i < 0 || f.high()) {
            throw new IllegalStateException("no full catalogue index for " + f);
        }
        return i;
    }

    static int[] i(VmcsField[] fs) {
        int[] r = new int[fs.length];
        for (int k = 0; k < fs.length; k++) {
            r[k] = i(fs[k]);
        }
        return r;
    }

    /** Catalogue indices of the fields VM exits and VM entries save and load (SDM Vol. 3C 28.3.2, 29.3, 29.5). */
    static final class I {
        private I() {}

        static final int GUEST_CR0 = i(F.GUEST_CR0), GUEST_CR3 = i(F.GUEST_CR3), GUEST_CR4 = i(F.GUEST_CR4),
                GUEST_DR7 = i(F.GUEST_DR7), GUEST_IA32_DEBUGCTL = i(F.GUEST_IA32_DEBUGCTL), GUEST_RSP = i(F.GUEST_RSP),
                GUEST_RIP = i(F.GUEST_RIP), GUEST_RFLAGS = i(F.GUEST_RFLAGS),
                GUEST_LDTR_SELECTOR = i(F.GUEST_LDTR_SELECTOR), GUEST_LDTR_BASE = i(F.GUEST_LDTR_BASE),
                GUEST_LDTR_LIMIT = i(F.GUEST_LDTR_LIMIT), GUEST_LDTR_AR_BYTES = i(F.GUEST_LDTR_AR_BYTES),
                GUEST_TR_SELECTOR = i(F.GUEST_TR_SELECTOR), GUEST_TR_BASE = i(F.GUEST_TR_BASE),
                GUEST_TR_LIMIT = i(F.GUEST_TR_LIMIT), GUEST_TR_AR_BYTES = i(F.GUEST_TR_AR_BYTES),
                GUEST_GDTR_BASE = i(F.GUEST_GDTR_BASE), GUEST_GDTR_LIMIT = i(F.GUEST_GDTR_LIMIT),
                GUEST_IDTR_BASE = i(F.GUEST_IDTR_BASE), GUEST_IDTR_LIMIT = i(F.GUEST_IDTR_LIMIT),
                GUEST_SYSENTER_CS = i(F.GUEST_SYSENTER_CS), GUEST_SYSENTER_ESP = i(F.GUEST_SYSENTER_ESP),
                GUEST_SYSENTER_EIP = i(F.GUEST_SYSENTER_EIP), GUEST_IA32_PAT = i(F.GUEST_IA32_PAT),
                GUEST_IA32_EFER = i(F.GUEST_IA32_EFER), VM_ENTRY_CONTROLS = i(F.VM_ENTRY_CONTROLS),
                VM_EXIT_CONTROLS = i(F.VM_EXIT_CONTROLS),
                GUEST_INTERRUPTIBILITY_INFO = i(F.GUEST_INTERRUPTIBILITY_INFO),
                GUEST_ACTIVITY_STATE = i(F.GUEST_ACTIVITY_STATE),
                GUEST_PENDING_DBG_EXCEPTIONS = i(F.GUEST_PENDING_DBG_EXCEPTIONS),
                VM_EXIT_REASON = i(F.VM_EXIT_REASON), EXIT_QUALIFICATION = i(F.EXIT_QUALIFICATION),
                VM_EXIT_INSTRUCTION_LEN = i(F.VM_EXIT_INSTRUCTION_LEN), VMX_INSTRUCTION_INFO = i(F.VMX_INSTRUCTION_INFO),
                VM_EXIT_INTR_INFO = i(F.VM_EXIT_INTR_INFO), VM_EXIT_INTR_ERROR_CODE = i(F.VM_EXIT_INTR_ERROR_CODE),
                VM_ENTRY_INTR_INFO_FIELD = i(F.VM_ENTRY_INTR_INFO_FIELD),
                HOST_CR0 = i(F.HOST_CR0), HOST_CR3 = i(F.HOST_CR3), HOST_CR4 = i(F.HOST_CR4),
                HOST_IA32_SYSENTER_CS = i(F.HOST_IA32_SYSENTER_CS), HOST_IA32_SYSENTER_ESP = i(F.HOST_IA32_SYSENTER_ESP),
                HOST_IA32_SYSENTER_EIP = i(F.HOST_IA32_SYSENTER_EIP), HOST_IA32_EFER = i(F.HOST_IA32_EFER),
                HOST_IA32_PAT = i(F.HOST_IA32_PAT), HOST_CS_SELECTOR = i(F.HOST_CS_SELECTOR),
                HOST_FS_BASE = i(F.HOST_FS_BASE), HOST_GS_BASE = i(F.HOST_GS_BASE),
                HOST_TR_SELECTOR = i(F.HOST_TR_SELECTOR), HOST_TR_BASE = i(F.HOST_TR_BASE),
                HOST_GDTR_BASE = i(F.HOST_GDTR_BASE), HOST_IDTR_BASE = i(F.HOST_IDTR_BASE),
                HOST_RSP = i(F.HOST_RSP), HOST_RIP = i(F.HOST_RIP),
                VM_EXIT_MSR_LOAD_ADDR = i(F.VM_EXIT_MSR_LOAD_ADDR), VM_EXIT_MSR_LOAD_COUNT = i(F.VM_EXIT_MSR_LOAD_COUNT),
                VM_EXIT_MSR_STORE_ADDR = i(F.VM_EXIT_MSR_STORE_ADDR),
                VM_EXIT_MSR_STORE_COUNT = i(F.VM_EXIT_MSR_STORE_COUNT),
                // read by the VM entry's commit and VmxEvents.entered
                PIN_BASED_VM_EXEC_CONTROL = i(F.PIN_BASED_VM_EXEC_CONTROL),
                CPU_BASED_VM_EXEC_CONTROL = i(F.CPU_BASED_VM_EXEC_CONTROL),
                SECONDARY_VM_EXEC_CONTROL = i(F.SECONDARY_VM_EXEC_CONTROL),
                VMX_PREEMPTION_TIMER_VALUE = i(F.VMX_PREEMPTION_TIMER_VALUE),
                VIRTUAL_PROCESSOR_ID = i(F.VIRTUAL_PROCESSOR_ID), EPT_POINTER = i(F.EPT_POINTER),
                TSC_OFFSET = i(F.TSC_OFFSET), TSC_MULTIPLIER = i(F.TSC_MULTIPLIER),
                VM_ENTRY_MSR_LOAD_ADDR = i(F.VM_ENTRY_MSR_LOAD_ADDR), VM_ENTRY_MSR_LOAD_COUNT = i(F.VM_ENTRY_MSR_LOAD_COUNT),
                VM_ENTRY_EXCEPTION_ERROR_CODE = i(F.VM_ENTRY_EXCEPTION_ERROR_CODE),
                VM_ENTRY_INSTRUCTION_LEN = i(F.VM_ENTRY_INSTRUCTION_LEN),
                IDT_VECTORING_INFO_FIELD = i(F.IDT_VECTORING_INFO_FIELD),
                IDT_VECTORING_ERROR_CODE = i(F.IDT_VECTORING_ERROR_CODE);
        static final int[] GUEST_SEL = i(F.GUEST_SEL), GUEST_BASE = i(F.GUEST_BASE), GUEST_LIMIT = i(F.GUEST_LIMIT),
                GUEST_AR = i(F.GUEST_AR), HOST_SEL = i(F.HOST_SEL);
    }
}
