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
#define HV_EXT "SVM"
#define HV_EXT_LEAF 0x80000001
#define HV_EXT_BIT 2
#define HV_IO_EXIT "IOIO"
#define HV_CALL "VMMCALL"
#include "hvlib.h"
#include "hvexit.h"
#include "svm.h"

extern char svm_guest[], svm_guest_stack_top[];
long svm_run(u64 vmcb_pa);

/* EXITINFO1 of an IOIO intercept (APM Vol. 2 15.10.2, Figure 15-2). */
static void handle_io(struct guest_regs *r, u64 info) {
    u32 size = (info & (1u << 6)) ? 4 : (info & (1u << 5)) ? 2 : 1;
    hv_io(r, info & 1, size, (u16) (info >> 16), (info & (1u << 2)) != 0);
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
            hv_cpuid(r);
            rip = next_rip(2);
            break;
        case SVM_EXIT_IOIO:
            handle_io(r, info1);
            rip = svm_nrips ? VMCB64(VMCB_NRIP) : VMCB64(VMCB_EXITINFO2);
            break;
        case SVM_EXIT_HLT:
            hv_hlt();
            rip = next_rip(1);
            break;
        case SVM_EXIT_VMMCALL: {
            u64 stop = hv_hypercall(r);
            if (stop != 0) {
                return stop;
            }
            rip = next_rip(3);
            break;
        }
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
    return hv_done(svm_run((u64) vmcb));
}
