# exceptions: exception and interrupt delivery in 64-bit mode.
#   - CPL0 without stack switch: #UD (UD2) with RSP = 8 mod 16: the frame (SS, RSP, RFLAGS, CS, RIP)
#     is pushed below RSP aligned down to 16; SS:RSP, RFLAGS, CS:RIP as they were; IRETQ restores
#     RFLAGS.
#   - #DE (DIV by 0, fault: RIP of the DIV), #BP (INT3, trap: RIP after INT3) on IST1.
#   - #GP(selector) loading DS with a system descriptor, on IST2 (error code below RIP), then
#     #GP back on IST 0;
#     #NP(selector) loading DS with a not-present data segment; #SS(0) for a non-canonical stack
#     reference (on IST2).
#   - CPL3 -> CPL0: INT 0x80 through a DPL3 gate switches to TSS.RSP0 and pushes the user SS:RSP,
#     RFLAGS, CS:RIP; INT3 through a DPL3 gate with IST1 uses IST1 even from CPL3; HLT at CPL3:
#     #GP(0) on the RSP0 stack with the error code below RIP.
#   - INT n DPL checks from CPL3: INT 0x40 through a DPL0 gate: #GP((0x40<<3)|2); INT3 and INT 3
#     through a DPL0 gate: #GP((3<<3)|2); INT 0x42 through a not-present gate: #NP((0x42<<3)|2).
# SDM references: Vol. 3A 6.12 (exception and interrupt handling, 6.12.1.1 protection of handler
# procedures / gate DPL check for INT n, INT3, INTO), 6.13 (error code: EXT, IDT, TI, index),
# 6.14.2 (64-bit mode stack frame, RSP aligned to 16), 6.14.4 (stack switching, TSS.RSP0),
# 6.14.5 (interrupt stack table), 6.15 (exception reference: interrupts 0, 3, 6, 11, 12, 13),
# 7.7 (64-bit TSS).
  .include "hvsim.inc"

.set FLAGS_TEST, RFLAGS_FIXED1 | RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF
.set SEL_SYSDESC, SEL_SPARE0 + 0x18   # 0x78: a zero descriptor (S=0, system type 0)
.set SEL_NPDATA,  SEL_SPARE0 + 0x10   # 0x70: data segment with P=0

  .text
  .code32
main32:
  jmp enter_long_mode

  .code64
main64:
  PUTS64 "exceptions: 64-bit exception and interrupt delivery\n"
  # IDT: #BP DPL3 on IST1, #GP and #SS on IST2, 0x80 DPL3, 0x40 DPL0, 0x42 DPL3 not present.
  mov $VEC_BP, %edi
  mov $GATE_INT_DPL3, %esi
  mov $1, %edx
  call idt64_set_gate
  mov $VEC_GP, %edi
  mov $GATE_INT, %esi
  mov $2, %edx
  call idt64_set_gate
  mov $VEC_SS, %edi
  mov $GATE_INT, %esi
  mov $2, %edx
  call idt64_set_gate
  mov $0x80, %edi
  mov $GATE_INT_DPL3, %esi
  xor %edx, %edx
  call idt64_set_gate
  mov $0x42, %edi
  mov $(GATE_INT_DPL3 & 0x7f), %esi
  xor %edx, %edx
  call idt64_set_gate
  # GDT: a not-present data segment at SEL_NPDATA (SEL_SYSDESC stays all zero).
  movabs $0x00cf12000000ffff, %rax          # data, DPL0, P=0
  mov %rax, gdt+SEL_NPDATA(%rip)

  # ---- CPL0, no stack switch, RSP = 8 mod 16 ----
  mov %rsp, %r12
  lea exc_stack_top-8(%rip), %rsp
  pushq $FLAGS_TEST
  popfq
ud_at_cpl0:
  EXPECT_FAULT "cpl0 #UD (UD2)", VEC_UD, 0, ud2
  pushfq
  pop %r13
  mov %r12, %rsp
  lea exc_stack_top-8-8-40(%rip), %rax      # RSP after PUSHF/POPF is top-8; aligned down: top-16
  CHECK64 "cpl0 #UD: frame at (RSP & ~15) - 40", last_frame(%rip), %rax
  lea exc_stack_top-8(%rip), %rax
  CHECK64 "cpl0 #UD: pushed RSP", last_rsp(%rip), %rax
  CHECK64 "cpl0 #UD: pushed SS", last_ss(%rip), $SEL_DATA
  CHECK64 "cpl0 #UD: pushed CS", last_cs(%rip), $SEL_CODE64
  lea ud_at_cpl0(%rip), %rax
  CHECK64 "cpl0 #UD: pushed RIP = UD2", last_rip(%rip), %rax
  CHECK64 "cpl0 #UD: pushed RFLAGS", last_rflags(%rip), $FLAGS_TEST
  CHECK64 "cpl0 #UD: RFLAGS after IRETQ", %r13, $FLAGS_TEST

  # ---- #DE, #BP (IST1) ----
  mov $1, %eax
  xor %edx, %edx
  xor %ecx, %ecx
de_at:
  EXPECT_FAULT "cpl0 #DE (DIV by zero)", VEC_DE, 0, div %ecx
  lea de_at(%rip), %rax
  CHECK64 "cpl0 #DE: pushed RIP = DIV (fault)", last_rip(%rip), %rax
  EXPECT_TRAP "cpl0 #BP (INT3)", VEC_BP, int3
bp_after:
  lea bp_after(%rip), %rax
  CHECK64 "cpl0 #BP: pushed RIP after INT3 (trap)", last_rip(%rip), %rax
  lea ist1_top-40(%rip), %rax
  CHECK64 "cpl0 #BP: frame on IST1", last_frame(%rip), %rax
  mov %rsp, %rax
  CHECK64 "cpl0 #BP: pushed RSP (no switch of the interrupted stack)", last_rsp(%rip), %rax

  # ---- segment faults with selector error codes ----
  mov $SEL_SYSDESC, %eax
  EXPECT_FAULT "cpl0 #GP(selector): MOV DS, system descriptor", VEC_GP, SEL_SYSDESC, mov %ax, %ds
  lea ist2_top-40(%rip), %rax
  CHECK64 "cpl0 #GP: frame on IST2", last_frame(%rip), %rax
  mov ist2_top-48(%rip), %rax
  CHECK64 "cpl0 #GP: error code below RIP", %rax, $SEL_SYSDESC
  mov %rsp, %r12
  movabs $0x8000000000001000, %rsp
  EXPECT_FAULT "cpl0 #SS(0): non-canonical stack reference", VEC_SS, 0, mov (%rsp), %rax
  mov %r12, %rsp
  lea ist2_top-40(%rip), %rax
  CHECK64 "cpl0 #SS: frame on IST2", last_frame(%rip), %rax
  # (#GP stays on IST2 during the #SS test: a CPU that raises #GP there must not push onto the
  # non-canonical stack.)
  mov $VEC_GP, %edi             # #GP back on the interrupted / RSP0 stack
  mov $GATE_INT, %esi
  xor %edx, %edx
  call idt64_set_gate
  mov $SEL_NPDATA, %eax
  EXPECT_FAULT "cpl0 #NP(selector): MOV DS, not-present segment", VEC_NP, SEL_NPDATA, mov %ax, %ds
  mov $SEL_DATA, %eax
  mov %eax, %ds

  # ---- CPL3 -> CPL0 through a DPL3 gate: RSP0 ----
  lea user_int80(%rip), %rdi
  call run_user
  lea kstack0_top-40(%rip), %rax
  CHECK64 "cpl3 INT 0x80: frame at TSS.RSP0 - 40", last_frame(%rip), %rax
  CHECK64 "cpl3 INT 0x80: pushed SS", last_ss(%rip), $(SEL_UDATA | 3)
  CHECK64 "cpl3 INT 0x80: pushed RSP", last_rsp(%rip), u_rsp(%rip)
  CHECK64 "cpl3 INT 0x80: pushed RFLAGS", last_rflags(%rip), $FLAGS_TEST
  CHECK64 "cpl3 INT 0x80: pushed CS", last_cs(%rip), $(SEL_UCODE64 | 3)
  lea user_int80_after(%rip), %rax
  CHECK64 "cpl3 INT 0x80: pushed RIP after INT", last_rip(%rip), %rax

  # ---- CPL3 INT3 through a DPL3 gate with IST1 ----
  lea user_int3(%rip), %rdi
  call run_user
  lea ist1_top-40(%rip), %rax
  CHECK64 "cpl3 INT3: frame on IST1 (IST beats RSP0)", last_frame(%rip), %rax
  CHECK64 "cpl3 INT3: pushed SS", last_ss(%rip), $(SEL_UDATA | 3)
  CHECK64 "cpl3 INT3: pushed RSP", last_rsp(%rip), u_rsp(%rip)

  # ---- CPL3 #GP(0) ----
  lea user_hlt(%rip), %rdi
  call run_user
  lea kstack0_top-40(%rip), %rax
  CHECK64 "cpl3 HLT #GP: frame at TSS.RSP0 - 40", last_frame(%rip), %rax
  mov kstack0_top-48(%rip), %rax
  CHECK64 "cpl3 HLT #GP: error code 0 below RIP", %rax, $0
  lea user_hlt_at(%rip), %rax
  CHECK64 "cpl3 HLT #GP: pushed RIP = HLT", last_rip(%rip), %rax

  # ---- INT n gate DPL checks from CPL3 ----
  lea user_int_dpl(%rip), %rdi
  call run_user
  mov $VEC_BP, %edi             # #BP gate DPL0 now
  mov $GATE_INT, %esi
  mov $1, %edx
  call idt64_set_gate
  lea user_int3_dpl0(%rip), %rdi
  call run_user
  FINISH64

# run_user: run RDI at CPL3 with RFLAGS = FLAGS_TEST on the user stack.
run_user:
  lea user_stack_top(%rip), %rsi
  mov $FLAGS_TEST, %edx
  jmp run_user64

# ---- CPL3 code ----------------------------------------------------------------------------------
  .section .user.text, "ax"
user_int80:
  mov %rsp, u_rsp(%rip)
  EXPECT_TRAP "cpl3 INT 0x80 through a DPL3 gate", 0x80, int $0x80
user_int80_after:
  syscall
user_int3:
  mov %rsp, u_rsp(%rip)
  EXPECT_TRAP "cpl3 INT3 through a DPL3 gate (IST1)", VEC_BP, int3
  syscall
user_hlt:
user_hlt_at:
  EXPECT_FAULT "cpl3 HLT: #GP(0)", VEC_GP, 0, hlt
  syscall
user_int_dpl:
  EXPECT_FAULT "cpl3 INT 0x40 through a DPL0 gate: #GP((0x40<<3)|2)", VEC_GP, (0x40<<3)|2, int $0x40
  EXPECT_FAULT "cpl3 INT 0x42 through a not-present gate: #NP((0x42<<3)|2)", VEC_NP, (0x42<<3)|2, int $0x42
  syscall
user_int3_dpl0:
  EXPECT_FAULT "cpl3 INT3 through a DPL0 gate: #GP((3<<3)|2)", VEC_GP, (3<<3)|2, int3
  EXPECT_FAULT "cpl3 INT 3 (CD 03) through a DPL0 gate: #GP((3<<3)|2)", VEC_GP, (3<<3)|2, .byte 0xcd, 0x03
  syscall

  .section .user.data, "aw"
  .balign 8
u_rsp: .quad 0

  .bss
  .balign 16
exc_stack: .space 4096
exc_stack_top:

  .include "runtime64.inc"
  .include "runtime32.inc"
