# modes: walks through the x86 operating modes and checks that code really runs in each.
#   32-bit protected mode -> (CR0.PE=0) real mode -> 16-bit protected mode -> 32-bit protected mode
#   -> IA-32e: 64-bit mode -> compatibility mode (32-bit code segment, EFER.LMA=1) -> 64-bit mode.
# In every mode the default operand size is measured with the raw byte 0x50 (PUSH rAX: 2, 4 or 8
# bytes); 64-bit and compatibility mode are also told apart by 0x48 (REX.W prefix vs DEC EAX) and
# by ModRM 00/101 (RIP-relative vs absolute disp32).
# SDM references: Vol. 3A 9.9 (mode switching: 9.9.1 to protected mode, 9.9.2 to real-address
# mode), 9.8.5 (initializing IA-32e mode), 2.2 (modes of operation), 3.4.5 (segment descriptors:
# D/B and L flags), Vol. 1 3.6 (operand-size and address-size attributes), Vol. 2A 2.2.1 (REX,
# RIP-relative addressing).
  .include "hvsim.inc"

.set RM_BASE, 0x7000            # the real-mode blob is copied here (CS = RM_BASE >> 4 in real mode)
.set RM_STACK, 0x6ff0

  .text
  .code32
main32:
  PUTS32 "modes: 32-bit protected mode\n"
  mov %esp, %ecx
  .byte 0x50                    # push eax
  mov %esp, %edx
  .byte 0x58                    # pop eax
  sub %edx, %ecx
  CHECK32 "pm32: PUSH width 4", %ecx, $4
  mov %cr0, %eax
  and $CR0_PE, %eax
  CHECK32 "pm32: CR0.PE=1", %eax, $CR0_PE

  # To real mode via a 16-bit protected-mode code segment (SDM Vol. 3A 9.9.2).
  mov $rm_blob, %esi
  mov $RM_BASE, %edi
  mov $(rm_blob_end - rm_blob), %ecx
  rep movsb
  mov %esp, saved_esp32
  lidt real_ivt_desc
  ljmp $SEL_CODE16, $(RM_BASE + rm_pm16_entry - rm_blob)

pm32_back:
  mov $SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov saved_esp32, %esp
  lidt idt32_desc
  PUTS32 "modes: back in 32-bit protected mode\n"
  CHECK32 "real: PUSH width 2", RM_BASE+rm_width_real-rm_blob, $2
  CHECK32 "real: CR0.PE=0", RM_BASE+rm_pe_real-rm_blob, $0
  CHECK32 "real: CS=RM_BASE>>4 (segment base = CS*16)", RM_BASE+rm_cs_real-rm_blob, $(RM_BASE >> 4)
  CHECK32 "pm16: PUSH width 2", RM_BASE+rm_width_pm16-rm_blob, $2
  CHECK32 "pm16: CR0.PE=1", RM_BASE+rm_pe_pm16-rm_blob, $1
  CHECK32 "pm16: CS=SEL_CODE16", RM_BASE+rm_cs_pm16-rm_blob, $SEL_CODE16
  mov %esp, %ecx
  .byte 0x50
  mov %esp, %edx
  .byte 0x58
  sub %edx, %ecx
  CHECK32 "pm32 again: PUSH width 4", %ecx, $4
  xor %eax, %eax
  mov %cs, %ax
  CHECK32 "pm32 again: CS=SEL_CODE32", %eax, $SEL_CODE32
  jmp enter_long_mode

  .code64
main64:
  PUTS64 "modes: 64-bit mode\n"
  call probe64
  CHECK64 "64-bit: PUSH width 8", %rcx, $8
  CHECK64 "64-bit: 0x48 is a REX.W prefix (EAX unchanged)", %rdx, $1
  lea rip_probe64_next(%rip), %rax
  CHECK64 "64-bit: ModRM 00/101 is RIP-relative", %rsi, %rax
  mov $-1, %rax
  mov $0x12345678, %eax
  mov $0x12345678, %edi
  CHECK64 "64-bit: 32-bit MOV zero-extends into RAX", %rax, %rdi
  mov $MSR_EFER, %ecx
  rdmsr
  and $(EFER_LME | EFER_LMA), %eax
  CHECK64 "64-bit: EFER.LME=LMA=1", %rax, $(EFER_LME | EFER_LMA)
  xor %eax, %eax
  mov %cs, %ax
  CHECK64 "64-bit: CS=SEL_CODE64", %rax, $SEL_CODE64
  # To compatibility mode: a far return to the 32-bit code segment (L=0, D=1) while EFER.LMA=1.
  pushq $SEL_CODE32
  pushq $compat_entry
  lretq

back64:
  PUTS64 "modes: 64-bit mode again\n"
  call probe64
  CHECK64 "64-bit again: PUSH width 8", %rcx, $8
  CHECK64 "64-bit again: 0x48 is a REX.W prefix", %rdx, $1
  xor %eax, %eax
  mov %cs, %ax
  CHECK64 "64-bit again: CS=SEL_CODE64", %rax, $SEL_CODE64
  FINISH64

# probe64: RCX = PUSH width, RDX = EAX after "mov $1,%eax; 0x48 0x90", RSI = RIP-relative LEA.
probe64:
  mov %rsp, %rcx
  .byte 0x50                    # push rax
  mov %rsp, %rdx
  .byte 0x58                    # pop rax
  sub %rdx, %rcx
  mov $1, %eax
  .byte 0x48, 0x90              # 64-bit: REX.W NOP (xchg rax,rax); 32-bit: DEC EAX, NOP
  mov %eax, %edx
  .byte 0x48, 0x8d, 0x35        # lea disp32(%rip), %rsi (64-bit) / dec eax; lea disp32, %esi (32-bit)
  .long 0
rip_probe64_next:
  ret

  .code32
compat_entry:
  # Compatibility mode: 32-bit code, so the 32-bit helpers (check32, puts32) run here as they are.
  PUTS32 "modes: compatibility mode\n"
  mov %esp, %ecx
  .byte 0x50
  mov %esp, %edx
  .byte 0x58
  sub %edx, %ecx
  CHECK32 "compat: PUSH width 4", %ecx, $4
  mov $1, %eax
  .byte 0x48, 0x90              # DEC EAX; NOP
  CHECK32 "compat: 0x48 is DEC EAX", %eax, $0
  .byte 0x8d, 0x35              # lea disp32, %esi: absolute, not RIP-relative, here
  .long 0x1234
  CHECK32 "compat: ModRM 00/101 is absolute disp32", %esi, $0x1234
  mov $MSR_EFER, %ecx
  rdmsr
  and $EFER_LMA, %eax
  CHECK32 "compat: EFER.LMA=1", %eax, $EFER_LMA
  xor %eax, %eax
  mov %cs, %ax
  CHECK32 "compat: CS=SEL_CODE32", %eax, $SEL_CODE32
  ljmp $SEL_CODE64, $back64

# ---- Real-mode blob: position independent, copied to RM_BASE ------------------------------------
  .code16
rm_blob:
rm_pm16_entry:                  # 16-bit protected mode, CS=SEL_CODE16 (base 0)
  mov $SEL_DATA16, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $RM_STACK, %esp
  mov %cr0, %eax
  and $~CR0_PE, %eax
  mov %eax, %cr0
  ljmp $(RM_BASE >> 4), $(rm_real - rm_blob)
rm_real:                        # real mode, CS=RM_BASE>>4
  mov %cs, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, rm_cs_real - rm_blob
  xor %ax, %ax
  mov %ax, %ss
  mov $RM_STACK, %sp
  mov %sp, %cx
  .byte 0x50                    # push ax
  mov %sp, %dx
  .byte 0x58                    # pop ax
  sub %dx, %cx
  mov %cx, rm_width_real - rm_blob
  smsw %ax
  and $1, %ax
  mov %ax, rm_pe_real - rm_blob
  mov $(rm_msg_real - rm_blob), %si
  call rm_puts
  # Back to protected mode, first into the 16-bit code segment (SDM Vol. 3A 9.9.1).
  mov %cr0, %eax
  or $CR0_PE, %eax
  mov %eax, %cr0
  ljmp $SEL_CODE16, $(RM_BASE + rm_pm16_back - rm_blob)
rm_pm16_back:                   # 16-bit protected mode again; DS base 0
  mov $SEL_DATA16, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $RM_STACK, %sp
  mov %sp, %cx
  .byte 0x50
  mov %sp, %dx
  .byte 0x58
  sub %dx, %cx
  mov %cx, RM_BASE + rm_width_pm16 - rm_blob
  smsw %ax
  and $1, %ax
  mov %ax, RM_BASE + rm_pe_pm16 - rm_blob
  mov %cs, %ax
  mov %ax, RM_BASE + rm_cs_pm16 - rm_blob
  mov $(RM_BASE + rm_msg_pm16 - rm_blob), %si
  call rm_puts
  ljmpl $SEL_CODE32, $pm32_back

rm_puts:                        # DS:SI, NUL-terminated
  push %ax
  push %dx
  mov $PORT_COM1, %dx
1:
  lodsb
  test %al, %al
  jz 2f
  outb %al, %dx
  jmp 1b
2:
  pop %dx
  pop %ax
  ret

  .balign 4
rm_width_real: .long 0
rm_pe_real:    .long 0
rm_cs_real:    .long 0
rm_width_pm16: .long 0
rm_pe_pm16:    .long 0
rm_cs_pm16:    .long 0
rm_msg_real:   .asciz "modes: real-address mode (printed by real-mode code)\n"
rm_msg_pm16:   .asciz "modes: 16-bit protected mode (printed by 16-bit code)\n"
rm_blob_end:

  .data
  .balign 4
saved_esp32: .long 0
  .balign 8
  .word 0
real_ivt_desc:                  # the real-mode interrupt vector table (SDM Vol. 3A 20.1.4)
  .word 0x3ff
  .long 0

  .include "runtime64.inc"
  .include "runtime32.inc"
