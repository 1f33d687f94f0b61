# svm-exit-loop: the #VMEXIT/VMRUN round-trip benchmark of svm-exit-loop.c. The guest executes CPUID
# EXIT_LOOP_ITERATIONS times; after each #VMEXIT svm_bench_run reads EXITCODE, executes CPUID on the guest's
# EAX (from the VMCB) and live ECX (SVM leaves the guest's general registers other than RAX and RSP in the
# processor: AMD APM Vol. 2 15.5.1, 15.6), writes RAX back, sets RIP from NRIP (15.7.1) and executes VMRUN
# again; the exits are counted in R12. GIF: #VMEXIT clears it and VMRUN sets it (15.17); nothing in this
# loop needs interrupts, so it does without STGI/CLGI. Any other EXITCODE (the final VMMCALL) goes to
# svm_bench_other (C).
  .include "hvsim.inc"
  .include "hvguest.inc"

  .set EXIT_LOOP_ITERATIONS, 200000

  .include "cmain.inc"

  .globl bench_guest_stack_top, svm_bench_run
  HV_BENCH_GUEST vmmcall

# long svm_bench_run(u64 vmcb_pa): the VMRUN loop; returns svm_bench_other's value.
svm_bench_run:
  SAVE_CALLEE64
  mov %rdi, %rsi                # RSI = the VMCB (the guest does not use RSI)
  xor %r12d, %r12d              # CPUID exits handled
1:
  mov %rsi, %rax
  vmrun
  mov 0x70(%rsi), %r8           # EXITCODE
  cmp $0x72, %r8                # CPUID
  jne 2f
  inc %r12
  mov 0x5f8(%rsi), %rax         # guest RAX
  cpuid
  mov %rax, 0x5f8(%rsi)
  mov 0xc8(%rsi), %r8           # NRIP
  mov %r8, 0x578(%rsi)          # RIP
  jmp 1b
2:
  mov %r8, %rdi                 # EXITCODE
  mov 0x5f8(%rsi), %rsi         # guest RAX, RBX
  mov %rbx, %rdx
  mov %r12, %rcx
  sub $8, %rsp
  call svm_bench_other
  add $8, %rsp
  RESTORE_CALLEE64
  ret

  .bss
  .balign 16
bench_guest_stack: .space 4096
bench_guest_stack_top:

  .include "runtime64.inc"
  .include "runtime32.inc"
