/*
 * vmx-exit-loop: the VM-exit round-trip benchmark for x86 root-mode code (`hvsim bench --guest
 * vmx-exit-loop`). The VMX set-up of vmx-hv (vmx.h, quiet), a guest that executes CPUID in a loop, and the
 * exit handler of vmx-exit-loop.S (three VMREADs, a VMWRITE, VMRESUME per exit, like the loop Bochs was
 * measured with). Ends with status 0 only if the hypervisor handled exactly exit_loop_iterations CPUID exits
 * and then the guest's VMCALL; 2 without VMX, 3 if a VMX instruction failed, 4 for any other exit.
 */
#define HV_NAME "vmx-exit-loop"
#include "hvlib.h"
#include "vmx.h"

extern char bench_guest[], bench_guest_stack_top[], bench_exit_stack_top[];
extern const u64 exit_loop_iterations;
void vmx_bench_exit(void);
long vmx_bench_launch(void);

/* Any exit but CPUID: the guest's final VMCALL (RAX = 0) or something unexpected. */
long vmx_bench_other(u64 reason, u64 rax, u64 rbx, u64 cpuid_exits) {
    if ((reason & 0xffff) != EXIT_VMCALL || rax != HC_DONE_NR) {
        puts("vmx-exit-loop: unexpected exit, reason ");
        putdec(reason & 0xffff);
        putc('\n');
        return HV_UNEXPECTED_EXIT | 0x100;
    }
    puts("vmx-exit-loop: CPUID exits handled: ");
    putdec(cpuid_exits);
    putc('\n');
    return 0x100 | (cpuid_exits == exit_loop_iterations && rbx == 0 ? HV_OK : HV_GUEST_FAILED);
}

int c_main(void) {
    int st = vmx_setup((u64) bench_guest, (u64) bench_guest_stack_top, (u64) vmx_bench_exit,
            (u64) bench_exit_stack_top, 1);
    if (st != 0) {
        return st;
    }
    long r = vmx_bench_launch();
    if (r < 0) {
        vmx_report_error(r == -1 ? "VMLAUNCH" : "VMRESUME");
        return HV_ENTRY_FAILED;
    }
    return (int) (r & 0xff);
}
