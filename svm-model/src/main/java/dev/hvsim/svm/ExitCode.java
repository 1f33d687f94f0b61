package dev.hvsim.svm;

/** #VMEXIT EXITCODE values svm-model produces (APM Vol. 2 Appendix C; {@code reference/svm-exit-codes.csv}). */
public final class ExitCode {
    private ExitCode() {}

    public static final long CR0_READ = 0x00, CR0_WRITE = 0x10, EXCP_BASE = 0x40, INTR = 0x60, NMI = 0x61,
            CPUID = 0x72, HLT = 0x78, INVLPGA = 0x7a, IOIO = 0x7b, MSR = 0x7c, SHUTDOWN = 0x7f, VMRUN = 0x80,
            VMMCALL = 0x81, VMLOAD = 0x82, VMSAVE = 0x83, STGI = 0x84, CLGI = 0x85,
            SKINIT = 0x86;
    /** VMEXIT_NPF: nested page fault (APM Vol. 2 15.25.6). */
    public static final long NPF = 0x400;
    /** VMEXIT_INVALID: a VMRUN consistency check failed (APM Vol. 2 15.5.1). */
    public static final long INVALID = -1;
}
