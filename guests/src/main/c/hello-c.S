# hello-c: start-up of the C guest (hello-c.c). 32-bit multiboot entry (runtime32.inc), long mode
# with the default identity map (runtime64.inc), then c_main(); its return value is the number of
# failed checks and goes to the debug-exit port.
  .include "hvsim.inc"

  .include "cmain.inc"

  .include "runtime64.inc"
  .include "runtime32.inc"
