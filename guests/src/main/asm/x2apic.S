# x2apic: the local APIC in x2APIC mode (Intel SDM Vol. 3A 11.12), 32-bit protected mode, then 64-bit.
#   - CPUID.1:ECX.x2APIC[21]; IA32_APIC_BASE.EXTD switches xAPIC -> x2APIC (11.12.5)
#   - x2APIC ID (MSR 0x802), version (0x803), LDR derived from the ID (0x80D, 11.12.10.2); the xAPIC
#     page no longer answers (11.12.1: reads all ones)
#   - SELF IPI (MSR 0x83F, 11.12.11): IRR (MSR 0x822) while IF = 0, taken after STI, EOI through 0x80B
#   - timer one-shot through MSRs 0x832/0x838/0x83E woken from HLT; current count (0x839) 0 after expiry
#   - with several CPUs: INIT, STARTUP, STARTUP through the 64-bit ICR (0x830); every AP enters x2APIC mode
#     and reads its own x2APIC ID; a fixed IPI to each AP by 32-bit physical ID, answered by an IPI to the
#     BSP; a logical (cluster 0) IPI to every AP (11.12.9, 11.12.10.2)
#   - 64-bit: #GP(0) for RDMSR of EOI and SELF IPI, WRMSR of the ID, DFR (0x80E, no such MSR), a set
#     reserved TPR bit, a non-zero EOI, x2APIC -> xAPIC directly (11.12.5); x2APIC -> disabled -> xAPIC
#     works, and x2APIC MSRs fault again outside x2APIC mode
  .include "hvsim.inc"
  .include "platform32.inc"

.set TRAMPOLINE, 0x8000
.set SPIN_LIMIT, 2000000
.set X2_ID, 0x802
.set X2_VERSION, 0x803
.set X2_TPR, 0x808
.set X2_EOI, 0x80b
.set X2_LDR, 0x80d
.set X2_DFR, 0x80e
.set X2_SVR, 0x80f
.set X2_IRR, 0x820
.set X2_ICR, 0x830
.set X2_LVT_TIMER, 0x832
.set X2_TIMER_INIT, 0x838
.set X2_TIMER_CUR, 0x839
.set X2_TIMER_DIV, 0x83e
.set X2_SELF_IPI, 0x83f

# X2_WR msr, lo, hi: WRMSR with EDX:EAX = hi:lo (clobbers EAX, ECX, EDX)
.macro X2_WR msr, lo, hi=$0
  mov $\msr, %ecx
  mov \lo, %eax
  mov \hi, %edx
  wrmsr
.endm
# X2_RD msr: EDX:EAX = MSR (clobbers ECX)
.macro X2_RD msr
  mov $\msr, %ecx
  rdmsr
.endm

  .text
  .code32
main32:
  call idt256_init
  PUTS32 "INFO x2apic: local APIC in x2APIC mode\n"
  CPUID32_BT 1, 0, ecx, 21
  setc %al
  movzx %al, %eax
  CHECK32 "cpuid.1:ecx.x2apic", %eax, $1
  APIC_WR APIC_SVR, $0x1ff              # software enable (xAPIC); kept across the switch
  mov $MSR_APIC_BASE, %ecx
  rdmsr
  or $0x400, %eax                       # EXTD
  wrmsr
  movb $1, x2apic_eoi
  mov $MSR_APIC_BASE, %ecx
  rdmsr
  CHECK32 "apic_base msr (EN, EXTD, BSP)", %eax, $0xfee00d00
  X2_RD X2_ID
  CHECK32 "x2apic id (BSP)", %eax, $0
  X2_RD X2_VERSION
  CHECK32 "x2apic version", %eax, $0x00050014
  X2_RD X2_LDR
  CHECK32 "x2apic ldr (cluster 0, bit 0)", %eax, $1
  X2_RD X2_SVR
  CHECK32 "svr kept across the switch", %eax, $0x1ff
  APIC_RD APIC_VERSION, %eax
  CHECK32 "xapic page does not answer", %eax, $0xffffffff

  # ---- SELF IPI ------------------------------------------------------------------------------------
  X2_WR X2_SELF_IPI, $0x50
  X2_RD X2_IRR + 2                      # vectors 0x40..0x5f
  and $0x10000, %eax
  CHECK32 "self ipi pending in irr while IF=0", %eax, $0x10000
  sti
  nop
  cli
  CHECK32 "self ipi taken after sti", irq_count+0x50*4, $1
  X2_RD X2_IRR + 2
  CHECK32 "irr clear after delivery", %eax, $0
  X2_WR X2_TPR, $0x50
  X2_WR X2_SELF_IPI, $0x50
  sti
  nop
  cli
  CHECK32 "tpr (msr 0x808) blocks vector 0x50", irq_count+0x50*4, $1
  X2_WR X2_TPR, $0
  sti
  nop
  cli
  CHECK32 "tpr 0 lets vector 0x50 in", irq_count+0x50*4, $2

  # ---- timer, one-shot, woken from HLT -------------------------------------------------------------
  X2_WR X2_TIMER_DIV, $0xb
  X2_WR X2_LVT_TIMER, $0x40
  X2_WR X2_TIMER_INIT, $200000
  sti
  hlt
  cli
  CHECK32 "one-shot timer woke hlt", irq_count+0x40*4, $1
  X2_RD X2_TIMER_CUR
  CHECK32 "current count 0 after expiry", %eax, $0
  X2_WR X2_LVT_TIMER, $0x10000

  # ---- IPIs to the other CPUs ----------------------------------------------------------------------
  mov $0x05, %ax
  call fwcfg_select
  call fwcfg_read32
  and $0xffff, %eax
  mov %eax, ncpus
  dec %eax
  mov %eax, naps
  jnz 1f
  SKIP32 "ipis to other cpus", "one CPU"
  jmp enter_long_mode
1:
  movl $x2_irq_hook, irq_hook
  mov $ap_tramp, %esi
  mov $TRAMPOLINE, %edi
  mov $(ap_tramp_end - ap_tramp), %ecx
  rep movsb
  X2_WR X2_ICR, $0x000c4500             # INIT, all excluding self
  call delay
  X2_WR X2_ICR, $0x000c4600 + (TRAMPOLINE >> 12)
  call delay
  X2_WR X2_ICR, $0x000c4600 + (TRAMPOLINE >> 12)
  mov $ap_started, %esi
  mov naps, %eax
  call wait_for
  CHECK32 "every AP started through the x2APIC ICR", ap_started, naps
  mov naps, %ecx
  mov $2, %eax
  shl %cl, %eax
  sub $2, %eax
  CHECK32 "AP x2APIC IDs 1..N-1 (msr 0x802)", ap_ids, %eax

  sti
  mov $1, %ebx
2:
  cmp ncpus, %ebx
  jae 3f
  X2_WR X2_ICR, $0x00004070, %ebx       # fixed, physical, destination = x2APIC ID in ICR[63:32]
  mov $irq_count+0x72*4, %esi
  mov %ebx, %eax
  call wait_for
  inc %ebx
  jmp 2b
3:
  CHECK32 "ipi by 32-bit id: received", irq_count+0x70*4, naps
  CHECK32 "ipi by 32-bit id: replies to the BSP", irq_count+0x72*4, naps
  mov naps, %ecx                        # cluster 0, bits 1..N-1: every AP
  mov $2, %ebx
  shl %cl, %ebx
  sub $2, %ebx
  X2_WR X2_ICR, $0x00004871, %ebx       # fixed, logical
  mov $irq_count+0x71*4, %esi
  mov naps, %eax
  call wait_for
  cli
  CHECK32 "logical cluster ipi reaches every AP", irq_count+0x71*4, naps
  jmp enter_long_mode

  .include "mpwait32.inc"

# Interrupt context, any CPU: answer 0x70 with 0x72 to the BSP (x2APIC ID 0).
x2_irq_hook:
  cmp $0x70, %ebx
  jne 1f
  X2_WR X2_ICR, $0x00004072, $0
1:
  ret

# The AP's 32-bit entry: flat segments, the shared IDT, then x2APIC mode and its x2APIC ID.
ap_entry32:
  mov $SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov $MSR_APIC_BASE, %ecx
  rdmsr
  or $0x400, %eax
  wrmsr
  X2_RD X2_ID
  mov %eax, %ebx
  mov %eax, %esp
  inc %esp
  shl $12, %esp
  add $ap_stacks, %esp
  lidt idt256_desc
  X2_WR X2_SVR, $0x1ff
  lock bts %ebx, ap_ids
  lock incl ap_started
1:
  sti
  hlt
  jmp 1b

  AP_TRAMPOLINE

  # ---- #GP(0) rules and IA32_APIC_BASE transitions (64-bit, with exception records) -----------------
  .code64
main64:
  mov $X2_EOI, %ecx
  EXPECT_FAULT "rdmsr eoi (write-only): #GP(0)", VEC_GP, 0, rdmsr
  mov $X2_SELF_IPI, %ecx
  EXPECT_FAULT "rdmsr self ipi (write-only): #GP(0)", VEC_GP, 0, rdmsr
  mov $X2_ID, %ecx
  xor %eax, %eax
  xor %edx, %edx
  EXPECT_FAULT "wrmsr x2apic id (read-only): #GP(0)", VEC_GP, 0, wrmsr
  mov $X2_DFR, %ecx
  EXPECT_FAULT "rdmsr 0x80e (no DFR in x2APIC mode): #GP(0)", VEC_GP, 0, rdmsr
  mov $X2_TPR, %ecx
  mov $0x100, %eax
  xor %edx, %edx
  EXPECT_FAULT "wrmsr tpr reserved bit 8: #GP(0)", VEC_GP, 0, wrmsr
  mov $X2_EOI, %ecx
  mov $1, %eax
  EXPECT_FAULT "wrmsr eoi non-zero: #GP(0)", VEC_GP, 0, wrmsr
  mov $MSR_APIC_BASE, %ecx
  mov $0xfee00900, %eax
  xor %edx, %edx
  EXPECT_FAULT "apic_base x2APIC -> xAPIC: #GP(0)", VEC_GP, 0, wrmsr
  mov $MSR_APIC_BASE, %ecx
  mov $0xfee00100, %eax                 # x2APIC -> disabled
  wrmsr
  mov $0xfee00900, %eax                 # disabled -> xAPIC
  wrmsr
  rdmsr
  mov $0xfee00900, %ebx
  CHECK64 "x2APIC -> disabled -> xAPIC", %rax, %rbx
  mov $X2_VERSION, %ecx
  EXPECT_FAULT "rdmsr x2apic version in xAPIC mode: #GP(0)", VEC_GP, 0, rdmsr
  FINISH64

  .data
  .balign 4
ncpus: .long 0
naps: .long 0
ap_started: .long 0
ap_ids: .long 0
  .bss
  .balign 4096
ap_stacks: .space 64 * 4096

  .include "runtime64.inc"
  .include "runtime32.inc"
