# vmx-hv: start-up, guest and VM-exit entry of the x86 VMX hypervisor (vmx-hv.c). 32-bit multiboot entry
# (runtime32.inc), long mode with the default identity map (runtime64.inc), then c_main(); its return value
# goes to the debug-exit port.
  .include "hvsim.inc"
  .include "hvguest.inc"

  .include "cmain.inc"

# u64 vmx_launch(void): VMLAUNCH the current VMCS. Returns when the exit handler asks to stop (its nonzero
# return value), or -1 if VMLAUNCH or -2 if VMRESUME fails (VMfail: the instruction falls through, 31.2).
# The guest's general registers live in the processor while it runs (VMX saves none but RSP/RIP, SDM
# Vol. 3C 29.3): vmx_exit pushes them on the hypervisor's stack (HOST_RSP) for the C handler and pops them
# before VMRESUME.
  .globl vmx_launch, vmx_exit, hv_exit_stack_top
vmx_launch:
  SAVE_CALLEE64
  mov %rsp, hv_saved_rsp(%rip)
  vmlaunch
  mov $-1, %rax
  jmp vmx_return

vmx_exit:                       # HOST_RIP; RSP = HOST_RSP = hv_exit_stack_top
  push %rax
  push %rcx
  push %rdx
  push %rbx
  push %rbp
  push %rsi
  push %rdi
  push %r8
  push %r9
  push %r10
  push %r11
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, %rdi                # struct guest_regs *
  sub $8, %rsp                  # 16-byte alignment at the call
  call vmx_handle_exit
  add $8, %rsp
  test %rax, %rax
  jnz vmx_return
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  pop %rbp
  pop %rbx
  pop %rdx
  pop %rcx
  pop %rax
  vmresume
  mov $-2, %rax
vmx_return:
  mov hv_saved_rsp(%rip), %rsp
  RESTORE_CALLEE64
  ret

  HV_GUEST vmx_guest, vmcall, 1, 5

  .data
  .balign 8
hv_saved_rsp: .quad 0
  .bss
  .balign 16
hv_exit_stack: .space 8192
hv_exit_stack_top:

  .include "runtime64.inc"
  .include "runtime32.inc"
