/*
 * svm.h: the SVM set-up shared by svm-hv and svm-exit-loop (include hvlib.h first). What a hypervisor
 * does before its first VMRUN, with the sections of the AMD APM Vol. 2 it follows:
 *
 *   - CPUID Fn8000_0001 ECX[2] SVM (15.4 "Enabling SVM"), VM_CR.SVMDIS (MSR C001_0114H bit 4: SVM
 *     disabled by firmware), Fn8000_000A EDX[3] NRIPS (15.7.1: next sequential instruction pointer saved
 *     in the VMCB on instruction intercepts);
 *   - EFER.SVME (bit 12) set, VM_HSAVE_PA (MSR C001_0117H) pointing at a 4 KiB host save area (15.30.4);
 *   - a VMCB (Appendix B): intercepts of CPUID, HLT, IOIO through the I/O permissions map (15.10.1),
 *     shutdown, VMRUN (required by the VMRUN consistency checks, 15.5.1), VMMCALL and every exception;
 *     ASID 1; the guest state save area of a 64-bit guest with its own RIP and RSP on the host's page
 *     tables, GDT and IDT (segment attributes in the VMCB's compressed form, 15.5.1 / Appendix B).
 */
/* The including guest defines HV_NAME, the prefix of its console lines. */
#ifndef SVM_H
#define SVM_H

#define MSR_EFER 0xc0000080
#define MSR_PAT 0x277
#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117
#define EFER_SVME (1ul << 12)

/* VMCB offsets (APM Vol. 2 Appendix B, Tables B-1 and B-2). */
#define VMCB_INTERCEPT_EXCEPTIONS 0x008
#define VMCB_INTERCEPT_MISC1 0x00c
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_BASE_PA 0x040
#define VMCB_MSRPM_BASE_PA 0x048
#define VMCB_GUEST_ASID 0x058
#define VMCB_EXITCODE 0x070
#define VMCB_EXITINFO1 0x078
#define VMCB_EXITINFO2 0x080
#define VMCB_NRIP 0x0c8
#define VMCB_ES 0x400 /* ES, CS, SS, DS: selector(2) attrib(2) limit(4) base(8), 16 bytes apart */
#define VMCB_GDTR 0x460
#define VMCB_IDTR 0x480
#define VMCB_CPL 0x4cb
#define VMCB_EFER 0x4d0
#define VMCB_CR4 0x548
#define VMCB_CR3 0x550
#define VMCB_CR0 0x558
#define VMCB_DR7 0x560
#define VMCB_DR6 0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5d8
#define VMCB_RAX 0x5f8
#define VMCB_G_PAT 0x668

/* Intercept bits (APM Vol. 2 Appendix B, Table B-1: vectors 3 and 4). */
#define MISC1_CPUID (1u << 18)
#define MISC1_HLT (1u << 24)
#define MISC1_IOIO_PROT (1u << 27)
#define MISC1_SHUTDOWN (1u << 31)
#define MISC2_VMRUN (1u << 0)
#define MISC2_VMMCALL (1u << 1)

/* EXITCODEs (APM Vol. 2 Appendix C). */
#define SVM_EXIT_EXCP_BASE 0x40
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_INVALID (~0ul)

static u8 vmcb[4096] __attribute__((aligned(4096)));
static u8 hsave[4096] __attribute__((aligned(4096)));
static u8 iopm[3 * 4096] __attribute__((aligned(4096)));  /* one bit per port, 12 KiB (15.10.1) */
static u8 msrpm[2 * 4096] __attribute__((aligned(4096))); /* all zero: no MSR is intercepted (MSR_PROT off) */
static int svm_nrips;

#define VMCB64(off) (*(volatile u64 *) (vmcb + (off)))
#define VMCB32(off) (*(volatile u32 *) (vmcb + (off)))
#define VMCB16(off) (*(volatile u16 *) (vmcb + (off)))

static void svm_guest_segment(int off, struct seg s) {
    VMCB16(off) = s.sel;
    VMCB16(off + 2) = s.attr; /* descriptor bits 47:40 and 55:52 */
    VMCB32(off + 4) = s.limit;
    VMCB64(off + 8) = s.base;
}

/* Intercepts the 1-byte and, for F4H, 4-byte accesses to `port` (15.10.2: every byte accessed is checked). */
static void svm_intercept_port(u16 port) {
    iopm[port / 8] |= (u8) (1 << (port % 8));
}

/* Checks for SVM, enables it and builds the VMCB. Returns 0 or an HV_* status; `quiet` leaves out INFO lines. */
static int svm_setup(u64 guest_rip, u64 guest_rsp, int quiet) {
    struct cpuid_regs m = cpuid2(0x80000000, 0);
    struct cpuid_regs f = m.a >= 0x80000001 ? cpuid2(0x80000001, 0) : (struct cpuid_regs) {0, 0, 0, 0};
    if (!(f.c & (1u << 2))) {
        puts(HV_NAME ": SVM not supported (CPUID.80000001H:ECX.SVM = 0)\n");
        return HV_UNSUPPORTED;
    }
    if (rdmsr(MSR_VM_CR) & (1u << 4)) {
        puts(HV_NAME ": SVM disabled (VM_CR.SVMDIS = 1)\n");
        return HV_UNSUPPORTED;
    }
    struct cpuid_regs a = m.a >= 0x8000000a ? cpuid2(0x8000000a, 0) : (struct cpuid_regs) {0, 0, 0, 0};
    svm_nrips = (a.d >> 3) & 1;
    if (!quiet) {
        puts(HV_NAME ": SVM supported, revision ");
        putdec(a.a & 0xff);
        puts(", ");
        putdec(a.b);
        puts(" ASIDs, NRIP save ");
        puts(svm_nrips ? "yes\n" : "no\n");
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (u64) hsave);

    VMCB32(VMCB_INTERCEPT_EXCEPTIONS) = 0xffffffff;
    VMCB32(VMCB_INTERCEPT_MISC1) = MISC1_CPUID | MISC1_HLT | MISC1_IOIO_PROT | MISC1_SHUTDOWN;
    VMCB32(VMCB_INTERCEPT_MISC2) = MISC2_VMRUN | MISC2_VMMCALL;
    VMCB64(VMCB_IOPM_BASE_PA) = (u64) iopm;
    VMCB64(VMCB_MSRPM_BASE_PA) = (u64) msrpm;
    VMCB32(VMCB_GUEST_ASID) = 1;

    struct dtr gdtr = read_gdtr(), idtr = read_idtr();
    u16 sel[4] = {read_ds(), read_cs(), read_ss(), read_ds()}; /* ES, CS, SS, DS */
    for (int i = 0; i < 4; i++) {
        svm_guest_segment(VMCB_ES + 16 * i, gdt_segment(sel[i]));
    }
    VMCB32(VMCB_GDTR + 4) = gdtr.limit;
    VMCB64(VMCB_GDTR + 8) = gdtr.base;
    VMCB32(VMCB_IDTR + 4) = idtr.limit;
    VMCB64(VMCB_IDTR + 8) = idtr.base;
    vmcb[VMCB_CPL] = 0;
    VMCB64(VMCB_EFER) = rdmsr(MSR_EFER);
    VMCB64(VMCB_CR0) = read_cr0();
    VMCB64(VMCB_CR3) = read_cr3();
    VMCB64(VMCB_CR4) = read_cr4();
    VMCB64(VMCB_DR6) = 0xffff0ff0;
    VMCB64(VMCB_DR7) = 0x400;
    VMCB64(VMCB_RFLAGS) = 0x2;
    VMCB64(VMCB_RIP) = guest_rip;
    VMCB64(VMCB_RSP) = guest_rsp;
    VMCB64(VMCB_RAX) = 0;
    VMCB64(VMCB_G_PAT) = rdmsr(MSR_PAT);
    return 0;
}

#endif
