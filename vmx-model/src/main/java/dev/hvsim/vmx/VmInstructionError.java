package dev.hvsim.vmx;

/**
 * VM-instruction error numbers (SDM Vol. 3C 31.4 "VM Instruction Error Numbers", Table 31-1; the rows of
 * {@code reference/vmx-instruction-errors.csv}). Only the numbers this model can produce are named.
 */
public final class VmInstructionError {
    public static final int VMCALL_IN_ROOT = 1;
    public static final int VMCLEAR_INVALID_ADDRESS = 2;
    public static final int VMCLEAR_VMXON_POINTER = 3;
    public static final int VMLAUNCH_NON_CLEAR = 4;
    public static final int VMRESUME_NON_LAUNCHED = 5;
    public static final int ENTRY_INVALID_CONTROL = 7;
    public static final int ENTRY_INVALID_HOST_STATE = 8;
    public static final int VMPTRLD_INVALID_ADDRESS = 9;
    public static final int VMPTRLD_VMXON_POINTER = 10;
    public static final int VMPTRLD_BAD_REVISION = 11;
    public static final int UNSUPPORTED_COMPONENT = 12;
    public static final int VMWRITE_READ_ONLY = 13;
    public static final int VMXON_IN_ROOT = 15;
    public static final int ENTRY_MOV_SS_BLOCKING = 26;
    public static final int INVALID_INVEPT_INVVPID_OPERAND = 28;

    private VmInstructionError() {}
}
