#include <stdio.h>
#include <stdint.h>
int main(){
  uint64_t a,b,c;
  // cmpxchg ecx, edx with eax != ecx : fails
  a=0xAAAAAAAA00000001ULL; b=0xBBBBBBBB00000002ULL; c=0xCCCCCCCC00000003ULL;
  __asm__ volatile("cmpxchg %%edx, %%ecx" : "+a"(a), "+c"(b), "+d"(c) :: "cc");
  printf("cmpxchg fail: rax=%016lx rcx(dest)=%016lx rdx=%016lx\n", a,b,c);
  a=0xAAAAAAAA00000002ULL; b=0xBBBBBBBB00000002ULL; c=0xCCCCCCCC00000003ULL;
  __asm__ volatile("cmpxchg %%edx, %%ecx" : "+a"(a), "+c"(b), "+d"(c) :: "cc");
  printf("cmpxchg ok:   rax=%016lx rcx(dest)=%016lx rdx=%016lx\n", a,b,c);
  // bswap ax
  a=0x1122334455667788ULL;
  __asm__ volatile(".byte 0x66,0x0f,0xc8" : "+a"(a));
  printf("bswap ax: %016lx\n", a);
  a=0x1122334455667788ULL;
  __asm__ volatile(".byte 0x66,0x41,0x0f,0xc8" : "+r"(a)); // might be r8 - skip
  // movsxd 16: 66 63 c1 = movsxd ax, ecx ?
  a=0x1111111111111111ULL; b=0x00000000ffff8000ULL;
  __asm__ volatile(".byte 0x66,0x63,0xc1" : "+a"(a) : "c"(b));
  printf("66 movsxd ax,cx: %016lx\n", a);
  a=0x1111111111111111ULL; b=0x00000000ffff8000ULL;
  __asm__ volatile(".byte 0x63,0xc1" : "+a"(a) : "c"(b));
  printf("movsxd eax,ecx: %016lx\n", a);
  // cmov false 32
  a=0x1111111122222222ULL; b=0x3333333344444444ULL;
  __asm__ volatile("xor %%edx,%%edx; cmovnz %%ecx, %%eax" : "+a"(a) : "c"(b) : "rdx","cc");
  printf("cmovnz false: %016lx\n", a);
  return 0;
}
