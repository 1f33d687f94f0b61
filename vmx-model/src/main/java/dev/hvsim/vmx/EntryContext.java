package dev.hvsim.vmx;

import dev.hvsim.vmcs.msr.VmxCapabilities;

/**
 * What VM entry's checks need besides the VMCS: the capabilities, the processor state in force when
 * VMLAUNCH/VMRESUME executes (IA32_EFER.LMA decides the address-space-size checks, SDM Vol. 3C 28.2.4), the
 * physical- and linear-address widths, physical memory (PDPTEs, MSR-load area) and a WRMSR probe.
 *
 * @param caps         the VMX capabilities the checks use
 * @param processorLma IA32_EFER.LMA of the processor at VM entry
 * @param physAddrBits MAXPHYADDR
 * @param linearBits   linear-address width (48 or 57) for canonical checks
 * @param memory       physical memory reads
 * @param msrProbe     whether WRMSR of a value would #GP (28.4)
 * @param currentVmcs  the current-VMCS pointer at VM entry (the VMCS link pointer must differ from it), or -1 when
 *                     the checks run on a VMCS outside memory (check-vmcs)
 */
public record EntryContext(VmxCapabilities caps, boolean processorLma, int physAddrBits, int linearBits,
        Memory memory, MsrProbe msrProbe, long currentVmcs) {

    /** A context without a current-VMCS pointer (a VMCS checked outside a CPU's memory). */
    public EntryContext(VmxCapabilities caps, boolean processorLma, int physAddrBits, int linearBits, Memory memory,
            MsrProbe msrProbe) {
        this(caps, processorLma, physAddrBits, linearBits, memory, msrProbe, -1L);
    }

    /** Physical memory as the checks read it. */
    @FunctionalInterface
    public interface Memory {
        long read(long pa, int size);
    }

    /** WRMSR at CPL 0 of {@code value} to {@code index} would raise #GP. */
    @FunctionalInterface
    public interface MsrProbe {
        boolean wouldFault(long index, long value);
    }
}
