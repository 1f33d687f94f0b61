# privilege: privileged instructions at CPL3 in 64-bit mode. The guest enters CPL3 with IRETQ
# (CS=SEL_UCODE64|3, SS=SEL_UDATA|3, RFLAGS.IOPL=0) and executes each instruction below; each must
# raise #GP(0), and the handler resumes at CPL3 after the instruction (EXPECT_FAULT records):
#   HLT, CLI, STI (IOPL=0), LGDT, LIDT, LLDT, LTR, MOV from/to CR0, CR3, CR4, CR8, MOV from/to DR7,
#   RDMSR, WRMSR, INVLPG, WBINVD, INVD, CLTS, LMSW, SWAPGS, SYSRET, IN/OUT/INS/OUTS to ports the
#   TSS I/O bitmap denies (IOPL=0 < CPL), a 16-bit OUT that is only half permitted, RDPMC with
#   CR4.PCE=0, RDTSC with CR4.TSD=1, and with CR4.UMIP=1 (when CPUID advertises UMIP) SGDT, SIDT,
#   SLDT, STR, SMSW.
# It also checks that CPL3 runs with CS.RPL=3, that POPF at CPL3 with IOPL=0 leaves IF unchanged,
# and that an OUT to a port the TSS I/O bitmap permits (COM1 data, 0x3f8) works at CPL3: the
# user code prints its own PASS line through it.
# Registers that a wrongly executed instruction would consume hold harmless values (the current
# CR0/CR3/CR4/EFER, the current GDT/IDT descriptors).
# SDM references: Vol. 3A 5.9 (privileged instructions), 5.8.7 and Vol. 2B SYSCALL/SYSRET,
# Vol. 1 19.5 (I/O privilege level) and 19.5.2 (I/O permission bit map), Vol. 3A 7.7 (64-bit TSS,
# I/O map base), 2.5 (CR4.TSD, PCE, UMIP), Vol. 2B RDPMC, RDTSC, SWAPGS, POPF; 6.15 (interrupt 13).
  .include "hvsim.inc"

  .text
  .code32
main32:
  jmp enter_long_mode

  .code64
main64:
  PUTS64 "privilege: privileged instructions at CPL3\n"
  # Values a wrongly executed instruction would use.
  mov %cr0, %rax
  mov %rax, u_cr0(%rip)
  mov %cr3, %rax
  mov %rax, u_cr3(%rip)
  mov %cr4, %rax
  or $CR4_TSD, %rax
  and $~CR4_PCE, %rax
  mov %rax, u_cr4(%rip)
  mov %rax, %cr4                # RDTSC faults at CPL>0, RDPMC too
  mov $MSR_EFER, %ecx
  rdmsr
  mov %eax, u_efer(%rip)
  mov %edx, u_efer+4(%rip)
  sgdt u_gdt_desc(%rip)
  sidt u_idt_desc(%rip)
  # The TSS I/O bitmap (runtime64.inc: all ports denied) now permits port 0x3f8 only.
  andb $~(1 << (PORT_COM1 & 7)), tss64_iomap+(PORT_COM1 >> 3)(%rip)
  CPUID64_BT 7, 0, ecx, CPUID7_ECX_UMIP
  jnc no_umip
  CR4_SET CR4_UMIP
  movb $1, u_have_umip(%rip)
  jmp umip_done
no_umip:
  lea umip_sgdt(%rip), %rdi
  call xt_skip
  lea umip_sidt(%rip), %rdi
  call xt_skip
  lea umip_sldt(%rip), %rdi
  call xt_skip
  lea umip_str(%rip), %rdi
  call xt_skip
  lea umip_smsw(%rip), %rdi
  call xt_skip
umip_done:

  lea user_main(%rip), %rdi
  lea user_stack_top(%rip), %rsi
  mov $RFLAGS_FIXED1, %edx      # IOPL=0, IF=0
  call run_user64

  movzwl u_cs(%rip), %eax
  CHECK64 "cpl3: CS=SEL_UCODE64|3", %rax, $(SEL_UCODE64 | 3)
  movzwl u_ss(%rip), %eax
  CHECK64 "cpl3: SS=SEL_UDATA|3", %rax, $(SEL_UDATA | 3)
  mov u_popf_rflags(%rip), %rax
  and $RFLAGS_IF, %eax
  CHECK64 "cpl3 POPF with IOPL=0 leaves IF=0", %rax, $0
  CHECK64 "cpl3 OUT to port permitted by the TSS I/O bitmap", u_io_done(%rip), $1
  FINISH64

# ---- CPL3 code ----------------------------------------------------------------------------------
  .section .user.text, "ax"
user_main:
  mov %cs, u_cs(%rip)
  mov %ss, u_ss(%rip)
  EXPECT_FAULT "cpl3 HLT", VEC_GP, 0, hlt
  EXPECT_FAULT "cpl3 CLI (IOPL=0)", VEC_GP, 0, cli
  EXPECT_FAULT "cpl3 STI (IOPL=0)", VEC_GP, 0, sti
  EXPECT_FAULT "cpl3 LGDT", VEC_GP, 0, lgdt u_gdt_desc(%rip)
  EXPECT_FAULT "cpl3 LIDT", VEC_GP, 0, lidt u_idt_desc(%rip)
  xor %eax, %eax
  EXPECT_FAULT "cpl3 LLDT", VEC_GP, 0, lldt %ax
  mov $SEL_TSS, %eax
  EXPECT_FAULT "cpl3 LTR", VEC_GP, 0, ltr %ax
  mov u_cr0(%rip), %rax
  EXPECT_FAULT "cpl3 MOV from CR0", VEC_GP, 0, mov %cr0, %rbx
  EXPECT_FAULT "cpl3 MOV to CR0", VEC_GP, 0, mov %rax, %cr0
  mov u_cr3(%rip), %rax
  EXPECT_FAULT "cpl3 MOV from CR3", VEC_GP, 0, mov %cr3, %rbx
  EXPECT_FAULT "cpl3 MOV to CR3", VEC_GP, 0, mov %rax, %cr3
  mov u_cr4(%rip), %rax
  EXPECT_FAULT "cpl3 MOV from CR4", VEC_GP, 0, mov %cr4, %rbx
  EXPECT_FAULT "cpl3 MOV to CR4", VEC_GP, 0, mov %rax, %cr4
  xor %eax, %eax
  EXPECT_FAULT "cpl3 MOV from CR8", VEC_GP, 0, mov %cr8, %rbx
  EXPECT_FAULT "cpl3 MOV to CR8", VEC_GP, 0, mov %rax, %cr8
  mov $0x400, %eax              # DR7 reset value
  EXPECT_FAULT "cpl3 MOV from DR7", VEC_GP, 0, mov %dr7, %rbx
  EXPECT_FAULT "cpl3 MOV to DR7", VEC_GP, 0, mov %rax, %dr7
  mov $MSR_EFER, %ecx
  EXPECT_FAULT "cpl3 RDMSR", VEC_GP, 0, rdmsr
  mov u_efer(%rip), %eax
  mov u_efer+4(%rip), %edx
  EXPECT_FAULT "cpl3 WRMSR", VEC_GP, 0, wrmsr
  EXPECT_FAULT "cpl3 INVLPG", VEC_GP, 0, invlpg u_cs(%rip)
  EXPECT_FAULT "cpl3 WBINVD", VEC_GP, 0, wbinvd
  EXPECT_FAULT "cpl3 INVD", VEC_GP, 0, invd
  EXPECT_FAULT "cpl3 CLTS", VEC_GP, 0, clts
  mov u_cr0(%rip), %rax
  EXPECT_FAULT "cpl3 LMSW", VEC_GP, 0, lmsw %ax
  EXPECT_FAULT "cpl3 SWAPGS", VEC_GP, 0, swapgs
  lea 1f(%rip), %rcx            # where a wrongly executed SYSRET would go
  mov $RFLAGS_FIXED1, %r11d
  EXPECT_FAULT "cpl3 SYSRET", VEC_GP, 0, sysretq
1:
  # I/O: IOPL=0 < CPL=3, so the TSS I/O bitmap decides (port 0x3f8 permitted, others denied).
  EXPECT_FAULT "cpl3 IN imm8 port 0x80 (denied)", VEC_GP, 0, inb $0x80, %al
  EXPECT_FAULT "cpl3 OUT imm8 port 0x80 (denied)", VEC_GP, 0, outb %al, $0x80
  mov $PORT_COM1 + 1, %edx
  EXPECT_FAULT "cpl3 IN dx port 0x3f9 (denied)", VEC_GP, 0, inb %dx, %al
  EXPECT_FAULT "cpl3 OUT dx port 0x3f9 (denied)", VEC_GP, 0, outb %al, %dx
  mov $PORT_COM1, %edx
  mov $0x2020, %eax
  EXPECT_FAULT "cpl3 16-bit OUT port 0x3f8 (0x3f9 denied)", VEC_GP, 0, outw %ax, %dx
  mov $PORT_COM1 + 1, %edx
  lea u_io_buf(%rip), %rdi
  EXPECT_FAULT "cpl3 INSB port 0x3f9 (denied)", VEC_GP, 0, insb %dx, (%rdi)
  lea u_io_buf(%rip), %rsi
  EXPECT_FAULT "cpl3 OUTSB port 0x3f9 (denied)", VEC_GP, 0, outsb (%rsi), %dx
  # Permitted: print a line through COM1 from CPL3.
  lea u_io_msg(%rip), %rsi
  mov $PORT_COM1, %edx
2:
  lodsb
  test %al, %al
  jz 3f
  outb %al, %dx
  jmp 2b
3:
  movq $1, u_io_done(%rip)
  xor %ecx, %ecx
  EXPECT_FAULT "cpl3 RDPMC with CR4.PCE=0", VEC_GP, 0, rdpmc
  EXPECT_FAULT "cpl3 RDTSC with CR4.TSD=1", VEC_GP, 0, rdtsc
  # POPF cannot change IF at CPL > IOPL (no fault in protected mode).
  pushq $(RFLAGS_FIXED1 | RFLAGS_IF)
  popfq
  pushfq
  popq u_popf_rflags(%rip)
  cmpb $0, u_have_umip(%rip)
  je 4f
umip_sgdt:
  EXPECT_FAULT "cpl3 SGDT with CR4.UMIP=1", VEC_GP, 0, sgdt u_scratch(%rip)
umip_sidt:
  EXPECT_FAULT "cpl3 SIDT with CR4.UMIP=1", VEC_GP, 0, sidt u_scratch(%rip)
umip_sldt:
  EXPECT_FAULT "cpl3 SLDT with CR4.UMIP=1", VEC_GP, 0, sldt %ax
umip_str:
  EXPECT_FAULT "cpl3 STR with CR4.UMIP=1", VEC_GP, 0, str %ax
umip_smsw:
  EXPECT_FAULT "cpl3 SMSW with CR4.UMIP=1", VEC_GP, 0, smsw %ax
4:
  syscall

  .section .user.data, "aw"
  .balign 16
u_gdt_desc: .space 16
u_idt_desc: .space 16
u_scratch:  .space 16
u_cr0: .quad 0
u_cr3: .quad 0
u_cr4: .quad 0
u_efer: .quad 0
u_cs: .quad 0
u_ss: .quad 0
u_popf_rflags: .quad 0
u_io_done: .quad 0
u_io_buf: .quad 0
u_have_umip: .byte 0
u_io_msg: .asciz "PASS cpl3 OUT to port 0x3f8 permitted by the TSS I/O bitmap (this line was written at CPL3)\n"

  .include "runtime64.inc"
  .include "runtime32.inc"
