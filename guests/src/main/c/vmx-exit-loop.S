# vmx-exit-loop: the VM-exit round-trip benchmark of vmx-exit-loop.c. The guest executes CPUID
# EXIT_LOOP_ITERATIONS times; each CPUID exits to vmx_bench_exit, which does what Bochs' measurement
# loop does: three VMREADs (exit reason, instruction length, guest RIP), a VMWRITE (guest RIP advanced),
# and VMRESUME, with CPUID executed in root mode on the guest's live EAX/ECX (VMX leaves the guest's
# general registers in the processor: SDM Vol. 3C 29.3, 29.5) and the exits counted in R12. Any other exit
# (the final VMCALL) goes to vmx_bench_other (C).
  .include "hvsim.inc"
  .include "hvguest.inc"

  .set EXIT_LOOP_ITERATIONS, 200000

  .include "cmain.inc"

  .globl bench_guest_stack_top, vmx_bench_launch, vmx_bench_exit, bench_exit_stack_top
  HV_BENCH_GUEST vmcall

# long vmx_bench_launch(void): VMLAUNCH; returns vmx_bench_other's nonzero value, or -1 if VMLAUNCH failed.
vmx_bench_launch:
  SAVE_CALLEE64
  mov %rsp, bench_saved_rsp(%rip)
  xor %r12d, %r12d              # CPUID exits handled
  vmlaunch
  mov $-1, %rax
  jmp bench_return

vmx_bench_exit:                 # HOST_RIP
  mov $0x4402, %r8d             # VM_EXIT_REASON
  vmread %r8, %r9
  cmp $10, %r9d                 # CPUID
  jne bench_other
  mov $0x440c, %r8d             # VM_EXIT_INSTRUCTION_LEN
  vmread %r8, %r10
  mov $0x681e, %r8d             # GUEST_RIP
  vmread %r8, %r11
  add %r10, %r11
  vmwrite %r11, %r8
  inc %r12
  cpuid
  vmresume
  mov $-2, %rax
  jmp bench_return
bench_other:
  mov %r9, %rdi                 # exit reason
  mov %rax, %rsi                # guest RAX, RBX
  mov %rbx, %rdx
  mov %r12, %rcx                # CPUID exits handled
  call vmx_bench_other
bench_return:
  mov bench_saved_rsp(%rip), %rsp
  RESTORE_CALLEE64
  ret

  .data
  .balign 8
bench_saved_rsp: .quad 0
  .bss
  .balign 16
bench_guest_stack: .space 4096
bench_guest_stack_top:
bench_exit_stack: .space 8192
bench_exit_stack_top:

  .include "runtime64.inc"
  .include "runtime32.inc"
