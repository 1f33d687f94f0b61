# exits: an exit-heavy loop for the Java VMM's round-trip benchmark (hvsim bench --guest exits).
# EXITS_ITERATIONS times: CPUID leaf 0, OUTB to port 0x80 (no device there: the write is ignored), and,
# when CPUID.1:ECX[31] (hypervisor present) is set, the VMM's TIME hypercall (RAX = 3): VMCALL when
# CPUID.0 says GenuineIntel, VMMCALL otherwise. Under the VMM that is three exits per iteration; bare,
# none. The output is the same bare and virtualized (it does not mention the hypervisor).
  .include "hvsim.inc"
.ifndef EXITS_ITERATIONS
.set EXITS_ITERATIONS, 20000
.endif

  .text
  .code32
main32:
  PUTS32 "exits: start\n"
  xor %esi, %esi              # hypercall kind: 0 none, 1 VMCALL, 2 VMMCALL
  mov $1, %eax
  cpuid
  bt $31, %ecx
  jnc 1f
  xor %eax, %eax
  cpuid
  mov $1, %esi
  cmp $0x756e6547, %ebx       # "Genu"
  je 1f
  mov $2, %esi
1:
  mov $EXITS_ITERATIONS, %edi
2:
  xor %eax, %eax
  cpuid
  mov $0x55, %al
  outb %al, $0x80
  cmp $1, %esi
  jne 3f
  mov $3, %eax
  vmcall
  jmp 4f
3:
  cmp $2, %esi
  jne 4f
  mov $3, %eax
  vmmcall
4:
  dec %edi
  jnz 2b
  PUTS32 "exits: done\n"
  EXIT_NOW 0

  .include "runtime32.inc"
