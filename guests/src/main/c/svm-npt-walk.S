# svm-npt-walk: the page-walk benchmark under nested paging of svm-npt-walk.c; the guest is walk-guest.inc.
# svm_walk_run executes VMRUN once and returns the EXITCODE, leaving the guest's RBX (SVM leaves the guest's
# general registers other than RAX and RSP in the processor: AMD APM Vol. 2 15.5.1) in walk_guest_rbx.
  .include "hvsim.inc"

  .include "cmain.inc"

  .macro WALK_HYPERCALL
  vmmcall
  .endm
  .include "../c/walk-guest.inc"

  .globl svm_walk_run, walk_guest_stack_top, walk_guest_rbx

# u64 svm_walk_run(u64 vmcb_pa): one VMRUN; returns EXITCODE.
svm_walk_run:
  SAVE_CALLEE64
  mov %rdi, %rax
  mov %rdi, %r12
  vmrun
  mov %rbx, walk_guest_rbx(%rip)
  mov 0x70(%r12), %rax          # EXITCODE
  RESTORE_CALLEE64
  ret

  .data
  .balign 8
walk_guest_rbx: .quad 0
  .bss
  .balign 16
walk_guest_stack: .space 4096
walk_guest_stack_top:

  .include "runtime64.inc"
  .include "runtime32.inc"
