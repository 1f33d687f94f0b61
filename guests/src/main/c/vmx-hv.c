/*
 * vmx-hv: a hypervisor written in freestanding C and x86 assembly that runs on hvsim in VMX root
 * operation (guests/DESIGN.md). It enables VMX as real hypervisors do (vmx.h: CPUID, IA32_FEATURE_CONTROL,
 * CR0/CR4 fixed bits, revision id from IA32_VMX_BASIC, VMXON, VMCLEAR, VMPTRLD, controls from the
 * (TRUE_) capability MSRs), builds a VMCS for the 64-bit guest of include/hvguest.inc (its own code and
 * stack), launches it and handles its exits in a loop (vmx-hv.S: vmx_exit saves the guest's registers
 * and calls vmx_handle_exit, then VMRESUME):
 *
 *   - CPUID (exit reason 10): executed in root mode with the guest's EAX/ECX; leaf 1 gets ECX[31]
 *     (hypervisor present) set and ECX[5] (VMX) cleared, leaf 40000000H returns the signature
 *     "hvsim-vmx-hv";
 *   - I/O (30, through the I/O bitmaps; qualification per SDM Vol. 3C Table 29-5): OUT to COM1 is
 *     forwarded to the UART, other OUTs are described, IN from port 80H returns 5AH;
 *   - HLT (12) is described and skipped;
 *   - VMCALL (18): RAX = 1 prints the string at guest RBX, RAX = 0 ends the run with RBX failed checks;
 *   - anything else (a guest exception, exit reason 0 through the exception bitmap) ends the run with
 *     HV_UNEXPECTED_EXIT.
 *
 * Each handled exit reads the exit reason, qualification and instruction length with VMREAD and advances
 * GUEST_RIP by the instruction length (29.2.5) before VMRESUME. At the end it prints a summary of the
 * exits it saw and writes its status to the debug-exit port: 0 ok, 1 the guest reported a failure,
 * 2 no VMX (CPUID.1:ECX[5] = 0, e.g. on an AMD profile), 3 a VMX instruction or VM entry failed, 4 an
 * unexpected exit.
 */
#define HV_NAME "vmx-hv"
#define HV_EXT "VMX"
#define HV_EXT_LEAF 1
#define HV_EXT_BIT 5
#define HV_IO_EXIT "I/O"
#define HV_CALL "VMCALL"
#include "hvlib.h"
#include "hvexit.h"
#include "vmx.h"

extern char vmx_guest[], vmx_guest_stack_top[], hv_exit_stack_top[];
void vmx_exit(void);
long vmx_launch(void);

/* Exit qualification for I/O instructions (SDM Vol. 3C 29.2.1, Table 29-5). */
static void handle_io(struct guest_regs *r, u64 q) {
    hv_io(r, (q >> 3) & 1, (u32) (q & 7) + 1, (u16) (q >> 16), (q & (1u << 4)) != 0);
}

/* Called by vmx_exit with the guest's registers: 0 resumes the guest, nonzero (0x100 | status) stops. */
u64 vmx_handle_exit(struct guest_regs *r) {
    u32 reason = (u32) vmread(VM_EXIT_REASON);
    u64 qual = vmread(EXIT_QUALIFICATION);
    u64 len = vmread(VM_EXIT_INSTRUCTION_LEN);
    switch (reason & 0xffff) {
        case EXIT_CPUID:
            hv_cpuid(r);
            break;
        case EXIT_IO:
            handle_io(r, qual);
            break;
        case EXIT_HLT:
            hv_hlt();
            break;
        case EXIT_VMCALL: {
            u64 stop = hv_hypercall(r);
            if (stop != 0) {
                return stop;
            }
            break;
        }
        default:
            puts("vmx-hv: unexpected exit, reason ");
            putdec(reason & 0xffff);
            if ((reason & 0xffff) == EXIT_EXCEPTION_NMI) {
                puts(", interruption information ");
                puthexn(vmread(VM_EXIT_INTR_INFO), 8);
            }
            puts(" at guest RIP ");
            puthexn(vmread(GUEST_RIP), 16);
            putc('\n');
            if (reason & (1u << 31)) {
                puts("vmx-hv: (VM-entry failure, qualification ");
                putdec(qual);
                puts(")\n");
                return 0x100 | HV_ENTRY_FAILED;
            }
            return 0x100 | HV_UNEXPECTED_EXIT;
    }
    vmwrite(GUEST_RIP, vmread(GUEST_RIP) + len);
    return 0;
}

int c_main(void) {
    puts("vmx-hv: an x86 hypervisor in VMX root operation\n");
    /* I/O bitmaps (SDM Vol. 3C 25.6.4): exit on COM1's data port, port 80H and the debug-exit port. */
    io_bitmap_a[PORT_COM1 / 8] |= 1 << (PORT_COM1 % 8);
    io_bitmap_a[0x80 / 8] |= 1 << (0x80 % 8);
    for (u16 p = PORT_EXIT; p < PORT_EXIT + 4; p++) {
        io_bitmap_a[p / 8] |= (u8) (1 << (p % 8));
    }
    int st = vmx_setup((u64) vmx_guest, (u64) vmx_guest_stack_top, (u64) vmx_exit, (u64) hv_exit_stack_top, 0);
    if (st != 0) {
        return st;
    }
    puts("vmx-hv: VMCS ready, VMLAUNCH\n");
    long r = vmx_launch();
    if (r < 0) {
        vmx_report_error(r == -1 ? "VMLAUNCH" : "VMRESUME");
        return HV_ENTRY_FAILED;
    }
    return hv_done(r);
}
