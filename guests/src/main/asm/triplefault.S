# triplefault: deliberately causes a triple fault (shutdown). It prints "about to triple fault",
# loads an IDT with limit 0 and executes UD2: #UD finds no gate (vector beyond the IDT limit) and
# becomes #GP, the #GP finds no gate either and becomes #DF (contributory during contributory),
# and the #DF finds no gate: triple fault, the processor enters shutdown.
# Expected end: QEMU with -no-reboot exits with status 0; hvsim ends the run with its own exit
# status 2 (shutdown). If execution continues after UD2 the guest prints FAIL and exits with v=1
# (status 3).
# SDM references: Vol. 3A 6.15 (interrupt 8, table 6-5: conditions for generating a double fault;
# "if another exception occurs while attempting to call the double-fault handler, the processor
# enters shutdown mode"), 6.10 (IDT limit checks), 6.12.1 (#GP when the vector is beyond the limit).
  .include "hvsim.inc"

  .text
  .code32
main32:
  PUTS32 "about to triple fault\n"
  lidt empty_idt_desc
  ud2
  FAIL32 "execution continued after the triple fault"
  EXIT_NOW 1

  .data
  .balign 8
  .word 0
empty_idt_desc:
  .word 0                       # limit 0: not even vector 0 fits
  .long 0

  .include "runtime32.inc"
