/*
 * hvexit.h: what vmx-hv and svm-hv do with an exit once their vendor code has decoded it: the guest's
 * general registers, the emulation of the CPUID, I/O, HLT and hypercall exits of include/hvguest.inc's
 * guest (guests/DESIGN.md, "x86 hypervisors"), the exit counters, the summary and the final status line.
 * Reading the exit (VMREAD / the VMCB) and resuming the guest (GUEST_RIP / NRIP) stay in the guest.
 *
 * Include after hvlib.h, with these defined by the guest:
 *   HV_NAME      the prefix of its console lines ("vmx-hv"); the CPUID signature is "hvsim-" HV_NAME
 *   HV_EXT       the name of the virtualization extension hidden from the guest ("VMX")
 *   HV_EXT_LEAF  the CPUID leaf whose ECX reports it (1), HV_EXT_BIT: its ECX bit (5)
 *   HV_IO_EXIT   the name of the I/O exit ("I/O"), HV_CALL: of the hypercall instruction ("VMCALL")
 */
#ifndef HVEXIT_H
#define HVEXIT_H

/* The guest's general registers, R15 first (as vmx_exit pushes them, as svm_run keeps them in svm_gregs). */
struct guest_regs {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
};

static u64 n_cpuid, n_io, n_hlt, n_call;

static const char SIGNATURE[12] = "hvsim-" HV_NAME;

/* CPUID, executed by the host with the guest's EAX/ECX: leaf 40000000H returns the signature, leaf 1 gets
 * ECX[31] (hypervisor present) set, HV_EXT_LEAF gets HV_EXT cleared, other leaves pass through. */
static void hv_cpuid(struct guest_regs *r) {
    u32 leaf = (u32) r->rax;
    struct cpuid_regs c = cpuid2(leaf, (u32) r->rcx);
    n_cpuid++;
    puts(HV_NAME ": CPUID exit, leaf ");
    puthexn(leaf, 8);
    if (leaf == 0x40000000) {
        const u32 *sig = (const u32 *) SIGNATURE;
        c.a = 0x40000000;
        c.b = sig[0];
        c.c = sig[1];
        c.d = sig[2];
        puts(": hypervisor signature\n");
    } else if (leaf == 1 || leaf == HV_EXT_LEAF) {
        puts(":");
        if (leaf == 1) {
            c.c |= 1u << 31;
            puts(" ECX[31] hypervisor present set");
        }
        if (leaf == HV_EXT_LEAF) {
            c.c &= ~(1u << HV_EXT_BIT);
            puts(leaf == 1 ? ", ECX[" : " ECX[");
            putdec(HV_EXT_BIT);
            puts("] " HV_EXT " cleared");
        }
        putc('\n');
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

/* An I/O exit, decoded: OUT to COM1 is forwarded to the UART, other OUTs are described (the guest may not
 * end the machine through the debug-exit port), IN from port 80H returns 5AH, other INs all ones. */
static void hv_io(struct guest_regs *r, int in, u32 size, u16 port, int string) {
    u64 mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
    n_io++;
    if (string) {
        puts(HV_NAME ": string I/O is not emulated\n");
        return;
    }
    if (!in && port == PORT_COM1 && size == 1) {
        putc((char) r->rax); /* the guest's UART byte, forwarded */
        return;
    }
    puts(in ? HV_NAME ": " HV_IO_EXIT " exit IN port " : HV_NAME ": " HV_IO_EXIT " exit OUT port ");
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

/* HLT: described; the guest resumes after it. */
static void hv_hlt(void) {
    n_hlt++;
    puts(HV_NAME ": HLT exit, guest resumed after the HLT\n");
}

static void hv_summary(void) {
    puts(HV_NAME ": exits seen: CPUID ");
    putdec(n_cpuid);
    puts(", " HV_IO_EXIT " ");
    putdec(n_io);
    puts(", HLT ");
    putdec(n_hlt);
    puts(", " HV_CALL " ");
    putdec(n_call);
    putc('\n');
}

/* The hypercall: RAX = HC_PRINT_NR prints the string at guest RBX and returns 0 (resume the guest);
 * anything else is HC_DONE with RBX failed checks: prints the summary and returns 0x100 | status. */
static u64 hv_hypercall(struct guest_regs *r) {
    n_call++;
    if (r->rax == HC_PRINT_NR) {
        puts(HV_NAME ": " HV_CALL " print: ");
        puts((const char *) r->rbx); /* the guest shares the host's identity map */
        putc('\n');
        return 0;
    }
    puts(HV_NAME ": " HV_CALL " done, guest reports ");
    putdec(r->rbx);
    puts(" failed checks\n");
    hv_summary();
    return 0x100 | (r->rbx == 0 ? HV_OK : HV_GUEST_FAILED);
}

/* The run loop's result (0x100 | status): prints the final line and returns the status for port F4H. */
static int hv_done(long result) {
    int status = (int) (result & 0xff);
    puts(HV_NAME ": DONE status ");
    putdec((u64) status);
    putc('\n');
    return status;
}

#endif
