/*
 * hvlib.h: what the C guests (hello-c and the x86 hypervisors vmx-hv, svm-hv, vmx-exit-loop,
 * svm-exit-loop) share: types, memcpy/memset, UART output, port I/O, CPUID, MSRs, control registers
 * and the descriptors of the runtime's GDT
 * (include/runtime32.inc, runtime64.inc). Header only: every function is static, so each guest
 * (one .c file, guests/build-guests.sh) gets its own copy. No hvsim-specific behaviour is assumed
 * beyond the boot protocol of guests/DESIGN.md.
 */
#ifndef HVLIB_H
#define HVLIB_H

/* Not every guest uses every helper of these headers. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define PORT_COM1 0x3f8
#define PORT_EXIT 0xf4

/* Statuses the hypervisors write to the debug-exit port (hvsim exit status = (v << 1) | 1). */
/* Hypercall numbers of include/hvguest.inc (guest RAX at VMCALL/VMMCALL). */
#define HC_DONE_NR 0
#define HC_PRINT_NR 1

#define HV_OK 0               /* the guest ran and every exit was handled as expected */
#define HV_GUEST_FAILED 1     /* the guest reported a failed check through its exit hypercall */
#define HV_UNSUPPORTED 2      /* CPUID does not report VMX / SVM (or firmware disabled it) */
#define HV_ENTRY_FAILED 3     /* VMXON/VMCLEAR/VMPTRLD/VMWRITE/VMLAUNCH failed, or VMRUN gave VMEXIT_INVALID */
#define HV_UNEXPECTED_EXIT 4  /* an exit the hypervisor does not handle (e.g. a guest exception) */

void *memset(void *d, int c, u64 n) {
    u8 *dp = d;
    while (n--) {
        *dp++ = (u8) c;
    }
    return d;
}

void *memcpy(void *d, const void *s, u64 n) {
    u8 *dp = d;
    const u8 *sp = s;
    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void putc(char c) { outb(PORT_COM1, (u8) c); }

static void puts(const char *s) {
    while (*s) {
        putc(*s++);
    }
}

/* 0x followed by exactly `digits` hex digits. */
static void puthexn(u64 v, int digits) {
    puts("0x");
    for (int i = (digits - 1) * 4; i >= 0; i -= 4) {
        putc("0123456789abcdef"[(v >> i) & 0xf]);
    }
}

static void putdec(u64 v) {
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        putc(buf[--n]);
    }
}

/* Prints the four bytes of a register as characters (CPUID vendor and signature strings). */
static void putreg4(u32 r) {
    for (int i = 0; i < 4; i++) {
        char c = (char) (r >> (8 * i));
        putc(c >= 0x20 && c < 0x7f ? c : '.');
    }
}

static void __attribute__((noreturn)) hv_exit(u32 v) {
    outl(PORT_EXIT, v);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

struct cpuid_regs { u32 a, b, c, d; };

static struct cpuid_regs cpuid2(u32 leaf, u32 sub) {
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

static u64 rdmsr(u32 msr) {
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (u64) hi << 32 | lo;
}

static void wrmsr(u32 msr, u64 v) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32) v), "d"((u32) (v >> 32)) : "memory");
}

static u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

struct __attribute__((packed)) dtr { u16 limit; u64 base; };

static struct dtr read_gdtr(void) { struct dtr d; __asm__ volatile("sgdt %0" : "=m"(d)); return d; }
static struct dtr read_idtr(void) { struct dtr d; __asm__ volatile("sidt %0" : "=m"(d)); return d; }

#define READ_SEG(name) static u16 read_##name(void) { u16 v; __asm__ volatile("mov %%" #name ", %0" : "=r"(v)); return v; }
READ_SEG(cs)
READ_SEG(ss)
READ_SEG(ds)
READ_SEG(es)
READ_SEG(fs)
READ_SEG(gs)
static u16 read_tr(void) { u16 v; __asm__ volatile("str %0" : "=r"(v)); return v; }

/* A segment as the descriptor caches hold it (SDM Vol. 3A 3.4.5): base, limit in bytes, and the
 * attribute bits 40-47 and 52-55 of the descriptor as the 12-bit value (type, S, DPL, P, AVL, L, D/B, G). */
struct seg { u16 sel; u16 attr; u32 limit; u64 base; };

static struct seg gdt_segment(u16 sel) {
    struct seg s = {sel, 0, 0, 0};
    if ((sel & ~7) == 0) {
        return s;
    }
    struct dtr g = read_gdtr();
    const u64 *d = (const u64 *) (g.base + (sel & ~7));
    u64 lo = d[0];
    s.attr = (u16) (((lo >> 40) & 0xff) | ((lo >> 52) & 0xf) << 8);
    u32 limit = (u32) ((lo & 0xffff) | ((lo >> 48) & 0xf) << 16);
    s.limit = (s.attr & 0x800) ? (limit << 12 | 0xfff) : limit;
    s.base = ((lo >> 16) & 0xffffff) | ((lo >> 56) & 0xff) << 24;
    if (!(s.attr & 0x10)) {
        s.base |= d[1] << 32; /* system descriptor (TSS, LDT) in IA-32e mode: 16 bytes */
    }
    return s;
}

#endif
