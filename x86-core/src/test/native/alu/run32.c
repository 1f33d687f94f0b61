#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <stdint.h>
static sigjmp_buf jb;
static void h(int sig){ siglongjmp(jb, sig); }
int main(int argc, char **argv){
  FILE *f = fopen("t32.bin", "rb"); static unsigned char blob[4096]; size_t n = fread(blob, 1, sizeof blob, f); fclose(f);
  long slotoff = strtol(argv[1], 0, 16);
  unsigned char *base = mmap((void*)0x40000000, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  stack_t ss; ss.ss_sp = malloc(1<<16); ss.ss_size = 1<<16; ss.ss_flags = 0; sigaltstack(&ss, 0);
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = h; sa.sa_flags = SA_ONSTACK | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0); sigaction(SIGILL, &sa, 0); sigaction(SIGSEGV, &sa, 0); sigaction(SIGBUS, &sa, 0);
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char hex[128]; unsigned r[7];
    if (sscanf(line, "%127s %x %x %x %x %x %x %x", hex, &r[0],&r[1],&r[2],&r[3],&r[4],&r[5],&r[6]) < 8) continue;
    memcpy(base, blob, n);
    memset(base + slotoff, 0x90, 32);
    for (int i = 0; hex[2*i]; i++) { unsigned b; sscanf(hex + 2*i, "%2x", &b); base[slotoff + i] = b; }
    uint32_t *st = (uint32_t*)(base + 0x800);
    for (int i = 0; i < 7; i++) st[i] = r[i];
    st[6] = (st[6] & 0xcd5) | 2;
    int sig = sigsetjmp(jb, 1);
    if (sig) { printf("%s SIG%d\n", hex, sig); fflush(stdout); continue; }
    ((void(*)(void))base)();
    printf("%s eax=%x ebx=%x ecx=%x edx=%x esi=%x edi=%x fl=%03x\n", hex, st[0], st[1], st[2], st[3], st[4], st[5], st[6] & 0xcd5);
    fflush(stdout);
  }
}
