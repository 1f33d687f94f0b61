# bench: the compute benchmark. Enters 64-bit long mode (identity paging, runtime64.inc), then
# runs an integer loop with memory traffic: an LCG drives loads, xors and stores over a 64 KiB
# buffer and a running sum, for BENCH_ITERATIONS iterations. It prints the checksum and exits with
# v=0 when it equals BENCH_EXPECTED (computed by guests/tools/bench_checksum.c), v=1 otherwise.
#
# Retired instructions of the hot loop (bench_loop .. bench_loop_end, exactly):
#   10 instructions per iteration x BENCH_ITERATIONS
#   bench:       10 x 20,000,000 = 200,000,000
#   bench-small: 10 x    200,000 =   2,000,000   (bench-small.S sets the constants and includes this file)
# The rest of the run (boot, page tables, IDT, printing) is a few tens of thousands of instructions;
# the rep stos that zeroes .bss counts as one instruction with many iterations.
# The symbols bench_loop and bench_loop_end (in the ELF symbol table) bound the hot loop.
  .include "hvsim.inc"

.ifndef BENCH_ITERATIONS
.set BENCH_ITERATIONS, 20000000
.set BENCH_EXPECTED, 0x63858f5f455313a7
.endif
.set BENCH_SEED, 0x2545f4914f6cdd1d
.set BENCH_LCG_A, 6364136223846793005
.set BENCH_LCG_C, 1442695040888963407
.set BENCH_INSNS_PER_ITERATION, 10

  .text
  .code32
main32:
  jmp enter_long_mode

  .code64
main64:
  PUTS64 "bench: iterations="
  PUTHEX64 $BENCH_ITERATIONS
  PUTS64 ", 10 instructions each\n"
  movabs $BENCH_LCG_A, %r9
  movabs $BENCH_LCG_C, %r10
  lea bench_buffer(%rip), %rdi
  mov $BENCH_ITERATIONS, %ecx
  rdtsc
  shl $32, %rdx
  or %rax, %rdx
  mov %rdx, tsc_start(%rip)
  movabs $BENCH_SEED, %rax
  xor %edx, %edx
  .globl bench_loop, bench_loop_end
  .balign 16
bench_loop:
  imul %r9, %rax                # 1  x = x * A
  add %r10, %rax                # 2  x += C
  mov %rax, %rsi                # 3
  shr $51, %rsi                 # 4  index = x >> 51 (0..8191)
  mov (%rdi,%rsi,8), %r8        # 5  load
  xor %rax, %r8                 # 6
  mov %r8, (%rdi,%rsi,8)        # 7  store
  add %r8, %rdx                 # 8  checksum += value
  dec %rcx                      # 9
  jnz bench_loop                # 10
bench_loop_end:
  mov %rdx, %rbx
  rdtsc
  shl $32, %rdx
  or %rax, %rdx
  sub tsc_start(%rip), %rdx
  PUTS64 "bench: checksum="
  PUTHEX64 %rbx
  PUTS64 "\n"
  PUTS64 "bench: TSC cycles in the loop="
  PUTHEX64 %rdx
  PUTS64 "\n"
  movabs $BENCH_EXPECTED, %rax
  CHECK64 "bench checksum", %rbx, %rax
  FINISH64

  .data
  .balign 8
tsc_start: .quad 0
  .bss
  .balign 4096
bench_buffer: .space 65536

  .include "runtime64.inc"
  .include "runtime32.inc"
