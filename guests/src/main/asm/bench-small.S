# bench-small: bench.S with 200,000 iterations (10 x 200,000 = 2,000,000 hot-loop instructions),
# for tests. Checksum from guests/tools/bench_checksum.c 200000.
.set BENCH_ITERATIONS, 200000
.set BENCH_EXPECTED, 0x9fb1f6627594a9bc
  .include "bench.S"
