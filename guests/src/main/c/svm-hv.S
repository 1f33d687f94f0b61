# svm-hv: start-up, guest and VMRUN loop of the x86 SVM hypervisor (svm-hv.c). 32-bit multiboot entry
# (runtime32.inc), long mode with the default identity map (runtime64.inc), then c_main(); its return value
# goes to the debug-exit port.
  .include "hvsim.inc"
  .include "hvguest.inc"

  .include "cmain.inc"

# long svm_run(u64 vmcb_pa): VMRUN in a loop until svm_handle_exit returns nonzero (that value is returned).
# VMRUN saves and restores only the guest's RAX and RSP (in the VMCB) and the host's RSP and RAX (in the
# host save area), APM Vol. 2 15.5; the guest's other general registers are kept in svm_gregs (laid out
# like struct guest_regs: R15 first, RAX last and unused) and loaded/stored around VMRUN. CLGI before
# VMRUN and STGI after the #VMEXIT (15.17) hold interrupts off while the world switch is half done.
  .globl svm_run, svm_gregs
svm_run:
  SAVE_CALLEE64
  mov %rdi, svm_vmcb_pa(%rip)
  sub $8, %rsp                  # 16-byte alignment at the call below
svm_loop:
  lea svm_gregs(%rip), %rax
  mov 0(%rax), %r15
  mov 8(%rax), %r14
  mov 16(%rax), %r13
  mov 24(%rax), %r12
  mov 32(%rax), %r11
  mov 40(%rax), %r10
  mov 48(%rax), %r9
  mov 56(%rax), %r8
  mov 64(%rax), %rdi
  mov 72(%rax), %rsi
  mov 80(%rax), %rbp
  mov 88(%rax), %rbx
  mov 96(%rax), %rdx
  mov 104(%rax), %rcx
  mov svm_vmcb_pa(%rip), %rax
  clgi
  vmrun
  lea svm_gregs(%rip), %rax     # #VMEXIT: host RSP and RAX reloaded, GIF = 0
  mov %r15, 0(%rax)
  mov %r14, 8(%rax)
  mov %r13, 16(%rax)
  mov %r12, 24(%rax)
  mov %r11, 32(%rax)
  mov %r10, 40(%rax)
  mov %r9, 48(%rax)
  mov %r8, 56(%rax)
  mov %rdi, 64(%rax)
  mov %rsi, 72(%rax)
  mov %rbp, 80(%rax)
  mov %rbx, 88(%rax)
  mov %rdx, 96(%rax)
  mov %rcx, 104(%rax)
  stgi
  mov %rax, %rdi
  call svm_handle_exit
  test %rax, %rax
  jz svm_loop
  add $8, %rsp
  RESTORE_CALLEE64
  ret

  HV_GUEST svm_guest, vmmcall, 0x80000001, 2

  .data
  .balign 8
svm_vmcb_pa: .quad 0
svm_gregs: .space 15 * 8

  .include "runtime64.inc"
  .include "runtime32.inc"
