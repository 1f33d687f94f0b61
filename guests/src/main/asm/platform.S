# platform: the PC devices around the CPU, in 32-bit protected mode.
#   - multiboot information (Multiboot 0.6.96, 3.3): flags, mem_lower, cmdline, modules, mmap; printed as
#     INFO lines so the test can compare them with what it passed
#   - fw_cfg (QEMU docs/specs/fw_cfg.rst): signature "QEMU", key 0x05 CPUs, 0x03 RAM size, 0x11 reads 0
#   - PCI configuration mechanism #1: host bridge 8086:1237 at 00:00.0, nothing at 00:01.0
#   - CMOS/RTC: status A/D, base memory 640 KiB, century 20
#   - 8259A pair: initialisation, masking (IMR read back), an IRQ through the PIC and ExtINT (LINT0),
#     nothing while masked
#   - IOAPIC (82093AA): version, pc-testdev line 14 edge-triggered, line 15 level-triggered with remote IRR
#     set until EOI (SDM Vol. 3A 11.8.5 EOI broadcast)
#   - 8254 channel 0 in mode 2 through IOAPIC pin 2 (ISA IRQ 0), three interrupts, counter latch
  .include "hvsim.inc"
  .include "platform32.inc"

  .text
  .code32
main32:
  call idt256_init
  APIC_WR APIC_SVR, $0x1ff
  # ---- multiboot information ---------------------------------------------------------------------
  CHECK32 "multiboot eax", boot_eax, $MULTIBOOT_BOOT_EAX
  mov boot_ebx, %ebx
  mov (%ebx), %eax
  and $0x4d, %eax
  CHECK32 "mbi flags mem, cmdline, mods, mmap", %eax, $0x4d
  CHECK32 "mbi mem_lower", 4(%ebx), $640
  PUTS32 "INFO mem_upper="
  PUTHEX32 8(%ebx)
  PUTS32 "\nINFO cmdline="
  mov 16(%ebx), %esi
  call puts32
  PUTS32 "\nINFO mods_count="
  PUTHEX32 20(%ebx)
  cmpl $0, 20(%ebx)
  je 1f
  mov 24(%ebx), %edi
  PUTS32 " mod0="
  mov 8(%edi), %esi
  call puts32
  PUTS32 " size="
  mov 4(%edi), %eax
  sub (%edi), %eax
  PUTHEX32 %eax
  PUTS32 " first-word="
  mov (%edi), %eax
  PUTHEX32 (%eax)
  PUTS32 "\n"
  mov (%edi), %eax
  test $0xfff, %eax
  setz %al
  movzx %al, %eax
  CHECK32 "module page aligned", %eax, $1
1:
  PUTS32 "\nINFO mmap_length="
  PUTHEX32 44(%ebx)
  PUTS32 "\n"
  cmpl $0x100000, %ebx
  setae %al
  movzx %al, %eax
  CHECK32 "mbi above the first MiB", %eax, $1
  cmpl $__image_end, %ebx
  setae %al
  movzx %al, %eax
  CHECK32 "mbi after the kernel image", %eax, $1

  # ---- fw_cfg --------------------------------------------------------------------------------------
  mov $0, %ax
  call fwcfg_select
  call fwcfg_read32
  CHECK32 "fw_cfg signature QEMU", %eax, $0x554d4551
  mov $0x05, %ax
  call fwcfg_select
  call fwcfg_read32
  and $0xffff, %eax
  PUTS32 "INFO fw_cfg cpus="
  PUTHEX32 %eax
  PUTS32 "\n"
  mov $0x03, %ax
  call fwcfg_select
  call fwcfg_read32
  PUTS32 "INFO fw_cfg ram="
  PUTHEX32 %eax
  PUTS32 "\n"
  mov $0x11, %ax
  call fwcfg_select
  call fwcfg_read32
  CHECK32 "fw_cfg key 0x11 reads 0", %eax, $0

  # ---- PCI -----------------------------------------------------------------------------------------
  mov $0xcf8, %dx
  mov $0x80000000, %eax
  outl %eax, %dx
  mov $0xcfc, %dx
  inl %dx, %eax
  CHECK32 "pci 00:00.0 vendor/device", %eax, $0x12378086
  mov $0xcf8, %dx
  mov $0x80000008, %eax
  outl %eax, %dx
  mov $0xcfe, %dx
  inw %dx, %ax
  movzx %ax, %eax
  CHECK32 "pci 00:00.0 class host bridge", %eax, $0x0600
  mov $0xcf8, %dx
  mov $0x80000800, %eax
  outl %eax, %dx
  mov $0xcfc, %dx
  inl %dx, %eax
  CHECK32 "pci 00:01.0 absent", %eax, $0xffffffff

  # ---- CMOS ----------------------------------------------------------------------------------------
  mov $0x0a, %al
  out %al, $0x70
  in $0x71, %al
  movzx %al, %eax
  CHECK32 "cmos status a", %eax, $0x26
  mov $0x0d, %al
  out %al, $0x70
  in $0x71, %al
  movzx %al, %eax
  CHECK32 "cmos status d (valid)", %eax, $0x80
  mov $0x16, %al
  out %al, $0x70
  in $0x71, %al
  mov %al, %ah
  mov $0x15, %al
  out %al, $0x70
  in $0x71, %al
  movzx %ax, %eax
  CHECK32 "cmos base memory 640 KiB", %eax, $640
  mov $0x32, %al
  out %al, $0x70
  in $0x71, %al
  movzx %al, %eax
  CHECK32 "cmos century (bcd)", %eax, $0x20

  # ---- 8259 ------------------------------------------------------------------------------------------
  call pic_init
  in $0x21, %al
  movzx %al, %eax
  CHECK32 "pic master masked", %eax, $0xff
  in $0xa1, %al
  movzx %al, %eax
  CHECK32 "pic slave masked", %eax, $0xff
  # IRQ 14 through the PIC only (IOAPIC pins stay masked): vector 0x28 + 6
  mov $0xbf, %al                       # unmask IR6 of the slave
  out %al, $0xa1
  mov $0xfb, %al                       # unmask the cascade IR2 of the master
  out %al, $0x21
  mov $PORT_TESTDEV_IRQ + 14, %dx
  mov $1, %al
  out %al, %dx
  sti
  nop
  cli
  mov $0, %al
  out %al, %dx
  CHECK32 "irq 14 through the pic", irq_count+0x2e*4, $1
  mov $0xff, %al                       # mask everything again
  out %al, $0xa1
  out %al, $0x21
  mov $1, %al
  out %al, %dx
  sti
  nop
  cli
  mov $0, %al
  out %al, %dx
  CHECK32 "masked pic line delivers nothing", irq_count+0x2e*4, $1
  mov $0x0b, %al                       # OCW3: read ISR
  out %al, $0x20
  in $0x20, %al
  movzx %al, %eax
  CHECK32 "pic isr empty after eoi", %eax, $0

  # ---- IOAPIC ----------------------------------------------------------------------------------------
  IOAPIC_RD 1, %eax
  CHECK32 "ioapic version (24 pins)", %eax, $0x00170011
  IOAPIC_RD 0x10+2*14, %eax
  CHECK32 "ioapic pin 14 masked at reset", %eax, $0x10000
  IOAPIC_WR 0x10+2*14+1, $0      # destination APIC 0
  IOAPIC_WR 0x10+2*14, $0x60       # edge, fixed, physical, vector 0x60
  mov $PORT_TESTDEV_IRQ + 14, %dx
  mov $1, %al
  out %al, %dx
  mov $0, %al
  out %al, %dx
  sti
  nop
  cli
  CHECK32 "pc-testdev line 14 edge via ioapic", irq_count+0x60*4, $1
  IOAPIC_WR 0x10+2*14, $0x10060    # masked: an edge is lost
  mov $1, %al
  out %al, %dx
  mov $0, %al
  out %al, %dx
  IOAPIC_WR 0x10+2*14, $0x60
  sti
  nop
  cli
  CHECK32 "edge while masked is lost", irq_count+0x60*4, $1
  # level-triggered line 15, vector 0x61, handled without EOI
  IOAPIC_WR 0x10+2*15+1, $0
  IOAPIC_WR 0x10+2*15, $0x8061     # level, fixed, vector 0x61
  movb $1, no_eoi
  mov $PORT_TESTDEV_IRQ + 15, %dx
  mov $1, %al
  out %al, %dx
  sti
  nop
  cli
  CHECK32 "level line 15 via ioapic", irq_count+0x61*4, $1
  IOAPIC_RD 0x10+2*15, %eax
  and $0x4000, %eax
  CHECK32 "remote irr set until eoi", %eax, $0x4000
  APIC_RD APIC_TMR+0x30, %eax        # vectors 0x60..0x7f
  and $2, %eax
  CHECK32 "tmr bit of a level interrupt", %eax, $2
  mov $0, %al                          # lower the line, then EOI
  out %al, %dx
  APIC_WR APIC_EOI, $0
  movb $0, no_eoi
  IOAPIC_RD 0x10+2*15, %eax
  and $0x4000, %eax
  CHECK32 "eoi broadcast clears remote irr", %eax, $0
  sti
  nop
  cli
  CHECK32 "no second level interrupt after the line fell", irq_count+0x61*4, $1
  # level line still asserted at EOI: delivered again
  movb $1, no_eoi
  mov $1, %al
  out %al, %dx
  sti
  nop
  cli
  APIC_WR APIC_EOI, $0
  sti
  nop
  cli
  CHECK32 "asserted level line redelivered after eoi", irq_count+0x61*4, $3
  mov $0, %al
  out %al, %dx
  APIC_WR APIC_EOI, $0
  movb $0, no_eoi
  IOAPIC_WR 0x10+2*15, $0x10000

  # ---- 8254 channel 0 through IOAPIC pin 2 -----------------------------------------------------------
  IOAPIC_WR 0x10+2*2+1, $0
  IOAPIC_WR 0x10+2*2, $0x62        # edge, vector 0x62
  mov $0x34, %al                       # channel 0, lobyte/hibyte, mode 2
  out %al, $0x43
  mov $1193 & 0xff, %al                # 1 ms
  out %al, $0x40
  mov $1193 >> 8, %al
  out %al, $0x40
  mov $0x00, %al                       # counter latch
  out %al, $0x43
  in $0x40, %al
  mov %al, %cl
  in $0x40, %al
  mov %al, %ch
  movzx %cx, %eax
  cmp $1193, %eax
  setbe %al
  movzx %al, %eax
  CHECK32 "pit latched count <= reload", %eax, $1
  sti
2:
  hlt
  cmpl $3, irq_count+0x62*4
  jb 2b
  cli
  IOAPIC_WR 0x10+2*2, $0x10062
  CHECK32 "pit channel 0: three interrupts via ioapic pin 2", irq_count+0x62*4, $3
  FINISH32

  .include "runtime32.inc"
