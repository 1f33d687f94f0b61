/*
 * hvsim native-differential harness.
 *
 * Runs batches of small x86-64 integer instruction sequences ("cases") on the
 * host CPU at CPL 3 and reports the architectural state afterwards, or the
 * state at the faulting instruction.  Built by NativeExecutor with
 *   gcc -O1 -o harness-<sha> harness.c
 * Linux/x86-64 only.
 *
 * Memory layout (fixed, identical to IsaLayout.java):
 *   CODE = 0x20000000, 1 page, RWX: the case's bytes, then a 14-byte trailer
 *          "jmp qword ptr [rip+0]; dq hv_exit" that leaves the case without
 *          touching any register or flag.  The rest of the page is INT3.
 *   DATA = 0x10000000, 2 pages, RW: the case's data bytes, zero-padded.
 *
 * Batch format (all integers little-endian; see BatchCodec.java):
 *   harness -> stdout, once:  "HVH1" u32 version=1, u64 CODE, u64 DATA,
 *                             u32 DATA_SIZE, u32 MAX_CODE
 *   stdin, per case:          "HVC1" u64 gpr[16] (RAX RCX RDX RBX RSP RBP RSI
 *                             RDI R8..R15), u64 rflags, u32 code_len,
 *                             u32 data_len, code bytes, data bytes
 *   stdout, per case:         "HVO1" i32 vector (-1 = none, 0..31 = exception
 *                             vector, 256 = watchdog timeout), u64 gpr[16],
 *                             u64 rflags (only CF PF AF ZF SF DF OF), u64 rip
 *                             offset from CODE, u32 DATA_SIZE, data region
 *   End of input = EOF; the harness then exits 0.
 *
 * Only CF PF AF ZF SF OF DF of the case's rflags are loaded; TF, AC, IF etc.
 * keep the harness's values (TF = AC = 0).
 *
 * Faults (#DE SIGFPE, #UD SIGILL, #GP/#SS/#PF SIGSEGV/SIGBUS, #BP/#DB SIGTRAP)
 * are caught on an alternate signal stack (the case's RSP points into DATA).
 * The vector is the hardware one from the kernel's trap number; the registers
 * are those in the signal frame, i.e. at the faulting instruction for faults
 * and after the instruction for traps (#BP, #DB), as the SDM defines them.
 * The handler rewrites the frame so that sigreturn resumes the harness.
 *
 * A 250 ms ITIMER_VIRTUAL (user CPU time, so a descheduled harness never
 * misfires) is the watchdog: a case still running on two consecutive ticks,
 * i.e. after at least 250 ms of its own CPU time, is abandoned with vector 256.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x20000000UL
#define CODE_SIZE 4096u
#define DATA_ADDR 0x10000000UL
#define DATA_SIZE 8192u
#define TRAILER_LEN 14u
#define MAX_CODE (CODE_SIZE - TRAILER_LEN)
#define ARITH_FLAGS 0xCD5UL       /* CF PF AF ZF SF DF OF */
#define TF_AC_FLAGS 0x40100UL
#define VECTOR_NONE (-1)
#define VECTOR_TIMEOUT 256
#define MAGIC_HEADER 0x31485648u  /* "HVH1" */
#define MAGIC_CASE 0x31435648u    /* "HVC1" */
#define MAGIC_OUT 0x314F5648u     /* "HVO1" */

/* State blocks shared with the assembly below: gpr[16], rflags. */
struct state { uint64_t gpr[16]; uint64_t rflags; };
__attribute__((used, visibility("hidden"))) struct state hv_in, hv_out;
__attribute__((used, visibility("hidden"))) uint64_t hv_saved_rsp;
__attribute__((used, visibility("hidden"))) uint64_t hv_entry = CODE_ADDR;

static volatile sig_atomic_t hv_active;
static volatile uint64_t hv_serial, hv_watch_serial;
static uint64_t hv_fault_rip;
static int hv_fault_vector;

/* Returns 0 when the case reached the trailer, 1 when the signal handler
 * abandoned it. hv_enter saves the callee-saved registers, loads hv_in and
 * jumps to CODE; hv_exit (reached from the trailer) stores everything to
 * hv_out. Only MOV/PUSHF/POPF touch the case state, so no flag changes. */
extern uint64_t hv_enter(void);
extern void hv_exit(void);
extern void hv_fault_resume(void);

__asm__(
    ".text\n"
    ".globl hv_enter\n.type hv_enter,@function\n"
    "hv_enter:\n"
    "  push %rbp\n  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsp, hv_saved_rsp(%rip)\n"
    "  pushq hv_in+128(%rip)\n"
    "  popfq\n"
    "  mov hv_in+0(%rip), %rax\n  mov hv_in+8(%rip), %rcx\n"
    "  mov hv_in+16(%rip), %rdx\n  mov hv_in+24(%rip), %rbx\n"
    "  mov hv_in+40(%rip), %rbp\n  mov hv_in+48(%rip), %rsi\n"
    "  mov hv_in+56(%rip), %rdi\n  mov hv_in+64(%rip), %r8\n"
    "  mov hv_in+72(%rip), %r9\n  mov hv_in+80(%rip), %r10\n"
    "  mov hv_in+88(%rip), %r11\n  mov hv_in+96(%rip), %r12\n"
    "  mov hv_in+104(%rip), %r13\n  mov hv_in+112(%rip), %r14\n"
    "  mov hv_in+120(%rip), %r15\n  mov hv_in+32(%rip), %rsp\n"
    "  jmp *hv_entry(%rip)\n"
    ".globl hv_exit\n.type hv_exit,@function\n"
    "hv_exit:\n"
    "  mov %rax, hv_out+0(%rip)\n  mov %rcx, hv_out+8(%rip)\n"
    "  mov %rdx, hv_out+16(%rip)\n  mov %rbx, hv_out+24(%rip)\n"
    "  mov %rsp, hv_out+32(%rip)\n  mov %rbp, hv_out+40(%rip)\n"
    "  mov %rsi, hv_out+48(%rip)\n  mov %rdi, hv_out+56(%rip)\n"
    "  mov %r8, hv_out+64(%rip)\n  mov %r9, hv_out+72(%rip)\n"
    "  mov %r10, hv_out+80(%rip)\n  mov %r11, hv_out+88(%rip)\n"
    "  mov %r12, hv_out+96(%rip)\n  mov %r13, hv_out+104(%rip)\n"
    "  mov %r14, hv_out+112(%rip)\n  mov %r15, hv_out+120(%rip)\n"
    "  mov hv_saved_rsp(%rip), %rsp\n"
    "  pushfq\n"
    "  popq hv_out+128(%rip)\n"
    "  cld\n"
    "  xor %eax, %eax\n"
    "  jmp 1f\n"
    ".globl hv_fault_resume\n.type hv_fault_resume,@function\n"
    "hv_fault_resume:\n"
    "  mov hv_saved_rsp(%rip), %rsp\n"
    "  mov $1, %eax\n"
    "1:\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n  pop %rbp\n"
    "  ret\n");

static void die(const char *msg) {
    fprintf(stderr, "harness: %s (errno %d: %s)\n", msg, errno, strerror(errno));
    exit(2);
}

/* ucontext register slots in hardware encoding order (RAX..R15). */
static const int greg_slot[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static int vector_of(int sig, long trapno) {
    if (trapno >= 0 && trapno < 32) return (int)trapno;
    switch (sig) {
    case SIGFPE: return 0;
    case SIGTRAP: return 3;
    case SIGILL: return 6;
    case SIGBUS: return 12;
    default: return 13;
    }
}

/* Store the interrupted state into hv_out and resume at hv_fault_resume. */
static void abandon_case(ucontext_t *uc, int vector) {
    greg_t *g = uc->uc_mcontext.gregs;
    for (int i = 0; i < 16; i++) hv_out.gpr[i] = (uint64_t)g[greg_slot[i]];
    hv_out.rflags = (uint64_t)g[REG_EFL];
    hv_fault_rip = (uint64_t)g[REG_RIP];
    hv_fault_vector = vector;
    g[REG_RIP] = (greg_t)(uintptr_t)hv_fault_resume;
    g[REG_RSP] = (greg_t)hv_saved_rsp;
    g[REG_EFL] &= ~(greg_t)(0x400UL | TF_AC_FLAGS);
}

static void on_fault(int sig, siginfo_t *si, void *ctx) {
    (void)si;
    ucontext_t *uc = ctx;
    if (!hv_active) {
        static const char msg[] = "harness: fault outside a case\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(3);
    }
    abandon_case(uc, vector_of(sig, (long)uc->uc_mcontext.gregs[REG_TRAPNO]));
}

static void on_alarm(int sig, siginfo_t *si, void *ctx) {
    (void)sig; (void)si;
    if (!hv_active) return;
    if (hv_watch_serial != hv_serial) { hv_watch_serial = hv_serial; return; }
    abandon_case(ctx, VECTOR_TIMEOUT);
}

static void install_handlers(void) {
    static uint8_t altstack[256 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sa.sa_sigaction = on_fault;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction");
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sa.sa_sigaction = on_alarm;
    if (sigaction(SIGVTALRM, &sa, NULL) != 0) die("sigaction(SIGVTALRM)");
    struct itimerval tv = {{0, 250000}, {0, 250000}};
    if (setitimer(ITIMER_VIRTUAL, &tv, NULL) != 0) die("setitimer");
}

static void map_fixed(unsigned long addr, size_t size, int prot) {
    void *p = mmap((void *)addr, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)addr) die("mmap at fixed address");
}

static int read_exact(void *buf, size_t n) {
    if (n == 0) return 1;
    return fread(buf, 1, n, stdin) == n;
}

static void write_exact(const void *buf, size_t n) {
    if (fwrite(buf, 1, n, stdout) != n) die("write to stdout");
}

static void put_u32(uint32_t v) { write_exact(&v, 4); }
static void put_u64(uint64_t v) { write_exact(&v, 8); }

static void write_header(void) {
    put_u32(MAGIC_HEADER);
    put_u32(1);
    put_u64(CODE_ADDR);
    put_u64(DATA_ADDR);
    put_u32(DATA_SIZE);
    put_u32(MAX_CODE);
    fflush(stdout);
}

/* Copies the case into CODE and DATA; returns 0 at clean EOF. */
static int load_case(void) {
    uint32_t magic, code_len, data_len;
    if (fread(&magic, 1, 4, stdin) != 4) return 0;
    if (magic != MAGIC_CASE) { errno = 0; die("bad case magic"); }
    uint64_t flags;
    if (!read_exact(hv_in.gpr, sizeof hv_in.gpr) || !read_exact(&flags, 8) ||
        !read_exact(&code_len, 4) || !read_exact(&data_len, 4))
        die("truncated case header");
    if (code_len > MAX_CODE || data_len > DATA_SIZE) { errno = 0; die("case too large"); }
    uint8_t *code = (uint8_t *)CODE_ADDR, *data = (uint8_t *)DATA_ADDR;
    memset(code, 0xCC, CODE_SIZE);
    if (!read_exact(code, code_len) || !read_exact(data, data_len)) die("truncated case body");
    memset(data + data_len, 0, DATA_SIZE - data_len);
    static const uint8_t jmp_rip0[6] = {0xFF, 0x25, 0, 0, 0, 0};
    uint64_t exit_addr = (uint64_t)(uintptr_t)hv_exit;
    memcpy(code + code_len, jmp_rip0, 6);
    memcpy(code + code_len + 6, &exit_addr, 8);
    uint64_t host = __builtin_ia32_readeflags_u64();
    hv_in.rflags = (host & ~(ARITH_FLAGS | TF_AC_FLAGS)) | (flags & ARITH_FLAGS);
    return (int)code_len + 1;
}

static void run_and_report(uint32_t code_len) {
    hv_serial++;
    hv_active = 1;
    uint64_t faulted = hv_enter();
    hv_active = 0;
    int32_t vector = faulted ? hv_fault_vector : VECTOR_NONE;
    uint64_t rip = faulted ? hv_fault_rip - CODE_ADDR : code_len;
    put_u32(MAGIC_OUT);
    write_exact(&vector, 4);
    write_exact(hv_out.gpr, sizeof hv_out.gpr);
    put_u64(hv_out.rflags & ARITH_FLAGS);
    put_u64(rip);
    put_u32(DATA_SIZE);
    write_exact((const void *)DATA_ADDR, DATA_SIZE);
}

int main(void) {
    static char inbuf[1 << 20], outbuf[1 << 20];
    setvbuf(stdin, inbuf, _IOFBF, sizeof inbuf);
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    map_fixed(CODE_ADDR, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
    install_handlers();
    write_header();
    int loaded;
    while ((loaded = load_case()) > 0) run_and_report((uint32_t)(loaded - 1));
    if (fflush(stdout) != 0) die("flush stdout");
    return 0;
}
