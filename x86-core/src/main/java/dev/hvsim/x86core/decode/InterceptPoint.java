package dev.hvsim.x86core.decode;

/**
 * Where an instruction may be intercepted by a guest mode (VMX non-root, SVM guest) before it executes.
 * The core asks {@code GuestMode.interceptInstruction} with the row's point; what each point means for a
 * vendor is the vendor model's business (SDM Vol. 3C 26.1-26.2, AMD APM Vol. 2 15.7-15.14).
 */
public enum InterceptPoint {
    CPUID, HLT, INVD, INVLPG, INVPCID, RDPMC, RDTSC, RDTSCP, RSM, MOV_CR, MOV_DR, IO, RDMSR, WRMSR, MWAIT, MONITOR,
    PAUSE, WBINVD, XSETBV, RDRAND, RDSEED, SGDT_SIDT, LGDT_LIDT, SLDT_STR, LLDT_LTR, LMSW, CLTS, SMSW, POPF, PUSHF,
    IRET, INTN, INTO, INT3, SWINT, ICEBP, VMCALL, VMX_INSN, SVM_INSN, SKINIT, RDPID, ENCLS, TPAUSE, SYSCALL
}
