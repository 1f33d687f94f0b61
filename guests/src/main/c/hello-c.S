# hello-c: start-up of the C guest (hello-c.c). 32-bit multiboot entry (runtime32.inc), long mode
# with the default identity map (runtime64.inc), then c_main(); its return value is the number of
# failed checks and goes to the debug-exit port.
  .include "hvsim.inc"

  .include "cmain.inc"

# void hv_outb(unsigned short port, unsigned char v), unsigned char hv_inb(unsigned short port),
# void hv_outw(unsigned short port, unsigned short v): port I/O for the C code (SysV ABI: EDI, ESI).
  .globl hv_outb, hv_inb, hv_outw
hv_outb:
  mov %edi, %edx
  mov %esi, %eax
  outb %al, %dx
  ret
hv_outw:
  mov %edi, %edx
  mov %esi, %eax
  outw %ax, %dx
  ret
hv_inb:
  mov %edi, %edx
  xor %eax, %eax
  inb %dx, %al
  ret

  .include "runtime64.inc"
  .include "runtime32.inc"
