package dev.hvsim.svm;

/** #VMEXIT EXITCODE values svm-model produces (APM Vol. 2 Appendix C; {@code reference/svm-exit-codes.csv}). */
public final class ExitCode {
    private ExitCode() {}

    public static final long CR0_READ = 0x00, CR0_WRITE = 0x10, DR0_READ = 0x20, DR0_WRITE = 0x30, EXCP_BASE = 0x40,
            INTR = 0x60, NMI = 0x61, INIT = 0x63, VINTR = 0x64, CR0_SEL_WRITE = 0x65, IDTR_READ = 0x66, GDTR_READ = 0x67,
            LDTR_READ = 0x68, TR_READ = 0x69, IDTR_WRITE = 0x6a, GDTR_WRITE = 0x6b, LDTR_WRITE = 0x6c, TR_WRITE = 0x6d,
            RDTSC = 0x6e, RDPMC = 0x6f, PUSHF = 0x70, POPF = 0x71, CPUID = 0x72, IRET = 0x74, SWINT = 0x75,
            INVD = 0x76, PAUSE = 0x77, HLT = 0x78, INVLPG = 0x79, INVLPGA = 0x7a, IOIO = 0x7b, MSR = 0x7c, TASK_SWITCH = 0x7d,
            SHUTDOWN = 0x7f, VMRUN = 0x80, VMMCALL = 0x81, VMLOAD = 0x82, VMSAVE = 0x83, STGI = 0x84, CLGI = 0x85,
            RDTSCP = 0x87, ICEBP = 0x88, WBINVD = 0x89, MONITOR = 0x8a, MWAIT = 0x8b, MWAIT_CONDITIONAL = 0x8c,
            XSETBV = 0x8d, INVPCID = 0xa2, SKINIT = 0x86;
    /** VMEXIT_NPF: nested page fault (APM Vol. 2 15.25.6). */
    public static final long NPF = 0x400;
    /** VMEXIT_INVALID: a VMRUN consistency check failed (APM Vol. 2 15.5.1). */
    public static final long INVALID = -1;
}
