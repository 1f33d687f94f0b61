# doublefault: when a second exception during delivery becomes #DF, and when it does not.
# The #DF gate uses IST1; the handler (runtime64.inc) resumes at df_resume and the test checks
# vector 8, error code 0, the IST1 frame and, where it is defined, CR2.
#   1. benign then contributory: #UD whose gate is not present -> #NP((6<<3)|2|EXT), no #DF. EXT (bit 0)
#      is 1: the #NP occurred while delivering an earlier exception (SDM Vol. 3A 6.13, error code).
#   2. contributory then contributory: #GP (MOV DS, system descriptor) whose gate is not present
#      -> #NP during #GP delivery -> #DF(0).
#   3. page fault then contributory: #PF whose gate is not present -> #NP -> #DF(0).
#   4. page fault then page fault: a #PF at CPL0 whose frame push hits an unmapped stack -> #PF
#      during #PF delivery -> #DF(0) on IST1, CR2 = a stack address of the failed frame push.
# The saved CS:RIP of #DF are undefined (SDM), so they are not checked.
# SDM references: Vol. 3A 6.15 (interrupt 8 - double fault: table 6-4 exception classes, table 6-5
# conditions for generating a double fault; error code 0; IST), 6.14.5 (IST), 6.15 interrupt 11
# (#NP for a not-present IDT gate, error code with IDT bit), 6.13 (error code format).
  .include "hvsim.inc"

# CHECK_DF_RESUMED what: after a resume at df_resume, df_resume must have been consumed.
.macro CHECK_DF_RESUMED what
  CHECK64 "\what: #DF handler resumed through df_resume", df_resume(%rip), $0
.endm

.set SEL_SYSDESC, SEL_SPARE0 + 0x18   # an all-zero descriptor: MOV DS with it is #GP(0x78)
.set UNMAPPED, 0x40000000             # PDPT entry 1 of the identity map is not present

  .text
  .code32
main32:
  jmp enter_long_mode

  .code64
main64:
  PUTS64 "doublefault: #DF generation (contributory/page-fault classes)\n"
  mov $VEC_DF, %edi             # #DF on IST1
  mov $GATE_INT, %esi
  mov $1, %edx
  call idt64_set_gate

  # ---- 1. #UD (benign) -> #NP (contributory): handled serially, no #DF ----
  mov $VEC_UD, %edi
  mov $GATE_ABSENT, %esi
  xor %edx, %edx
  call idt64_set_gate
  lea 1f(%rip), %rax
  mov %rax, df_resume(%rip)
  EXPECT_FAULT "#UD with not-present gate: #NP((6<<3)|2|EXT), not #DF", VEC_NP, (6<<3)|3, ud2
1:
  movq $0, df_resume(%rip)
  CHECK64 "#UD with not-present gate: last exception is #NP", last_vec(%rip), $VEC_NP
  mov $VEC_UD, %edi
  mov $GATE_INT, %esi
  xor %edx, %edx
  call idt64_set_gate

  # ---- 2. #GP -> #NP (both contributory): #DF ----
  mov $VEC_GP, %edi
  mov $GATE_ABSENT, %esi
  xor %edx, %edx
  call idt64_set_gate
  mov exception_count(%rip), %r13
  lea 1f(%rip), %rax
  mov %rax, df_resume(%rip)
  mov $SEL_SYSDESC, %eax
  mov %ax, %ds
  FAIL64 "#GP with not-present gate: no exception"
1:
  CHECK_DF_RESUMED "#GP -> #NP"
  CHECK64 "#GP -> #NP: #DF", last_vec(%rip), $VEC_DF
  CHECK64 "#GP -> #NP: #DF error code 0", last_err(%rip), $0
  lea ist1_top-40(%rip), %rax
  CHECK64 "#GP -> #NP: #DF frame on IST1", last_frame(%rip), %rax
  sub exception_count(%rip), %r13
  neg %r13
  CHECK64 "#GP -> #NP: one exception delivered (#DF only)", %r13, $1
  mov $VEC_GP, %edi
  mov $GATE_INT, %esi
  xor %edx, %edx
  call idt64_set_gate
  mov $SEL_DATA, %eax
  mov %eax, %ds

  # ---- 3. #PF -> #NP (page fault, then contributory): #DF ----
  mov $VEC_PF, %edi
  mov $GATE_ABSENT, %esi
  xor %edx, %edx
  call idt64_set_gate
  lea 1f(%rip), %rax
  mov %rax, df_resume(%rip)
  mov UNMAPPED+0x100, %rax
  FAIL64 "#PF with not-present gate: no exception"
1:
  CHECK_DF_RESUMED "#PF -> #NP"
  CHECK64 "#PF -> #NP: #DF", last_vec(%rip), $VEC_DF
  CHECK64 "#PF -> #NP: #DF error code 0", last_err(%rip), $0
  mov $UNMAPPED+0x100, %eax
  CHECK64 "#PF -> #NP: CR2 = address of the first #PF", last_cr2(%rip), %rax
  mov $VEC_PF, %edi
  mov $GATE_INT, %esi
  xor %edx, %edx
  call idt64_set_gate

  # ---- 4. #PF -> #PF (unmapped stack): #DF on IST1 ----
  mov %rsp, %r12
  lea 1f(%rip), %rax
  mov %rax, df_resume(%rip)
  mov $UNMAPPED+0x2000, %esp    # frame pushes for the #PF go to UNMAPPED+0x1ff8 and below
  mov UNMAPPED+0x200, %rax
  mov %r12, %rsp
  FAIL64 "#PF on an unmapped stack: no exception"
1:
  mov %r12, %rsp
  CHECK_DF_RESUMED "#PF -> #PF"
  CHECK64 "#PF -> #PF: #DF", last_vec(%rip), $VEC_DF
  CHECK64 "#PF -> #PF: #DF error code 0", last_err(%rip), $0
  lea ist1_top-40(%rip), %rax
  CHECK64 "#PF -> #PF: #DF frame on IST1", last_frame(%rip), %rax
  # The order of the frame stores is not architectural: CR2 must lie in the 48-byte frame below
  # UNMAPPED+0x2000 (QEMU reports the first push, UNMAPPED+0x1ff8).
  PUTS64 "INFO #PF -> #PF: CR2="
  PUTHEX64 last_cr2(%rip)
  PUTS64 "\n"
  mov last_cr2(%rip), %rax
  sub $UNMAPPED+0x2000-48, %rax
  cmp $40, %rax
  setbe %al
  movzbl %al, %eax
  CHECK64 "#PF -> #PF: CR2 in the frame being pushed (UNMAPPED+0x1fd0..0x1ff8)", %rax, $1
  FINISH64

  .include "runtime64.inc"
  .include "runtime32.inc"
