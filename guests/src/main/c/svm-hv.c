/*
 * svm-hv: a hypervisor written in freestanding C and x86 assembly that runs on hvsim as an SVM host
 * (guests/DESIGN.md). It enables SVM (svm.h: CPUID, VM_CR.SVMDIS, EFER.SVME, VM_HSAVE_PA), builds a VMCB
 * for the 64-bit guest of include/hvguest.inc (its own code and stack) and runs it with VMRUN in a loop
 * (svm-hv.S: svm_run), handling its #VMEXITs (AMD APM Vol. 2 15.6, 15.7):
 *
 *   - CPUID (EXITCODE 72H): executed by the host with the guest's EAX/ECX; Fn0000_0001 gets ECX[31]
 *     (hypervisor present) set, Fn8000_0001 ECX[2] (SVM) cleared, Fn4000_0000 returns "hvsim-svm-hv";
 *   - IOIO (7BH, through the I/O permissions map; EXITINFO1 per 15.10.2): OUT to COM1 is forwarded to the
 *     UART, other OUTs are described, IN from port 80H returns 5AH;
 *   - HLT (78H) is described and skipped;
 *   - VMMCALL (81H): RAX = 1 prints the string at guest RBX, RAX = 0 ends the run with RBX failed checks;
 *   - anything else (an exception 40H-5FH, shutdown 7FH, VMEXIT_INVALID) ends the run.
 *
 * After a handled intercept the guest resumes at the VMCB's NRIP (15.7.1) when CPUID Fn8000_000A EDX[3]
 * advertises it, else at RIP + the known length of the instruction (CPUID 2, HLT 1, VMMCALL 3, IOIO:
 * EXITINFO2, which holds the next RIP for IOIO intercepts). Ends with a summary of the exits and the status
 * on the debug-exit port: 0 ok, 1 the guest reported a failure, 2 no SVM (CPUID Fn8000_0001 ECX[2] = 0,
 * e.g. on an Intel profile), 3 VMRUN failed its consistency checks, 4 an unexpected exit.
 */
#define HV_NAME "svm-hv"
#include "hvlib.h"
#include "svm.h"

extern char svm_guest[], svm_guest_stack_top[];
long svm_run(u64 vmcb_pa);

struct guest_regs {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
};

static u64 n_cpuid, n_io, n_hlt, n_vmmcall;

static const char SIGNATURE[12] = "hvsim-svm-hv";

static void handle_cpuid(struct guest_regs *r) {
    u32 leaf = (u32) r->rax;
    struct cpuid_regs c = cpuid2(leaf, (u32) r->rcx);
    puts("svm-hv: CPUID exit, leaf ");
    puthexn(leaf, 8);
    if (leaf == 0x40000000) {
        const u32 *sig = (const u32 *) SIGNATURE;
        c.a = 0x40000000;
        c.b = sig[0];
        c.c = sig[1];
        c.d = sig[2];
        puts(": hypervisor signature\n");
    } else if (leaf == 1) {
        c.c |= 1u << 31;
        puts(": ECX[31] hypervisor present set\n");
    } else if (leaf == 0x80000001) {
        c.c &= ~(1u << 2);
        puts(": ECX[2] SVM cleared\n");
    } else {
        puts(": passed through, vendor \"");
        putreg4(c.b);
        putreg4(c.d);
        putreg4(c.c);
        puts("\"\n");
    }
    r->rax = c.a;
    r->rbx = c.b;
    r->rcx = c.c;
    r->rdx = c.d;
}

/* EXITINFO1 of an IOIO intercept (APM Vol. 2 15.10.2, Figure 15-2). */
static void handle_io(struct guest_regs *r, u64 info) {
    int in = info & 1;
    u32 size = (info & (1u << 6)) ? 4 : (info & (1u << 5)) ? 2 : 1;
    u16 port = (u16) (info >> 16);
    u64 mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
    if (info & (1u << 2)) {
        puts("svm-hv: string I/O is not emulated\n");
        return;
    }
    if (!in && port == PORT_COM1 && size == 1) {
        putc((char) r->rax); /* the guest's UART byte, forwarded */
        return;
    }
    puts(in ? "svm-hv: IOIO exit IN port " : "svm-hv: IOIO exit OUT port ");
    puthexn(port, 4);
    puts(" size ");
    putdec(size);
    if (in) {
        u64 v = port == 0x80 ? 0x5a : mask;
        r->rax = (r->rax & ~mask) | v;
        puts(", returned ");
        puthexn(v, (int) size * 2);
    } else {
        puts(" value ");
        puthexn(r->rax & mask, (int) size * 2);
        if (port == PORT_EXIT) {
            puts(" (the guest may not end the machine: ignored)");
        }
    }
    putc('\n');
}

static void summary(void) {
    puts("svm-hv: exits seen: CPUID ");
    putdec(n_cpuid);
    puts(", IOIO ");
    putdec(n_io);
    puts(", HLT ");
    putdec(n_hlt);
    puts(", VMMCALL ");
    putdec(n_vmmcall);
    putc('\n');
}

/* The guest's next RIP after an intercepted instruction of `len` bytes (NRIP when advertised). */
static u64 next_rip(u64 len) {
    return svm_nrips ? VMCB64(VMCB_NRIP) : VMCB64(VMCB_RIP) + len;
}

/* Called by svm_run after each #VMEXIT: 0 runs the guest again, nonzero (0x100 | status) stops. */
u64 svm_handle_exit(struct guest_regs *r) {
    u64 code = VMCB64(VMCB_EXITCODE);
    u64 info1 = VMCB64(VMCB_EXITINFO1);
    u64 rip;
    r->rax = VMCB64(VMCB_RAX);
    switch (code) {
        case SVM_EXIT_CPUID:
            n_cpuid++;
            handle_cpuid(r);
            rip = next_rip(2);
            break;
        case SVM_EXIT_IOIO:
            n_io++;
            handle_io(r, info1);
            rip = svm_nrips ? VMCB64(VMCB_NRIP) : VMCB64(VMCB_EXITINFO2);
            break;
        case SVM_EXIT_HLT:
            n_hlt++;
            puts("svm-hv: HLT exit, guest resumed after the HLT\n");
            rip = next_rip(1);
            break;
        case SVM_EXIT_VMMCALL:
            n_vmmcall++;
            if (r->rax == HC_PRINT_NR) {
                puts("svm-hv: VMMCALL print: ");
                puts((const char *) r->rbx); /* the guest shares the host's identity map */
                putc('\n');
                rip = next_rip(3);
                break;
            }
            puts("svm-hv: VMMCALL done, guest reports ");
            putdec(r->rbx);
            puts(" failed checks\n");
            summary();
            return 0x100 | (r->rbx == 0 ? HV_OK : HV_GUEST_FAILED);
        default:
            if (code == SVM_EXIT_INVALID) {
                puts("svm-hv: VMRUN failed: VMEXIT_INVALID\n");
                return 0x100 | HV_ENTRY_FAILED;
            }
            puts("svm-hv: unexpected #VMEXIT, EXITCODE ");
            puthexn(code, 4);
            puts(", EXITINFO1 ");
            puthexn(info1, 16);
            puts(" at guest RIP ");
            puthexn(VMCB64(VMCB_RIP), 16);
            putc('\n');
            return 0x100 | HV_UNEXPECTED_EXIT;
    }
    VMCB64(VMCB_RAX) = r->rax;
    VMCB64(VMCB_RIP) = rip;
    return 0;
}

int c_main(void) {
    puts("svm-hv: an x86 hypervisor using AMD SVM\n");
    svm_intercept_port(PORT_COM1);
    svm_intercept_port(0x80);
    for (u16 p = PORT_EXIT; p < PORT_EXIT + 4; p++) {
        svm_intercept_port(p);
    }
    int st = svm_setup((u64) svm_guest, (u64) svm_guest_stack_top, 0);
    if (st != 0) {
        return st;
    }
    puts("svm-hv: VMCB ready, VMRUN\n");
    long r = svm_run((u64) vmcb);
    int status = (int) (r & 0xff);
    puts("svm-hv: DONE status ");
    putdec((u64) status);
    putc('\n');
    return status;
}
