package dev.hvsim.svm;

import java.util.function.LongBinaryOperator;

/**
 * What the VMRUN checks need to know about the CPU beyond the VMCB: MAXPHYADDR, the EFER and CR4 bits this CPU
 * supports, physical memory (for the PAE PDPTEs) and the host's CR0 (nested paging needs host paging).
 *
 * @param maxPhysAddr physical-address width
 * @param eferAllowed EFER bits the CPU implements (others are MBZ in the guest EFER)
 * @param cr4Allowed  CR4 bits the CPU implements
 * @param memory      reads {@code size} bytes at a physical address: (pa, size) -> value
 * @param hostCr0     the CR0 of the host executing VMRUN
 */
public record VmrunContext(int maxPhysAddr, long eferAllowed, long cr4Allowed, LongBinaryOperator memory,
        long hostCr0) {
    /** True when {@code pa} is at or beyond 2^MAXPHYADDR. */
    boolean beyond(long pa) {
        return maxPhysAddr < 64 && (pa >>> maxPhysAddr) != 0;
    }
}
