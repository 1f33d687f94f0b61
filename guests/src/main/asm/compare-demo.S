# compare-demo: a guest built to show how Intel VMX and AMD SVM exits differ (hvsim compare, issue 7 item 4).
# Under the Java VMM every step below exits; bare, none does, and the output is the same either way:
#   - CPUID leaves 0 (vendor string), 8000_0001H (extended features) and 4000_0000H (the VMM's leaf):
#     the first two return different values on the two profiles;
#   - the VMM's hypercall ABI with an unknown function (RAX = 0x7f, the VMM answers RAX = -1) through VMCALL
#     and then VMMCALL: on Intel VMCALL exits and VMMCALL is #UD, on AMD the other way round; bare both are #UD.
#     The #UD handler skips the 3-byte instruction;
#   - port I/O to port 0x80 (no device: writes ignored, reads all ones): OUTB, INB, OUTW, INL, REP OUTSB (4),
#     REP INSB (2);
#   - RDMSR and WRMSR (same value) of IA32_EFER: AMD only exits (the VMM intercepts EFER on SVM to hide
#     EFER.SVME; on Intel the MSR bitmap lets it through);
#   - two writes of CR0 that flip CR0.NE and back: Intel only exits (CR0.NE is host-owned under VMX, with a
#     read shadow; SVM has no such bit);
#   - a read and a write of guest-physical 0xE0000000, where nothing is (EPT violation on Intel, nested page
#     fault on AMD; the VMM forwards the access: reads all ones).
  .include "hvsim.inc"

  .text
  .code32
main32:
  PUTS32 "compare-demo: start\n"
  # our own #UD handler (interrupt gate, DPL 0) in runtime32's IDT
  mov $ud_handler, %eax
  mov %ax, idt32 + VEC_UD * 8
  shr $16, %eax
  mov %ax, idt32 + VEC_UD * 8 + 6
  # CPUID leaves that differ by vendor, and the VMM's own leaf
  xor %eax, %eax
  xor %ecx, %ecx
  cpuid
  mov $0x80000001, %eax
  xor %ecx, %ecx
  cpuid
  mov $0x40000000, %eax
  xor %ecx, %ecx
  cpuid
  # the hypercall instruction of each vendor (the other one is #UD)
  mov $0x7f, %eax
  vmcall
  mov $0x7f, %eax
  vmmcall
  # port I/O, with the string forms
  mov $0x80, %dx
  mov $0x55, %al
  outb %al, %dx
  inb %dx, %al
  mov $0x1234, %ax
  outw %ax, %dx
  inl %dx, %eax
  mov $io_out, %esi
  mov $4, %ecx
  rep outsb
  mov $io_in, %edi
  mov $2, %ecx
  rep insb
  # EFER: exits on AMD only
  mov $0xc0000080, %ecx
  rdmsr
  wrmsr
  # CR0.NE: exits on Intel only
  mov %cr0, %eax
  xor $0x20, %eax
  mov %eax, %cr0
  xor $0x20, %eax
  mov %eax, %cr0
  # guest-physical 0xE0000000: nothing there
  mov 0xe0000000, %eax
  movl $1, 0xe0000004
  PUTS32 "compare-demo: done\n"
  EXIT_NOW 0

# #UD (no error code): skip the 3-byte VMCALL / VMMCALL
ud_handler:
  addl $3, (%esp)
  iret

  .data
io_out: .ascii "demo"
  .bss
io_in: .space 4

  .include "runtime32.inc"
