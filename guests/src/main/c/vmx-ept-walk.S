# vmx-ept-walk: the page-walk benchmark under EPT of vmx-ept-walk.c; the guest is walk-guest.inc. The only
# exit expected is the guest's final VMCALL; vmx_walk_exit (HOST_RIP) passes it to vmx_walk_done (C) and
# returns from vmx_walk_launch with its value.
  .include "hvsim.inc"

  .include "cmain.inc"

  .macro WALK_HYPERCALL
  vmcall
  .endm
  .include "../c/walk-guest.inc"

  .globl vmx_walk_launch, vmx_walk_exit, walk_guest_stack_top, walk_exit_stack_top

# long vmx_walk_launch(void): VMLAUNCH; returns vmx_walk_done's value, or -1 if VMLAUNCH failed.
vmx_walk_launch:
  SAVE_CALLEE64
  mov %rsp, walk_saved_rsp(%rip)
  vmlaunch
  mov $-1, %rax
  jmp walk_return

vmx_walk_exit:                  # HOST_RIP
  mov $0x4402, %r8d             # VM_EXIT_REASON
  vmread %r8, %rdi
  mov %rax, %rsi                # guest RAX, RBX
  mov %rbx, %rdx
  call vmx_walk_done
walk_return:
  mov walk_saved_rsp(%rip), %rsp
  RESTORE_CALLEE64
  ret

  .data
  .balign 8
walk_saved_rsp: .quad 0
  .bss
  .balign 16
walk_guest_stack: .space 4096
walk_guest_stack_top:
walk_exit_stack: .space 8192
walk_exit_stack_top:

  .include "runtime64.inc"
  .include "runtime32.inc"
