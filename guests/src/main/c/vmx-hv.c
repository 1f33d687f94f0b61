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
#include "hvlib.h"
#include "vmx.h"

extern char vmx_guest[], vmx_guest_stack_top[], hv_exit_stack_top[];
void vmx_exit(void);
long vmx_launch(void);

/* The guest's general registers as vmx_exit pushes them. */
struct guest_regs {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
};

static u64 n_cpuid, n_io, n_hlt, n_vmcall;

static const char SIGNATURE[12] = "hvsim-vmx-hv";

static void handle_cpuid(struct guest_regs *r) {
    u32 leaf = (u32) r->rax;
    struct cpuid_regs c = cpuid2(leaf, (u32) r->rcx);
    puts("vmx-hv: CPUID exit, leaf ");
    puthexn(leaf, 8);
    if (leaf == 0x40000000) {
        const u32 *sig = (const u32 *) SIGNATURE;
        c.a = 0x40000000;
        c.b = sig[0];
        c.c = sig[1];
        c.d = sig[2];
        puts(": hypervisor signature\n");
    } else if (leaf == 1) {
        c.c = (c.c | 1u << 31) & ~(1u << 5);
        puts(": ECX[31] hypervisor present set, ECX[5] VMX cleared\n");
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

/* Exit qualification for I/O instructions (SDM Vol. 3C 29.2.1, Table 29-5). */
static void handle_io(struct guest_regs *r, u64 q) {
    u32 size = (u32) (q & 7) + 1;
    int in = (q >> 3) & 1;
    u16 port = (u16) (q >> 16);
    u64 mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
    if (q & (1u << 4)) {
        puts("vmx-hv: string I/O is not emulated\n");
        return;
    }
    if (!in && port == PORT_COM1 && size == 1) {
        putc((char) r->rax); /* the guest's UART byte, forwarded */
        return;
    }
    puts(in ? "vmx-hv: I/O exit IN port " : "vmx-hv: I/O exit OUT port ");
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
    puts("vmx-hv: exits seen: CPUID ");
    putdec(n_cpuid);
    puts(", I/O ");
    putdec(n_io);
    puts(", HLT ");
    putdec(n_hlt);
    puts(", VMCALL ");
    putdec(n_vmcall);
    putc('\n');
}

/* Called by vmx_exit with the guest's registers: 0 resumes the guest, nonzero (0x100 | status) stops. */
u64 vmx_handle_exit(struct guest_regs *r) {
    u32 reason = (u32) vmread(VM_EXIT_REASON);
    u64 qual = vmread(EXIT_QUALIFICATION);
    u64 len = vmread(VM_EXIT_INSTRUCTION_LEN);
    switch (reason & 0xffff) {
        case EXIT_CPUID:
            n_cpuid++;
            handle_cpuid(r);
            break;
        case EXIT_IO:
            n_io++;
            handle_io(r, qual);
            break;
        case EXIT_HLT:
            n_hlt++;
            puts("vmx-hv: HLT exit, guest resumed after the HLT\n");
            break;
        case EXIT_VMCALL:
            n_vmcall++;
            if (r->rax == HC_PRINT_NR) {
                puts("vmx-hv: VMCALL print: ");
                puts((const char *) r->rbx); /* the guest shares the host's identity map */
                putc('\n');
                break;
            }
            puts("vmx-hv: VMCALL done, guest reports ");
            putdec(r->rbx);
            puts(" failed checks\n");
            summary();
            return 0x100 | (r->rbx == 0 ? HV_OK : HV_GUEST_FAILED);
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
    int status = (int) (r & 0xff);
    puts("vmx-hv: DONE status ");
    putdec((u64) status);
    putc('\n');
    return status;
}
