# dev: AMD's Device Exclusion Vector guarding device DMA, in 32-bit protected mode (paging off, so linear =
# physical). AMD APM Vol. 2, chapter 15, "Device Exclusion Vector (DEV)"; register layout as in
# shared/reference/dev.csv and machine/DESIGN.md ("DMA and the DEV").
#   - PCI configuration mechanism #1 scan of bus 0 (every device and function): the DMA engine by its ID
#     (1234:D3A0, BAR0 registers, INTA line) and the DEV by its capability (ID 0x0F "Secure Device",
#     subtype 0) in a host bridge function's capabilities list
#   - without a DEV (the intel-core profile): say so, and show a DMA landing
#   - with a DEV: DEV_CAP through DEV_OP/DEV_DATA; a bitmap (one bit per 4 KiB page, 128 KiB for 4 GiB) as
#     domain 0's DEV_BASE, DEV_CR.DEV_EN, DEV_CR.INV_CACHE polled clear; then
#       protect a page, DMA into it: the page is unchanged, the engine reports a master abort and the PCI
#       status "received master abort", DEV_ERR_STATUS / DEV_ERR_ADDR log the write; the CPU still writes it;
#       a DMA read of it returns all ones (a second violation sets OVERFLOW); clear the log;
#       unprotect the page, DMA again: it lands;
#       a page-crossing DMA lands in the unprotected page only; with DEV_EN = 0 nothing is blocked
#   - the engine's done interrupt (INTA, level) through IOAPIC pin = its interrupt line, acknowledged in the
#     handler before EOI: one interrupt per DMA started with CMD.IRQ
#   - SKINIT (when CPUID Fn8000_0001 ECX[12] says so; APM Vol. 2 15.27.6) with EFER.SVME = 0 and the DEV disabled:
#     the secure loader block (64 KiB aligned, in the image) records the state SKINIT left (entry point, EAX, ESP,
#     EDX, EFLAGS, CR0, EFER, CS/SS, VM_CR), reloads GDT/segments/stack/IDT, shows a self IPI held by GIF = 0,
#     DEV_CR.SL_DEV_EN set, a DMA into the SLB blocked and logged while a DMA elsewhere lands, then STGI (legal
#     with EFER.SVME = 0) lets the IPI in; back outside, clearing SL_DEV_EN lets a DMA into the SLB land
  .include "hvsim.inc"
  .include "platform32.inc"

.set DEV_FN_BASE_LO, 0
.set DEV_FN_BASE_HI, 1
.set DEV_FN_CAP, 3
.set DEV_FN_CR, 4
.set DEV_FN_ERR_STATUS, 5
.set DEV_FN_ERR_ADDR_LO, 6
.set DEV_CR_EN, 1
.set DEV_CR_INV, 1 << 4
.set DMA_ID, 0xd3a01234
.set DMA_SRC, 0x08
.set DMA_DST, 0x10
.set DMA_LEN, 0x18
.set DMA_CMD, 0x1c
.set DMA_STATUS, 0x20
.set DMA_INT_STATUS, 0x24
.set DMA_VECTOR, 0x63

# DMA_COPY32 src, dst, len[, fn]: ESI = src, EDI = dst, ECX = len, call fn (dma_copy, or dma_copy_noirq)
# -> EAX = the engine's STATUS.
.macro DMA_COPY32 src, dst, len, fn=dma_copy
  mov \src, %esi
  mov \dst, %edi
  mov \len, %ecx
  call \fn
.endm
# CHECK_FILLED32 name, page, dword: check that the 1024 dwords of the page at `page` all equal `dword`.
.macro CHECK_FILLED32 name, page, dword
  mov \page, %edi
  mov \dword, %eax
  call mismatches
  CHECK32 "\name", %eax, $0
.endm

  .text
  .code32
main32:
  call idt256_init
  APIC_WR APIC_SVR, $0x1ff
  call pic_init
  movl $dma_irq, irq_hook
  call pci_scan

  # ---- the DMA engine -------------------------------------------------------------------------------
  CHECK32 "dma engine found at 00:04.0", dma_cfg, $0x80002000
  cmpl $0, dma_cfg
  jne 1f
  FINISH32
1:
  mov dma_cfg, %eax
  add $0x10, %eax
  call pci_read32
  and $0xfffffff0, %eax
  mov %eax, dma_bar
  mov dma_cfg, %eax
  add $4, %eax
  call pci_read32
  or $6, %eax                   # memory space, bus master
  mov %eax, %ecx
  mov dma_cfg, %eax
  add $4, %eax
  call pci_write32
  mov dma_cfg, %eax
  add $0x3c, %eax
  call pci_read32
  movzx %al, %ebx               # interrupt line: the IOAPIC pin (ISA IRQ n drives pin n)
  PUTS32 "INFO dma engine irq="
  PUTHEX32 %ebx
  PUTS32 "\n"
  lea 0x10(,%ebx,2), %eax       # redirection entry: level, fixed, vector DMA_VECTOR, APIC 0
  inc %eax
  mov %eax, IOAPIC_BASE
  movl $0, IOAPIC_BASE + 0x10
  dec %eax
  mov %eax, IOAPIC_BASE
  movl $0x8000 | DMA_VECTOR, IOAPIC_BASE + 0x10

  mov $0xa5a5a5a5, %eax
  mov $src_page, %edi
  mov $1024, %ecx
  rep stosl

  cmpl $0, dev_cfg
  jne with_dev

  # ---- no DEV -----------------------------------------------------------------------------------------
  PUTS32 "INFO no DEV capability on any host bridge function: device DMA is unprotected\n"
  call fill_target
  DMA_COPY32 $src_page, $target, $4096
  CHECK32 "dma status: done", %eax, $1
  CHECK_FILLED32 "dma lands without a DEV", $target, $0xa5a5a5a5
  CHECK32 "done interrupt", irq_count+DMA_VECTOR*4, $1
  FINISH32

  # ---- DEV ---------------------------------------------------------------------------------------------
with_dev:
  CHECK32 "dev capability found at 00:18.3 offset 0xf0", dev_cfg, $0x8000c3f0
  mov $DEV_FN_CAP << 8, %eax
  call dev_read
  CHECK32 "dev_cap: rev 0 / 4 domains / 4 maps", %eax, $0x00040400
  mov $DEV_FN_BASE_LO << 8, %eax
  mov $bitmap + 1, %ecx         # VALID; PROTECT 0; SIZE 0 (4 GiB)
  call dev_write
  mov $DEV_FN_BASE_HI << 8, %eax
  xor %ecx, %ecx
  call dev_write
  call dev_invalidate
  mov $DEV_FN_CR << 8, %eax
  call dev_read
  CHECK32 "dev_cr: enabled / cache invalidated", %eax, $DEV_CR_EN

  # protect the target page, DMA into it
  call fill_target
  mov $target, %eax
  call protect
  DMA_COPY32 $src_page, $target, $4096
  CHECK32 "dma into a protected page: done / master abort", %eax, $5
  CHECK_FILLED32 "protected page unchanged", $target, $0x11111111
  mov $DEV_FN_ERR_STATUS << 8, %eax
  call dev_read
  CHECK32 "dev_err_status: valid / address valid / device write to dram", %eax, $0xa000002a
  mov $DEV_FN_ERR_ADDR_LO << 8, %eax
  call dev_read
  CHECK32 "dev_err_addr: the protected page", %eax, $target
  mov dma_cfg, %eax
  add $4, %eax
  call pci_read32
  shr $16 + 13, %eax
  and $1, %eax
  CHECK32 "dma engine pci status: received master abort", %eax, $1
  movl $0x22222222, target + 8
  CHECK32 "cpu write to a protected page lands", target+8, $0x22222222
  movl $0x11111111, target + 8

  # a DMA read of the protected page
  DMA_COPY32 $target, $sink, $64
  CHECK32 "dma read of a protected page returns all ones", sink+60, $0xffffffff
  mov $DEV_FN_ERR_STATUS << 8, %eax
  call dev_read
  shr $30, %eax
  CHECK32 "second violation: valid and overflow", %eax, $3
  mov $DEV_FN_ERR_STATUS << 8, %eax
  xor %ecx, %ecx
  call dev_write
  call dev_read
  CHECK32 "dev_err_status cleared by writing 0", %eax, $0

  # unprotect, DMA again
  mov $target, %eax
  call unprotect
  DMA_COPY32 $src_page, $target, $4096
  CHECK32 "dma into the unprotected page: done", %eax, $1
  CHECK_FILLED32 "unprotected page: dma landed", $target, $0xa5a5a5a5

  # page-crossing: the second target page protected
  call fill_target
  mov $target + 4096, %eax
  call protect
  DMA_COPY32 $src_page, $target + 2048, $4096
  CHECK32 "page-crossing dma: master abort", %eax, $5
  mov $target + 2048, %edi
  mov $512, %ecx
  mov $0xa5a5a5a5, %eax
  call mismatches_n
  CHECK32 "page-crossing dma: lands in the unprotected page", %eax, $0
  CHECK_FILLED32 "page-crossing dma: protected page unchanged", $target + 4096, $0x11111111

  # DEV_EN = 0: the marked page is written
  mov $DEV_FN_CR << 8, %eax
  xor %ecx, %ecx
  call dev_write
  DMA_COPY32 $src_page, $target + 4096, $4096
  CHECK_FILLED32 "dev disabled: dma lands in a marked page", $target + 4096, $0xa5a5a5a5
  CHECK32 "one done interrupt per dma", irq_count+DMA_VECTOR*4, $5

  # ---- SKINIT and SL_DEV (APM Vol. 2 15.27.6, 15.24.8; DEV_EN is 0 here) -------------------------------
  CPUID32_BT 0x80000001, 0, ecx, 12
  jc 1f
  SKIP32 "skinit", "no SKINIT in CPUID"
  FINISH32
1:
  mov $DEV_FN_ERR_STATUS << 8, %eax
  xor %ecx, %ecx
  call dev_write
  mov $1, %eax
  cpuid
  mov %eax, cpuid1_eax
  mov $0x33333333, %eax         # the SLB page the DMA will aim at
  mov $slb + SL_DMA_OFFSET, %edi
  mov $1024, %ecx
  rep stosl
  mov %esp, saved_esp
  mov $slb + 0x1234, %eax       # bits 15:0 are not part of the SLB base
  skinit                        # EFER.SVME is 0: allowed because CPUID advertises SKINIT (15.4)
  FAIL32 "skinit returned"
  FINISH32

sl_done:                        # back from the secure loader: segments, stack and IDT reloaded, GIF = 1
  CHECK32 "skinit: entered at slb + the entry offset", sl_eip, $sl_here
  CHECK32 "skinit: eax = slb base (bits 15:0 cleared)", sl_eax, $slb
  CHECK32 "skinit: esp = slb + 64 KiB", sl_esp, $slb + 0x10000
  CHECK32 "skinit: edx = cpuid 1 eax", sl_edx, cpuid1_eax
  CHECK32 "skinit: eflags = 2", sl_eflags, $2
  CHECK32 "skinit: cr0 = cd / nw / et / pe", sl_cr0, $0x60000011
  CHECK32 "skinit: efer = 0", sl_efer, $0
  CHECK32 "skinit: cs = 0x08 / ss = 0x10", sl_sel, $0x00100008
  CHECK32 "skinit: vm_cr = dpd / r_init / dis_a20m", sl_vmcr, $7
  CHECK32 "gif = 0: a self ipi stays pending through sti", sl_irq_held, $0
  CHECK32 "dev_cr: sl_dev_en set by skinit", sl_devcr, $DEV_CR_SL_DEV_EN
  CHECK32 "dma into the slb: done / master abort", sl_dma_slb, $5
  CHECK32 "slb unchanged by the dma", sl_slb_mism, $0
  CHECK32 "dev_err_status: device write to dram", sl_err, $0xa000002a
  CHECK32 "dev_err_addr: in the slb", sl_err_addr, $slb + SL_DMA_OFFSET
  CHECK32 "dma outside the slb lands", sl_dma_out, $1
  CHECK32 "stgi with efer.svme = 0: the pending ipi is taken", irq_count+SL_IPI_VECTOR*4, $1
  # the secure loader's abort path (15.27.8): SL_DEV_EN = 0 lifts the protection
  mov $DEV_FN_CR << 8, %eax
  xor %ecx, %ecx
  call dev_write
  DMA_COPY32 $src_page, $slb + SL_DMA_OFFSET, $4096, dma_copy_noirq
  CHECK32 "sl_dev_en = 0: dma into the slb: done", %eax, $1
  CHECK_FILLED32 "sl_dev_en = 0: dma into the slb lands", $slb + SL_DMA_OFFSET, $0xa5a5a5a5
  FINISH32

# ---- the secure loader block: 64 KiB aligned; header words, then the secure loader --------------------
# SKINIT leaves flat 32-bit protected mode with CS = 8, SS = 10H (flat), DS/ES/FS/GS real-mode style (limit
# 64 KiB): until DS is reloaded, memory is reached through SS.
.set SL_DMA_OFFSET, 0x8000
.set SL_IPI_VECTOR, 0x64
.set DEV_CR_SL_DEV_EN, 1 << 5
  .balign 0x10000
slb:
  .word sl_entry - slb          # entry offset
  .word sl_end - slb            # image length
sl_entry:
  call 1f
sl_here:
1:
  pop %ss:sl_eip
  mov %eax, %ss:sl_eax
  mov %edx, %ss:sl_edx
  mov %esp, %ss:sl_esp
  pushfl
  popl %ss:sl_eflags
  mov %cr0, %eax
  mov %eax, %ss:sl_cr0
  xor %eax, %eax
  mov %ss, %ax
  shl $16, %eax
  mov %cs, %ax
  mov %eax, %ss:sl_sel
  mov $0xc0000080, %ecx
  rdmsr
  mov %eax, %ss:sl_efer
  mov $0xc0010114, %ecx
  rdmsr
  mov %eax, %ss:sl_vmcr
  lgdt %ss:gdt_desc
  ljmp $SEL_CODE32, $2f
2:
  mov $SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  mov %ax, %ss
  mov saved_esp, %esp
  lidt idt256_desc
  # GIF = 0 holds interrupts even with IF = 1
  APIC_WR APIC_ICR_LO, $0x40000 | SL_IPI_VECTOR   # fixed, edge, destination shorthand self
  sti
  nop
  nop
  cli
  mov irq_count+SL_IPI_VECTOR*4, %eax
  mov %eax, sl_irq_held
  # SL_DEV: devices cannot write the SLB; elsewhere DMA lands
  mov $DEV_FN_CR << 8, %eax
  call dev_read
  mov %eax, sl_devcr
  DMA_COPY32 $src_page, $slb + SL_DMA_OFFSET, $4096, dma_copy_noirq
  mov %eax, sl_dma_slb
  mov $slb + SL_DMA_OFFSET, %edi
  mov $0x33333333, %eax
  call mismatches
  mov %eax, sl_slb_mism
  mov $DEV_FN_ERR_STATUS << 8, %eax
  call dev_read
  mov %eax, sl_err
  mov $DEV_FN_ERR_ADDR_LO << 8, %eax
  call dev_read
  mov %eax, sl_err_addr
  call fill_target
  DMA_COPY32 $src_page, $target, $4096, dma_copy_noirq
  mov %eax, sl_dma_out
  mov $target, %edi
  mov $0xa5a5a5a5, %eax
  call mismatches
  test %eax, %eax
  jz 3f
  movl $0xbad, sl_dma_out
3:
  stgi                          # EFER.SVME = 0: allowed because CPUID advertises SKINIT (15.4)
  sti
  nop
  cli
  jmp sl_done
sl_end:
  .org slb + SL_DMA_OFFSET, 0   # fails to assemble if the loader grew into the page the DMA aims at
  .balign 0x10000, 0            # the rest of the 64 KiB belongs to the SLB

# ---- helpers -----------------------------------------------------------------------------------------
# pci_read32: EAX = configuration address -> EAX = dword. pci_write32: EAX = address, ECX = value.
pci_read32:
  push %edx
  mov $0xcf8, %dx
  outl %eax, %dx
  mov $0xcfc, %dx
  inl %dx, %eax
  pop %edx
  ret
pci_write32:
  push %edx
  mov $0xcf8, %dx
  outl %eax, %dx
  mov %ecx, %eax
  mov $0xcfc, %dx
  outl %eax, %dx
  pop %edx
  ret

# pci_scan: every function of bus 0; sets dma_cfg (its function's address) and dev_cfg (address of the DEV
# capability: function address + capability offset).
pci_scan:
  pusha
  mov $0x80000000, %ebx         # bus 0, device 0, function 0
1:
  mov %ebx, %eax
  call pci_read32
  cmp $0xffffffff, %eax
  je 4f
  cmp $DMA_ID, %eax
  jne 2f
  mov %ebx, dma_cfg
2:
  lea 4(%ebx), %eax
  call pci_read32
  bt $16 + 4, %eax              # status: capabilities list
  jnc 4f
  lea 0x34(%ebx), %eax
  call pci_read32
  movzx %al, %esi
  mov $48, %edi                 # at most 48 capabilities (a list cannot be longer in 192 bytes)
3:
  and $0xfc, %esi
  jz 4f
  lea (%ebx,%esi), %eax
  call pci_read32
  cmp $0x0f, %al                # Secure Device
  jne 5f
  mov %eax, %ecx
  shr $16, %ecx
  test $7, %cl                  # subtype 0: DEV
  jnz 5f
  lea (%ebx,%esi), %eax
  mov %eax, dev_cfg
  jmp 4f
5:
  movzx %ah, %esi
  dec %edi
  jnz 3b
4:
  add $0x100, %ebx
  cmp $0x80010000, %ebx
  jb 1b
  popa
  ret

# dev_read: EAX = DEV_OP (function << 8 | index) -> EAX = DEV_DATA. dev_write: EAX = DEV_OP, ECX = value.
dev_read:
  push %ecx
  mov %eax, %ecx
  mov dev_cfg, %eax
  add $4, %eax
  call pci_write32
  mov dev_cfg, %eax
  add $8, %eax
  call pci_read32
  pop %ecx
  ret
dev_write:
  push %eax
  push %ecx
  mov %ecx, %edx
  mov %eax, %ecx
  mov dev_cfg, %eax
  add $4, %eax
  call pci_write32
  mov %edx, %ecx
  mov dev_cfg, %eax
  add $8, %eax
  call pci_write32
  pop %ecx
  pop %eax
  ret

# dev_invalidate: DEV_CR = DEV_EN | INV_CACHE, then poll until the bridge clears INV_CACHE (bounded).
dev_invalidate:
  pusha
  mov $DEV_FN_CR << 8, %eax
  mov $DEV_CR_EN | DEV_CR_INV, %ecx
  call dev_write
  mov $100000, %ebx
1:
  mov $DEV_FN_CR << 8, %eax
  call dev_read
  test $DEV_CR_INV, %eax
  jz 2f
  dec %ebx
  jnz 1b
  FAIL32 "dev_cr.inv_cache never cleared"
2:
  popa
  ret

# PAGE_BIT32: EAX = physical address -> EAX = its byte in the bitmap, DL = its bit (ECX clobbered).
.macro PAGE_BIT32
  shr $12, %eax
  mov %eax, %ecx
  and $7, %ecx
  shr $3, %eax
  mov $1, %dl
  shl %cl, %dl
.endm
# protect / unprotect: EAX = physical address; sets / clears its page's bit (byte page / 8, bit page mod 8)
# and invalidates the DEV cache.
protect:
  pusha
  PAGE_BIT32
  or %dl, bitmap(%eax)
  call dev_invalidate
  popa
  ret
unprotect:
  pusha
  PAGE_BIT32
  not %dl
  and %dl, bitmap(%eax)
  call dev_invalidate
  popa
  ret

# dma_copy: ESI = source, EDI = destination, ECX = length: one copy with the done interrupt, which is taken
# right after (STI; NOP). EAX = the engine's STATUS.
# dma_copy_noirq: as dma_copy, without the done interrupt (the secure loader runs with GIF = 0).
.macro DMA_START cmd
  push %ebx
  mov dma_bar, %ebx
  mov %esi, DMA_SRC(%ebx)
  movl $0, DMA_SRC + 4(%ebx)
  mov %edi, DMA_DST(%ebx)
  movl $0, DMA_DST + 4(%ebx)
  mov %ecx, DMA_LEN(%ebx)
  movl $\cmd, DMA_CMD(%ebx)
  .if \cmd & 2                   # IRQ: take the done interrupt
  sti
  nop
  cli
  .endif
  mov DMA_STATUS(%ebx), %eax
  pop %ebx
  ret
.endm
dma_copy:
  DMA_START 3                   # START | IRQ
dma_copy_noirq:
  DMA_START 1                   # START

# dma_irq (irq_hook): EBX = vector; for the engine's vector, clear INT_STATUS so the level drops before EOI.
dma_irq:
  cmp $DMA_VECTOR, %ebx
  jne 1f
  mov dma_bar, %eax
  movl $1, DMA_INT_STATUS(%eax)
1:
  ret

# fill_target: both target pages = 0x11111111.
fill_target:
  pusha
  mov $0x11111111, %eax
  mov $target, %edi
  mov $2048, %ecx
  rep stosl
  popa
  ret

# mismatches: EDI = page, EAX = dword -> EAX = number of the page's 1024 dwords that differ.
# mismatches_n: the same over ECX dwords.
mismatches:
  push %ecx
  mov $1024, %ecx
  call mismatches_n
  pop %ecx
  ret
mismatches_n:
  push %ebx
  push %ecx
  push %edi
  xor %ebx, %ebx
1:
  cmp (%edi), %eax
  je 2f
  inc %ebx
2:
  add $4, %edi
  loop 1b
  mov %ebx, %eax
  pop %edi
  pop %ecx
  pop %ebx
  ret

  .data
dma_cfg: .long 0
dma_bar: .long 0
dev_cfg: .long 0
saved_esp: .long 0
cpuid1_eax: .long 0
sl_eip: .long 0
sl_eax: .long 0
sl_edx: .long 0
sl_esp: .long 0
sl_eflags: .long 0
sl_cr0: .long 0
sl_sel: .long 0
sl_efer: .long 0
sl_vmcr: .long 0
sl_irq_held: .long 0
sl_devcr: .long 0
sl_dma_slb: .long 0
sl_slb_mism: .long 0
sl_err: .long 0
sl_err_addr: .long 0
sl_dma_out: .long 0

  .bss
  .balign 4096
bitmap: .space 128 * 1024       # covers 4 GiB: one bit per 4 KiB page
src_page: .space 4096
target: .space 8192
sink: .space 4096

  .include "runtime32.inc"
