# smp: several CPUs (Intel SDM Vol. 3A 8.4 "Multiple-Processor (MP) Initialization", 11.6 "Issuing
# Interprocessor Interrupts"), in 32-bit protected mode. The number of CPUs comes from fw_cfg (key 0x05).
#   - INIT, STARTUP, STARTUP to all excluding self (8.4.4.1): every AP starts in real mode at vector 8
#     (0x8000, the trampoline copied there), switches to protected mode, and counts itself
#   - every AP has its own APIC ID 1..N-1
#   - fixed IPI to each AP by physical APIC ID; each AP answers with an IPI to the BSP (one AP at a time:
#     answers arriving together would merge in the BSP's IRR, 11.8.4)
#   - broadcast all-excluding-self reaches every AP once; all-including-self reaches every CPU once
#   - cross-modifying code (9.1.3): AP 1 executes a function the BSP wrote, then the BSP's rewrite of it
#   - INIT and STARTUP to a running AP restart it (8.4.3); it takes interrupts again
  .include "hvsim.inc"
  .include "platform32.inc"

.set TRAMPOLINE, 0x8000
.set XMOD_FN, 0x9000
.set SPIN_LIMIT, 2000000

  .text
  .code32
main32:
  call idt256_init
  APIC_WR APIC_SVR, $0x1ff
  movl $smp_irq_hook, irq_hook
  mov $0x05, %ax
  call fwcfg_select
  call fwcfg_read32
  and $0xffff, %eax
  mov %eax, ncpus
  PUTS32 "INFO smp: cpus="
  PUTHEX32 ncpus
  PUTS32 "\n"
  mov ncpus, %eax
  dec %eax
  mov %eax, naps
  # copy the trampoline to 0x8000
  mov $ap_tramp, %esi
  mov $TRAMPOLINE, %edi
  mov $(ap_tramp_end - ap_tramp), %ecx
  rep movsb
  # INIT, STARTUP, STARTUP to all excluding self
  APIC_WR APIC_ICR_HI, $0
  APIC_WR APIC_ICR_LO, $0x000c4500
  call delay
  APIC_WR APIC_ICR_LO, $0x000c4600 + (TRAMPOLINE >> 12)
  call delay
  APIC_WR APIC_ICR_LO, $0x000c4600 + (TRAMPOLINE >> 12)
  mov $ap_started, %esi
  mov naps, %eax
  call wait_for
  CHECK32 "every AP started (INIT, SIPI, SIPI)", ap_started, naps
  mov naps, %ecx
  mov $2, %eax
  shl %cl, %eax
  sub $2, %eax                          # bits 1..N-1
  CHECK32 "AP APIC IDs 1..N-1", ap_ids, %eax

  # fixed IPI to each AP by physical ID; each answers with vector 0x72
  sti
  mov $1, %ebx
1:
  cmp ncpus, %ebx
  jae 2f
  mov %ebx, %eax
  shl $24, %eax
  APIC_WR APIC_ICR_HI, %eax
  APIC_WR APIC_ICR_LO, $0x00004070
  mov $irq_count+0x72*4, %esi           # one at a time: replies sent together would merge in the IRR
  mov %ebx, %eax
  call wait_for
  inc %ebx
  jmp 1b
2:
  CHECK32 "ipi to each AP by id: replies", irq_count+0x72*4, naps
  CHECK32 "ipi to each AP by id: received", irq_count+0x70*4, naps
  mov $cpu_hits, %esi
  xor %eax, %eax
  mov $1, %ecx
3:
  cmp ncpus, %ecx
  jae 4f
  add (%esi,%ecx,4), %eax
  inc %ecx
  jmp 3b
4:
  CHECK32 "each AP counted its own ipi", %eax, naps

  # broadcasts
  APIC_WR APIC_ICR_LO, $0x000c4071      # all excluding self
  mov $irq_count+0x71*4, %esi
  mov naps, %eax
  call wait_for
  CHECK32 "all-excluding-self reaches every AP", irq_count+0x71*4, naps
  APIC_WR APIC_ICR_LO, $0x00084073      # all including self
  mov $irq_count+0x73*4, %esi
  mov ncpus, %eax
  call wait_for
  CHECK32 "all-including-self reaches every CPU", irq_count+0x73*4, ncpus
  cmpl $0, naps
  je 9f

  # cross-modifying code (9.1.3): AP 1 calls a function the BSP wrote, at each IPI 0x74; the BSP rewrites it
  # in between (AP 1 returns from the first handler with IRET, which serializes)
  movl $0x000001b8, XMOD_FN             # mov $1, %eax
  movw $0xc300, XMOD_FN+4               # ret
  APIC_WR APIC_ICR_HI, $(1 << 24)
  APIC_WR APIC_ICR_LO, $0x00004074
  mov $xmod_done, %esi
  mov $1, %eax
  call wait_for
  CHECK32 "AP 1 runs a function the BSP wrote", xmod_result, $1
  movb $2, XMOD_FN+1                    # mov $2, %eax
  APIC_WR APIC_ICR_LO, $0x00004074
  mov $xmod_done, %esi
  mov $2, %eax
  call wait_for
  CHECK32 "AP 1 runs the BSP's rewrite of it (cross-modifying code)", xmod_result, $2

  # INIT and STARTUP to a running AP (8.4.3, 10.4.4): AP 1 restarts at the trampoline and counts itself again
  APIC_WR APIC_ICR_HI, $(1 << 24)
  APIC_WR APIC_ICR_LO, $0x00004500
  call delay
  APIC_WR APIC_ICR_LO, $0x00004600 + (TRAMPOLINE >> 12)
  mov $ap_started, %esi
  mov naps, %eax
  inc %eax
  call wait_for
  mov naps, %eax
  inc %eax
  CHECK32 "INIT and STARTUP restart a running AP", ap_started, %eax
  APIC_WR APIC_ICR_HI, $(1 << 24)
  APIC_WR APIC_ICR_LO, $0x00004070
  mov $irq_count+0x72*4, %esi
  mov naps, %eax
  inc %eax
  call wait_for
  mov naps, %eax
  inc %eax
  CHECK32 "the restarted AP takes interrupts and sends IPIs", irq_count+0x72*4, %eax
9:
  cli
  FINISH32

  .include "mpwait32.inc"

# Runs in interrupt context on every CPU: count vectors 0x70..0x7f per CPU; answer 0x70 with 0x72 to the BSP.
smp_irq_hook:
  cmp $0x70, %ebx
  jb 1f
  cmp $0x7f, %ebx
  ja 1f
  mov APIC_BASE + APIC_ID, %eax
  shr $24, %eax
  lock incl cpu_hits(,%eax,4)
  cmp $0x74, %ebx
  jne 2f
  mov $XMOD_FN, %eax
  call *%eax
  mov %eax, xmod_result
  lock incl xmod_done
  jmp 1f
2:
  cmp $0x70, %ebx
  jne 1f
  movl $0, APIC_BASE + APIC_ICR_HI
  movl $0x00004072, APIC_BASE + APIC_ICR_LO
1:
  ret

# The AP's 32-bit entry (after the trampoline): flat segments, its own stack, the shared IDT, APIC on.
ap_entry32:
  mov $SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov APIC_BASE + APIC_ID, %eax
  shr $24, %eax
  mov %eax, %esp
  inc %esp
  shl $12, %esp
  add $ap_stacks, %esp
  lidt idt256_desc
  movl $0x1ff, APIC_BASE + APIC_SVR
  lock bts %eax, ap_ids
  lock incl ap_started
1:
  sti
  hlt
  jmp 1b

  AP_TRAMPOLINE

  .data
  .balign 4
ncpus: .long 0
naps: .long 0
ap_started: .long 0
ap_ids: .long 0
xmod_result: .long 0
xmod_done: .long 0
cpu_hits: .space 64 * 4
  .bss
  .balign 4096
ap_stacks: .space 64 * 4096

  .include "runtime32.inc"
