package dev.hvsim.svm;

/**
 * The VMCB offsets svm-model uses (AMD APM Vol. 2 Appendix B, Tables B-1 control area and B-2 state-save area; the
 * same offsets as {@code vmcs/reference/vmcb-layout.csv}). Segment registers in the save area are 16 bytes each:
 * selector (2), attrib (2, compressed), limit (4), base (8).
 */
final class V {
    private V() {}

    // control area
    static final int CR_READ = 0x000, CR_WRITE = 0x002, DR_READ = 0x004, DR_WRITE = 0x006, EXCEPTIONS = 0x008,
            MISC1 = 0x00c, MISC2 = 0x010, MISC3 = 0x014, PAUSE_FILTER_THRESHOLD = 0x03c,
            PAUSE_FILTER_COUNT = 0x03e, IOPM_BASE = 0x040, MSRPM_BASE = 0x048, TSC_OFFSET = 0x050,
            ASID = 0x058, TLB_CONTROL = 0x05c, VINTR = 0x060, INT_SHADOW = 0x068, EXITCODE = 0x070, EXITINFO1 = 0x078,
            EXITINFO2 = 0x080, EXITINTINFO = 0x088, NESTED_CTL = 0x090, EVENTINJ = 0x0a8, N_CR3 = 0x0b0, NRIP = 0x0c8,
            INSN_BYTES = 0x0d0;
    // state-save area
    static final int ES = 0x400, CS = 0x410, SS = 0x420, DS = 0x430, FS = 0x440, GS = 0x450, GDTR = 0x460,
            LDTR = 0x470, IDTR = 0x480, TR = 0x490, CPL = 0x4cb, EFER = 0x4d0, CR4 = 0x548, CR3 = 0x550, CR0 = 0x558,
            DR7 = 0x560, DR6 = 0x568, RFLAGS = 0x570, RIP = 0x578, RSP = 0x5d8, RAX = 0x5f8, STAR = 0x600,
            LSTAR = 0x608, CSTAR = 0x610, SFMASK = 0x618, KERNEL_GS_BASE = 0x620, SYSENTER_CS = 0x628,
            SYSENTER_ESP = 0x630, SYSENTER_EIP = 0x638, CR2 = 0x640, G_PAT = 0x668;

    /** Save-area offset of segment register {@code seg} (x86-core's Reg.ES..GS order: ES CS SS DS FS GS). */
    static int seg(int seg) {
        return ES + 16 * seg;
    }

    // intercept bits: word 3 (MISC1) and word 4 (MISC2) (APM Vol. 2 Table B-1)
    static final int M1_INTR = 0, M1_NMI = 1, M1_CPUID = 18, M1_HLT = 24, M1_INVLPGA = 26, M1_IOIO = 27, M1_MSR = 28,
            M1_TASK_SWITCH = 29, M1_SHUTDOWN = 31;
    static final int M1_INIT = 3, M1_VINTR = 4, M1_CR0_SEL = 5;
    static final int M2_VMRUN = 0, M2_VMMCALL = 1, M2_VMLOAD = 2, M2_VMSAVE = 3, M2_STGI = 4, M2_CLGI = 5;
    /** Word 4 bit 6: SKINIT (svm-exit-codes.csv, VMEXIT_SKINIT 0x86). */
    static final int M2_SKINIT = 6;
}
