# hello: the smallest useful guest. Prints two lines on COM1 and exits with v=0 (status 1).
# Exercises: multiboot entry, LGDT + far jump, segment loads, a stack, REP STOSD, CALL/RET,
# OUTB to the 16550 data port and OUTL to the debug-exit port, all in 32-bit protected mode.
  .include "hvsim.inc"

  .text
  .code32
main32:
  PUTS32 "Hello from an hvsim guest!\n"
  PUTS32 "EAX at entry was "
  PUTHEX32 boot_eax
  PUTS32 " (multiboot magic 0x2badb002 expected), running in 32-bit protected mode\n"
  EXIT_NOW 0

  .include "runtime32.inc"
