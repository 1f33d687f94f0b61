package dev.hvsim.vmm;

/**
 * The hypercall ABI of the Java VMM: VMCALL (Intel, SDM Vol. 3C 26.1.2: always exits in non-root operation) or
 * VMMCALL (AMD, APM Vol. 2 15.9: exits when intercepted, which the VMM does). RAX holds the function, RBX, RCX the
 * arguments; the result is returned in RAX; RIP moves past the instruction. Guest-physical addresses, not linear.
 *
 * <table>
 *   <caption>functions</caption>
 *   <tr><th>RAX</th><th>name</th><th>arguments</th><th>result</th></tr>
 *   <tr><td>1</td><td>PRINT</td><td>RBX = guest-physical address, RCX = length (at most 4096)</td>
 *       <td>0; the bytes go to the machine console (as COM1 output does). -1 if the length is too large</td></tr>
 *   <tr><td>2</td><td>EXIT</td><td>RBX = v</td><td>the run ends as if v was written to the debug-exit port 0xf4
 *       (status (v &lt;&lt; 1) | 1)</td></tr>
 *   <tr><td>3</td><td>TIME</td><td>-</td><td>modelled nanoseconds since power-on (the core clock is 1 GHz:
 *       the CPU's cycle count)</td></tr>
 *   <tr><td>other</td><td>-</td><td>-</td><td>-1 (unknown function; RAX = 0xffff_ffff_ffff_ffff)</td></tr>
 * </table>
 */
public final class Hypercalls {
    public static final long PRINT = 1, EXIT = 2, TIME = 3;
    /** CPUID.4000_0001H:EAX. */
    public static final long ABI_VERSION = 1;
    /** The most bytes PRINT takes. */
    public static final int MAX_PRINT = 4096;

    private Hypercalls() {}
}
