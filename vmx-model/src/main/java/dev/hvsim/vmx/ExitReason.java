package dev.hvsim.vmx;

/**
 * Basic exit reasons (SDM Vol. 3C Appendix C, "VMX Basic Exit Reasons"; {@code reference/vmx-exit-reasons.csv})
 * the model produces. Bit 31 of the exit-reason field marks a VM-entry failure ({@link #ENTRY_FAILURE_BIT}).
 */
public final class ExitReason {
    public static final int EXCEPTION_OR_NMI = 0, EXTERNAL_INTERRUPT = 1, TRIPLE_FAULT = 2,
            INTERRUPT_WINDOW = 7, TASK_SWITCH = 9, PREEMPTION_TIMER = 52, CPUID = 10, HLT = 12, INVD = 13, INVLPG = 14, RDPMC = 15, RDTSC = 16, VMCALL = 18,
            VMCLEAR = 19, VMLAUNCH = 20, VMPTRLD = 21, VMPTRST = 22, VMREAD = 23, VMRESUME = 24, VMWRITE = 25,
            VMXOFF = 26, VMXON = 27, CR_ACCESS = 28, MOV_DR = 29, IO = 30, RDMSR = 31, WRMSR = 32, INVALID_GUEST_STATE = 33,
            MSR_LOADING = 34, MWAIT = 36, MONITOR = 39, PAUSE = 40, TPR_BELOW_THRESHOLD = 43, GDTR_IDTR = 46, LDTR_TR = 47, MACHINE_CHECK_DURING_ENTRY = 41, EPT_VIOLATION = 48,
            EPT_MISCONFIGURATION = 49, INVEPT = 50, RDTSCP = 51, INVVPID = 53, WBINVD = 54, XSETBV = 55,
            INVPCID = 58, VMFUNC = 59, RDRAND = 57, RDSEED = 61;
    /** Event-related exits (issue 4): INIT signal, SIPI, NMI window, monitor trap flag. */
    public static final int INIT_SIGNAL = 3, SIPI = 4, NMI_WINDOW = 8, MONITOR_TRAP_FLAG = 37;
    /** Exit-reason bit 31: "VM-entry failure" (SDM Vol. 3C 25.9.1, 28.8). */
    public static final int ENTRY_FAILURE_BIT = 1 << 31;

    private ExitReason() {}
}
