/*
 * svm-npt-walk: the page-walk benchmark under nested paging (`hvsim bench --guest svm-npt-walk`). The SVM
 * set-up of svm-hv (svm.h, quiet, ASID 1), plus NP_ENABLE (VMCB 090h bit 0) and N_CR3 (VMCB 0B0h) pointing at
 * 4-level nested tables in the host's long-mode format over 4 KiB identity mappings (AMD APM Vol. 2 15.25.3,
 * 15.25.5: nested entries P, RW, US; nested walks are user accesses), and the guest of nested-walk.h on its own
 * 4 KiB page tables. The host expects exactly one #VMEXIT: the guest's VMMCALL with RAX = 0 and RBX = the
 * expected sum. Status 0 on success; 2 without SVM or nested paging (CPUID Fn8000_000A EDX[0]); 3 for
 * VMEXIT_INVALID; 4 for any other #VMEXIT; 1 for a wrong sum.
 */
#define HV_NAME "svm-npt-walk"
#include "hvlib.h"
#include "svm.h"
#include "nested-walk.h"

#define VMCB_NESTED_CTL 0x090
#define VMCB_N_CR3 0x0b0
#define SVM_EXIT_NPF 0x400

extern char walk_guest[], walk_guest_stack_top[];
u64 svm_walk_run(u64 vmcb_pa);

static struct walk_tables npt;

int c_main(void) {
    int st = svm_setup((u64) walk_guest, (u64) walk_guest_stack_top, 1);
    if (st != 0) {
        return st;
    }
    struct cpuid_regs a = cpuid2(0x80000000, 0).a >= 0x8000000a ? cpuid2(0x8000000a, 0) : (struct cpuid_regs) {0, 0, 0, 0};
    if (!(a.d & 1)) {
        puts("svm-npt-walk: nested paging not supported (CPUID.8000000AH:EDX[0] = 0)\n");
        return HV_UNSUPPORTED;
    }
    walk_identity_map(&npt, 7, 7);
    u64 expected = walk_prepare_buffer();
    VMCB64(VMCB_NESTED_CTL) = 1;
    VMCB64(VMCB_N_CR3) = (u64) npt.top;
    VMCB64(VMCB_CR3) = walk_guest_cr3();
    u64 code = svm_walk_run((u64) vmcb);
    if (code == SVM_EXIT_INVALID) {
        puts("svm-npt-walk: VMRUN failed: VMEXIT_INVALID\n");
        return HV_ENTRY_FAILED;
    }
    if (code != SVM_EXIT_VMMCALL || VMCB64(VMCB_RAX) != HC_DONE_NR) {
        puts("svm-npt-walk: unexpected #VMEXIT, EXITCODE ");
        puthexn(code, 4);
        puts(", EXITINFO1 ");
        puthexn(VMCB64(VMCB_EXITINFO1), 16);
        puts(", EXITINFO2 ");
        puthexn(VMCB64(VMCB_EXITINFO2), 16);
        putc('\n');
        return HV_UNEXPECTED_EXIT;
    }
    extern u64 walk_guest_rbx;
    if (walk_guest_rbx != expected) {
        puts("svm-npt-walk: wrong sum ");
        puthexn(walk_guest_rbx, 16);
        putc('\n');
        return HV_GUEST_FAILED;
    }
    walk_report_done();
    return HV_OK;
}
