/*
 * vmx-ept-walk: the page-walk benchmark under EPT (`hvsim bench --guest vmx-ept-walk`). The VMX set-up of
 * vmx-hv (vmx.h, quiet, VPID 1), plus "enable EPT" (secondary control bit 1, SDM Vol. 3C 25.6.2) with a 4-level
 * write-back EPTP (25.6.11: bits 2:0 = 6 WB, bits 5:3 = 3 for a 4-level walk, A/D off) over 4 KiB identity
 * mappings, and the guest of nested-walk.h on its own 4 KiB page tables. The hypervisor expects exactly one
 * exit: the guest's VMCALL with RAX = 0 and RBX = the expected sum. Status 0 on success; 2 without VMX, EPT,
 * a 4-level walk or WB EPT structures (IA32_VMX_EPT_VPID_CAP bits 6 and 14, A.10); 3 if a VMX instruction
 * failed; 4 for any other exit; 1 for a wrong sum.
 */
#define HV_NAME "vmx-ept-walk"
#include "hvlib.h"
#include "vmx.h"
#include "nested-walk.h"

#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define CPU2_ENABLE_EPT (1u << 1)
#define EPT_POINTER 0x201a

extern char walk_guest[], walk_guest_stack_top[], walk_exit_stack_top[];
void vmx_walk_exit(void);
long vmx_walk_launch(void);

/* EPT entries: read, write, execute (bits 2:0); leaves also memory type WB (bits 5:3 = 6). */
static struct walk_tables ept;
static u64 expected_sum;

/* The exit handler (from vmx_walk_exit): the final VMCALL, or anything else as an error. */
long vmx_walk_done(u64 reason, u64 rax, u64 rbx) {
    if ((reason & 0xffff) != EXIT_VMCALL || rax != HC_DONE_NR) {
        puts("vmx-ept-walk: unexpected exit, reason ");
        putdec(reason & 0xffff);
        puts(", qualification ");
        puthexn(vmread(EXIT_QUALIFICATION), 4);
        putc('\n');
        return 0x100 | HV_UNEXPECTED_EXIT;
    }
    if (rbx != expected_sum) {
        puts("vmx-ept-walk: wrong sum ");
        puthexn(rbx, 16);
        putc('\n');
        return 0x100 | HV_GUEST_FAILED;
    }
    walk_report_done();
    return 0x100 | HV_OK;
}

int c_main(void) {
    int st = vmx_setup((u64) walk_guest, (u64) walk_guest_stack_top, (u64) vmx_walk_exit,
            (u64) walk_exit_stack_top, 1);
    if (st != 0) {
        return st;
    }
    int ept_ok = (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS) >> 63) & 1
            && (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & CPU2_ENABLE_EPT;
    u64 cap = ept_ok ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
    if (!ept_ok || !(cap & (1ul << 6)) || !(cap & (1ul << 14))) {
        puts("vmx-ept-walk: EPT with 4-level walks and WB structures not supported\n");
        return HV_UNSUPPORTED;
    }
    u32 cpu;
    u32 cpu2 = (u32) vmread(SECONDARY_VM_EXEC_CONTROL);
    if (vmx_controls("primary", (rdmsr(MSR_IA32_VMX_BASIC) >> 55) & 1 ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
                    : MSR_IA32_VMX_PROCBASED_CTLS, (u32) vmread(CPU_BASED_VM_EXEC_CONTROL) | CPU_ACTIVATE_SECONDARY, &cpu)
            || vmx_controls("secondary", MSR_IA32_VMX_PROCBASED_CTLS2, cpu2 | CPU2_ENABLE_EPT, &cpu2)) {
        return HV_ENTRY_FAILED;
    }
    walk_identity_map(&ept, 7, 7 | 6 << 3);
    expected_sum = walk_prepare_buffer();
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, cpu);
    vmwrite(SECONDARY_VM_EXEC_CONTROL, cpu2);
    vmwrite(EPT_POINTER, (u64) ept.top | 6 | 3 << 3);
    vmwrite(GUEST_CR3, walk_guest_cr3());
    if (vmwrite_failed) {
        return HV_ENTRY_FAILED;
    }
    long r = vmx_walk_launch();
    if (r < 0) {
        vmx_report_error("VMLAUNCH");
        return HV_ENTRY_FAILED;
    }
    return (int) (r & 0xff);
}
