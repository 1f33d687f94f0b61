/* Reference model of the hot loop of guests/src/main/asm/bench.S: prints the checksum the guest
 * must compute for a given iteration count. Not part of the build; used once to produce the
 * BENCH_EXPECTED constants:  cc -O2 -o /tmp/bench_checksum bench_checksum.c && /tmp/bench_checksum 20000000 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000;
  static uint64_t buf[8192];            /* 64 KiB, zero at start like the guest's .bss */
  uint64_t x = 0x2545f4914f6cdd1dULL;   /* BENCH_SEED */
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* imul, add */
    uint64_t idx = x >> 51;                                   /* mov, shr */
    uint64_t v = buf[idx] ^ x;                                /* load, xor */
    buf[idx] = v;                                             /* store */
    sum += v;                                                 /* add */
  }                                                           /* dec, jnz */
  printf("iterations=%" PRIu64 " checksum=0x%016" PRIx64 " lcg=0x%016" PRIx64 "\n", n, sum, x);
  return 0;
}
