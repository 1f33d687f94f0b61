/*
 * svm-exit-loop: the #VMEXIT/VMRUN round-trip benchmark for x86 host code (`hvsim bench --guest
 * svm-exit-loop`). The SVM set-up of svm-hv (svm.h, quiet), a guest that executes CPUID in a loop, and the
 * VMRUN loop of svm-exit-loop.S (#VMEXIT, read EXITCODE, CPUID, RIP from NRIP, VMRUN). Needs NRIP save
 * (CPUID Fn8000_000A EDX[3]). Ends with status 0 only if the host handled exactly exit_loop_iterations CPUID
 * exits and then the guest's VMMCALL; 2 without SVM or NRIP save, 3 for VMEXIT_INVALID, 4 for any other exit.
 */
#define HV_NAME "svm-exit-loop"
#include "hvlib.h"
#include "svm.h"

extern char bench_guest[], bench_guest_stack_top[];
extern const u64 exit_loop_iterations;
long svm_bench_run(u64 vmcb_pa);

/* Any EXITCODE but CPUID: the guest's final VMMCALL (RAX = 0) or something unexpected. */
long svm_bench_other(u64 code, u64 rax, u64 rbx, u64 cpuid_exits) {
    if (code == SVM_EXIT_INVALID) {
        puts("svm-exit-loop: VMRUN failed: VMEXIT_INVALID\n");
        return 0x100 | HV_ENTRY_FAILED;
    }
    if (code != SVM_EXIT_VMMCALL || rax != HC_DONE_NR) {
        puts("svm-exit-loop: unexpected #VMEXIT, EXITCODE ");
        puthexn(code, 4);
        putc('\n');
        return 0x100 | HV_UNEXPECTED_EXIT;
    }
    puts("svm-exit-loop: CPUID exits handled: ");
    putdec(cpuid_exits);
    putc('\n');
    return 0x100 | (cpuid_exits == exit_loop_iterations && rbx == 0 ? HV_OK : HV_GUEST_FAILED);
}

int c_main(void) {
    int st = svm_setup((u64) bench_guest, (u64) bench_guest_stack_top, 1);
    if (st != 0) {
        return st;
    }
    if (!svm_nrips) {
        puts("svm-exit-loop: NRIP save not supported (CPUID.8000000AH:EDX[3] = 0)\n");
        return HV_UNSUPPORTED;
    }
    return (int) (svm_bench_run((u64) vmcb) & 0xff);
}
