package dev.hvsim.vmcs.vmcb;

/**
 * One VMCB clean bit (VMCB offset 0x0C0; AMD APM Vol. 2 15.15.3): when 1, the processor may use its cached
 * copy of the fields the bit covers instead of reading them from the VMCB.
 *
 * @param bit  bit position in VMCB_CLEAN_BITS
 * @param name the table's short name ({@code I}, {@code IOPM}, {@code ASID}, {@code TPR}, {@code NP}, ...)
 */
public record VmcbCleanBit(int bit, String name) {}
