#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
int main(){
  char src[16]="abcdefghijklmno", dst[16]; memset(dst,'.',16); dst[15]=0;
  uint64_t s=(uint64_t)src, d=(uint64_t)dst, c=4;
  __asm__ volatile("cld; .byte 0xf2,0xa4" : "+S"(s), "+D"(d), "+c"(c) :: "memory");
  printf("repne movsb: dst=%s rcx=%lu\n", dst, c);
  // 67 stosb with rdi in low 4G: need low memory
  char *m = mmap((void*)0x10000000, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  uint64_t di = 0xffffffff00000000ULL | (uint64_t)m; uint64_t cx = 0xffffffff00000003ULL; uint64_t ax='Z';
  __asm__ volatile(".byte 0x67,0xf3,0xaa" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
  printf("67 rep stosb: rdi=%016lx rcx=%016lx mem=%.4s\n", di, cx, m);
  di = 0xffffffff00000000ULL | (uint64_t)m; cx = 0xffffffff00000000ULL;
  __asm__ volatile(".byte 0x67,0xf3,0xaa" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
  printf("67 rep stosb ecx=0: rdi=%016lx rcx=%016lx\n", di, cx);
  // 16 bit movsxd etc done. xlat
  return 0;
}
