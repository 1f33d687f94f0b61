#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <stdint.h>
extern char thunk_start[], thunk_slot[], thunk_end[];
struct st { uint64_t r[8]; uint64_t flags; uint8_t mem[64]; };
static sigjmp_buf jb;
static void h(int sig){ siglongjmp(jb, sig); }
int main(void){
  size_t n = thunk_end - thunk_start;
  char *code = mmap(0, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  signal(SIGFPE, h); signal(SIGILL, h); signal(SIGSEGV, h);
  char line[1024];
  // input: hex-bytes rax rbx rcx rdx rsi rdi r8 flags [mem-qword0 mem-qword1 ...(at r9-32)]
  while (fgets(line, sizeof line, stdin)) {
    char hex[128]; struct st s; memset(&s, 0, sizeof s);
    unsigned long long q[8];
    int k = sscanf(line, "%127s %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx", hex,
      (unsigned long long*)&s.r[0],(unsigned long long*)&s.r[1],(unsigned long long*)&s.r[2],(unsigned long long*)&s.r[3],
      (unsigned long long*)&s.r[4],(unsigned long long*)&s.r[5],(unsigned long long*)&s.r[6],(unsigned long long*)&s.flags,
      &q[0],&q[1],&q[2],&q[3],&q[4],&q[5],&q[6],&q[7]);
    if (k < 1) continue;
    for (int i = 0; i + 9 < k; i++) memcpy(s.mem + 8*i, &q[i], 8);
    memcpy(code, thunk_start, n);
    char *slot = code + (thunk_slot - thunk_start);
    memset(slot, 0x90, 32);
    for (int i = 0; hex[2*i]; i++) { unsigned b; sscanf(hex + 2*i, "%2x", &b); slot[i] = b; }
    s.flags = (s.flags & 0xcd5) | 2;
    __builtin___clear_cache(code, code + n);
    int sig = sigsetjmp(jb, 1);
    if (sig) { printf("%s SIG%d\n", hex, sig); fflush(stdout); continue; }
    ((void(*)(struct st*))code)(&s);
    printf("%s rax=%llx rbx=%llx rcx=%llx rdx=%llx rsi=%llx rdi=%llx r8=%llx fl=%03llx", hex,
      (unsigned long long)s.r[0],(unsigned long long)s.r[1],(unsigned long long)s.r[2],(unsigned long long)s.r[3],
      (unsigned long long)s.r[4],(unsigned long long)s.r[5],(unsigned long long)s.r[6],(unsigned long long)(s.flags & 0xcd5));
    printf(" mem=");
    for (int i = 0; i < 64; i += 8) { uint64_t v; memcpy(&v, s.mem+i, 8); printf("%llx%s", (unsigned long long)v, i<56?",":""); }
    printf("\n"); fflush(stdout);
  }
}
