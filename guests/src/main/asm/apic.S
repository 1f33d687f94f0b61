# apic: the local APIC of the boot processor (Intel SDM Vol. 3A ch. 11), in 32-bit protected mode.
#   - CPUID.1:EDX.APIC, IA32_APIC_BASE (11.4.4: base 0xFEE00000, BSP, enabled), ID, version (11.4.8)
#   - TPR and PPR (11.8.3.1); in 64-bit mode CR8 is TPR[7:4] both ways (11.8.6.1)
#   - self IPIs (11.6.1, shorthand self): IRR while IF = 0, delivery after STI, ISR while in service,
#     EOI (11.8.5); a TPR at or above the vector's class blocks it (11.8.3); higher classes first (11.8.4)
#   - ESR "send illegal vector" for a fixed IPI with vector < 16 (11.5.3)
#   - NMI IPI to self (delivery mode 100b): vector 2
#   - timer (11.5.4): one-shot woken from HLT, one-shot while spinning, periodic (three interrupts),
#     current count 0 after a one-shot expired, divide configuration, TSC-deadline mode (11.5.4.1,
#     skipped without CPUID.1:ECX.TSC_DEADLINE) with IA32_TSC_DEADLINE reading 0 after it fired
  .include "hvsim.inc"
  .include "platform32.inc"

  .text
  .code32
main32:
  call idt256_init
  PUTS32 "INFO apic: local APIC of the BSP\n"
  CPUID32_BT 1, 0, edx, 9
  setc %al
  movzx %al, %eax
  CHECK32 "cpuid.1:edx.apic", %eax, $1
  mov $MSR_APIC_BASE, %ecx
  rdmsr
  CHECK32 "apic_base msr (base, BSP, EN)", %eax, $0xfee00900
  APIC_RD APIC_ID, %eax
  CHECK32 "apic id (BSP)", %eax, $0
  APIC_RD APIC_VERSION, %eax
  CHECK32 "apic version", %eax, $0x00050014
  APIC_WR APIC_SVR, $0x1ff            # software enable, spurious vector 0xff

  # ---- TPR and CR8 --------------------------------------------------------------------------------
  APIC_WR APIC_TPR, $0x30
  APIC_RD APIC_TPR, %eax
  CHECK32 "tpr reads back", %eax, $0x30
  APIC_RD APIC_PPR, %eax
  CHECK32 "ppr = tpr when nothing in service", %eax, $0x30
  APIC_WR APIC_TPR, $0

  # ---- self IPI ------------------------------------------------------------------------------------
  APIC_WR APIC_ICR_LO, $0x00044050    # self, fixed, vector 0x50
  APIC_RD APIC_IRR + 0x20, %eax       # vectors 0x40..0x5f
  and $0x10000, %eax
  CHECK32 "self ipi pending in irr while IF=0", %eax, $0x10000
  CHECK32 "self ipi not taken while IF=0", irq_count+0x50*4, $0
  sti
  nop
  cli
  CHECK32 "self ipi taken after sti", irq_count+0x50*4, $1
  APIC_RD APIC_IRR + 0x20, %eax
  CHECK32 "irr clear after delivery", %eax, $0
  APIC_RD APIC_ISR + 0x20, %eax
  CHECK32 "isr clear after eoi", %eax, $0

  # TPR blocks a vector of its own class or lower
  APIC_WR APIC_TPR, $0x50
  APIC_WR APIC_ICR_LO, $0x00044050
  sti
  nop
  nop
  cli
  CHECK32 "tpr 0x50 blocks vector 0x50", irq_count+0x50*4, $1
  APIC_RD APIC_PPR, %eax
  CHECK32 "ppr with tpr 0x50", %eax, $0x50
  APIC_WR APIC_TPR, $0x40
  sti
  nop
  cli
  CHECK32 "tpr 0x40 lets vector 0x50 in", irq_count+0x50*4, $2
  APIC_WR APIC_TPR, $0

  # higher priority class first
  movl $0, irq_log_len
  APIC_WR APIC_ICR_LO, $0x00044051
  APIC_WR APIC_ICR_LO, $0x00044091
  sti
  nop
  nop
  cli
  CHECK32 "two ipis: log length", irq_log_len, $2
  CHECK32 "two ipis: 0x91 first", irq_log, $0x91
  CHECK32 "two ipis: 0x51 second", irq_log+4, $0x51

  # in service: PPR follows ISR while the handler has not sent EOI
  movb $1, no_eoi
  APIC_WR APIC_ICR_LO, $0x00044062
  sti
  nop
  cli
  APIC_RD APIC_ISR + 0x30, %eax       # vectors 0x60..0x7f
  CHECK32 "isr bit while in service", %eax, $4
  APIC_RD APIC_PPR, %eax
  CHECK32 "ppr = isr class while in service", %eax, $0x60
  APIC_WR APIC_EOI, $0
  movb $0, no_eoi
  APIC_RD APIC_ISR + 0x30, %eax
  CHECK32 "eoi clears isr", %eax, $0

  # ---- ESR -----------------------------------------------------------------------------------------
  APIC_WR APIC_ESR, $0
  APIC_WR APIC_ICR_LO, $0x00044005    # self, fixed, vector 5: illegal
  APIC_WR APIC_ESR, $0
  APIC_RD APIC_ESR, %eax
  and $0x20, %eax
  CHECK32 "esr send illegal vector", %eax, $0x20
  APIC_WR APIC_ESR, $0
  APIC_RD APIC_ESR, %eax
  CHECK32 "esr cleared by write", %eax, $0

  # ---- NMI IPI -------------------------------------------------------------------------------------
  APIC_WR APIC_ICR_LO, $0x00044400    # self, NMI
  nop
  CHECK32 "nmi ipi to self (IF=0)", irq_count+2*4, $1

  # ---- timer: one-shot, woken from HLT ---------------------------------------------------------------
  APIC_WR APIC_TIMER_DIV, $0xb        # divide by 1
  APIC_WR APIC_LVT_TIMER, $0x40       # one-shot, vector 0x40
  rdtsc
  mov %eax, t0
  APIC_WR APIC_TIMER_INIT, $1000000
  sti
  hlt
  cli
  rdtsc
  sub t0, %eax
  mov %eax, dt
  CHECK32 "one-shot timer woke hlt", irq_count+0x40*4, $1
  cmpl $1000000, dt
  setae %al
  movzx %al, %eax
  CHECK32 "one-shot: tsc advanced >= count", %eax, $1
  PUTS32 "INFO one-shot 1000000 took tsc "
  PUTHEX32 dt
  PUTS32 "\n"
  APIC_RD APIC_TIMER_CUR, %eax
  CHECK32 "one-shot: current count 0 after expiry", %eax, $0

  # one-shot while spinning with IF = 1
  APIC_WR APIC_TIMER_INIT, $20000
  sti
  mov $1000000, %ecx
1:
  cmpl $2, irq_count+0x40*4
  je 2f
  loop 1b
2:
  cli
  CHECK32 "one-shot timer while spinning", irq_count+0x40*4, $2

  # divide configuration: divide by 16, the count runs 16 times slower
  APIC_WR APIC_TIMER_DIV, $0x3
  APIC_WR APIC_LVT_TIMER, $0x10040    # masked
  APIC_WR APIC_TIMER_INIT, $100000
  mov $100, %ecx
3:
  loop 3b
  APIC_RD APIC_TIMER_CUR, %eax
  cmp $99000, %eax                    # ~100 loop iterations are far fewer than 16 x 1000 cycles
  seta %al
  movzx %al, %eax
  CHECK32 "divide by 16: count still high", %eax, $1
  APIC_WR APIC_TIMER_INIT, $0
  APIC_WR APIC_TIMER_DIV, $0xb

  # ---- timer: periodic ----------------------------------------------------------------------------
  APIC_WR APIC_LVT_TIMER, $0x20041    # periodic, vector 0x41
  APIC_WR APIC_TIMER_INIT, $50000
  sti
4:
  hlt
  cmpl $3, irq_count+0x41*4
  jb 4b
  cli
  APIC_WR APIC_LVT_TIMER, $0x10041    # mask, then stop
  APIC_WR APIC_TIMER_INIT, $0
  CHECK32 "periodic timer: three interrupts", irq_count+0x41*4, $3

  # ---- timer: TSC deadline ---------------------------------------------------------------------------
  CPUID32_BT 1, 0, ecx, 24
  jc 5f
  SKIP32 "tsc-deadline timer", "no CPUID.1:ECX.TSC_DEADLINE"
  jmp 6f
5:
  APIC_WR APIC_LVT_TIMER, $0x40042    # TSC-deadline, vector 0x42
  rdtsc
  add $300000, %eax
  adc $0, %edx
  mov %eax, t0
  mov %edx, t0+4
  mov $MSR_TSC_DEADLINE, %ecx
  wrmsr
  rdmsr
  CHECK32 "tsc deadline msr reads back", %eax, t0
  sti
  hlt
  cli
  rdtsc
  sub t0, %eax
  sbb t0+4, %edx
  shr $31, %edx                       # 0 when TSC >= deadline
  CHECK32 "tsc-deadline timer fired at or after the deadline", %edx, $0
  CHECK32 "tsc-deadline interrupt", irq_count+0x42*4, $1
  mov $MSR_TSC_DEADLINE, %ecx
  rdmsr
  CHECK32 "tsc deadline msr 0 after firing", %eax, $0
6:
  APIC_WR APIC_LVT_TIMER, $0x10000
  jmp enter_long_mode

  # ---- CR8 is the TPR (64-bit mode only; SDM 11.8.6.1) ---------------------------------------------
  .code64
main64:
  # map the APIC page: PDPT[3] -> pd3, pd3[0x1f7] = 2 MiB page at 0xFEE00000 (P, W, PCD, PS)
  lea pd3(%rip), %rax
  or $(PTE_P + PTE_W), %rax
  mov %rax, pdpt0 + 24(%rip)
  mov $0xfee00000 + PTE_P + PTE_W + PTE_PCD + PTE_PS, %eax
  mov %rax, pd3 + 0x1f7 * 8(%rip)
  mov %cr3, %rax
  mov %rax, %cr3
  mov $APIC_BASE, %ebx
  movl $0x20, APIC_TPR(%rbx)
  mov %cr8, %rax
  CHECK64 "tpr 0x20 -> cr8", %rax, $2
  mov $3, %eax
  mov %rax, %cr8
  mov APIC_TPR(%rbx), %eax
  CHECK64 "cr8 3 -> tpr 0x30", %rax, $0x30
  mov APIC_PPR(%rbx), %eax
  CHECK64 "ppr follows cr8", %rax, $0x30
  xor %eax, %eax
  mov %rax, %cr8
  mov APIC_TPR(%rbx), %eax
  CHECK64 "cr8 0 -> tpr 0", %rax, $0
  FINISH64

  .bss
  .balign 4096
pd3: .space 4096
  .data
  .balign 8
t0: .quad 0
dt: .long 0

  .include "runtime64.inc"
  .include "runtime32.inc"
