/*
 * hello-c: a guest written in freestanding C, compiled with
 * gcc -m64 -ffreestanding -mno-red-zone -mno-sse -mno-sse2 -fno-pic and linked at 4 MiB as a
 * multiboot ELF (guests/DESIGN.md). It shows that compiler-generated code runs: recursion, a switch
 * compiled to a jump table, 64-bit multiply and divide, structures copied through memcpy, string
 * handling; it reads the number of CPUs from fw_cfg (key 0x05) and prints through the UART (COM1).
 * c_main returns the number of failed checks, which the start-up code writes to port 0xf4.
 */
#include "hvlib.h"

static int failed, run;

static void check(const char *name, u64 got, u64 want) {
    run++;
    if (got == want) {
        puts("PASS ");
        puts(name);
    } else {
        failed++;
        puts("FAIL ");
        puts(name);
        puts(" got=");
        puthexn(got, 16);
        puts(" want=");
        puthexn(want, 16);
    }
    putc('\n');
}

static u64 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static const char *weekday(int d) {
    switch (d) {
        case 0: return "Sunday";
        case 1: return "Monday";
        case 2: return "Tuesday";
        case 3: return "Wednesday";
        case 4: return "Thursday";
        case 5: return "Friday";
        case 6: return "Saturday";
        default: return "?";
    }
}

static u64 str_len(const char *s) {
    u64 n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

struct point { u64 x, y, z; u32 tag[8]; };

static struct point scaled(struct point p, u64 k) {
    struct point r = p;
    r.x *= k;
    r.y *= k;
    r.z *= k;
    return r;
}

static u32 fwcfg_u16(u16 key) {
    outw(0x510, key);
    u32 lo = inb(0x511);
    return lo | (u32) inb(0x511) << 8;
}

int c_main(void) {
    puts("Hello from C on hvsim!\n");
    check("fib(20) (recursion)", fib(20), 6765);
    check("switch jump table", str_len(weekday(3)), 9);
    volatile u64 a = 0x123456789abcdefUL, b = 1000003;
    check("64-bit multiply", a * b, 0x123456789abcdefUL * 1000003UL);
    check("64-bit divide", a / b, 0x123456789abcdefUL / 1000003UL);
    check("64-bit remainder", a % b, 0x123456789abcdefUL % 1000003UL);
    struct point p = {1, 2, 3, {7, 7, 7, 7, 7, 7, 7, 7}};
    struct point q = scaled(p, 5);
    check("struct copy", q.x + q.y + q.z + q.tag[7], 37);
    u32 cpus = fwcfg_u16(0x05);
    puts("INFO fw_cfg cpus=");
    putdec(cpus);
    putc('\n');
    check("fw_cfg cpus >= 1", cpus >= 1, 1);
    puts("DONE checks=");
    putdec((u64) run);
    puts(" failed=");
    putdec((u64) failed);
    putc('\n');
    return failed;
}
