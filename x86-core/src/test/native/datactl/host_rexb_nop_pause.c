#include <stdio.h>
#include <stdint.h>
int main(){
  uint64_t a=0x1111111122222222ULL, r8v=0x3333333344444444ULL;
  __asm__ volatile("mov %1, %%r8; .byte 0xf3,0x41,0x90; mov %%r8, %1" : "+a"(a), "+r"(r8v) :: "r8");
  printf("f3 41 90: rax=%016lx r8=%016lx\n", a, r8v);
  uint64_t x=0x1111111122222222ULL;
  __asm__ volatile(".byte 0x90" : "+a"(x));
  printf("90: %016lx\n", x);
  // bsw ap 16 on r8-ish: 66 0f cb bswap bx
  uint64_t y=0xffffffffffffffffULL;
  __asm__ volatile(".byte 0x66,0x0f,0xcb" : "+b"(y));
  printf("bswap bx: %016lx\n", y);
  return 0;
}
