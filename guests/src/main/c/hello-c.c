/*
 * hello-c: a guest written in freestanding C, compiled with
 * gcc -m64 -ffreestanding -mno-red-zone -mno-sse -mno-sse2 -fno-pic and linked at 4 MiB as a
 * multiboot ELF (guests/DESIGN.md). It shows that compiler-generated code runs: recursion, a switch
 * compiled to a jump table, 64-bit multiply and divide, structures copied through memcpy, string
 * handling; it reads the number of CPUs from fw_cfg (key 0x05) and prints through the UART (COM1).
 * c_main returns the number of failed checks, which the start-up code writes to port 0xf4.
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

void hv_outb(u16 port, u8 v);
void hv_outw(u16 port, u16 v);
u8 hv_inb(u16 port);

void *memcpy(void *d, const void *s, u64 n) {
    u8 *dp = d;
    const u8 *sp = s;
    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

void *memset(void *d, int c, u64 n) {
    u8 *dp = d;
    while (n--) {
        *dp++ = (u8) c;
    }
    return d;
}

static void putc(char c) { hv_outb(0x3f8, (u8) c); }

static void puts(const char *s) {
    while (*s) {
        putc(*s++);
    }
}

static void puthex(u64 v) {
    puts("0x");
    for (int i = 60; i >= 0; i -= 4) {
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
        puthex(got);
        puts(" want=");
        puthex(want);
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
    hv_outw(0x510, key);
    u32 lo = hv_inb(0x511);
    return lo | (u32) hv_inb(0x511) << 8;
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
