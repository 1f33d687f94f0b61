package dev.hvsim.vmm;

/**
 * What the VMM intercepts. CPUID, VMCALL/VMMCALL, triple faults and nested-page faults always exit (CPUID and VMCALL
 * exit unconditionally on VMX, SDM Vol. 3C 26.1.2; the VMM sets the SVM intercepts to match).
 *
 * @param io         every port I/O instruction exits and goes to the machine's I/O bus (VMX unconditional I/O exiting,
 *                   SVM IOPM all ones); false: the guest reaches the devices directly
 * @param msr        every RDMSR/WRMSR exits and is emulated (VMX without MSR bitmaps, SVM MSRPM all ones); false: MSR
 *                   bitmaps let them through (on SVM EFER still exits: the VMM hides EFER.SVME)
 * @param hlt        HLT exits; the VMM skips it and puts the vCPU in the halt state until the next interrupt
 * @param mmio       accesses to device regions exit (EPT violation) and are forwarded one instruction at a time;
 *                   false: device pages are mapped through on first access
 * @param exitCycles modelled cycles charged for each exit round trip (0: the guest's timing is the bare timing)
 */
public record InterceptPolicy(boolean io, boolean msr, boolean hlt, boolean mmio, int exitCycles) {
    /** The default: trap port I/O, HLT and MMIO; MSRs through bitmaps; no cycles charged. */
    public static InterceptPolicy defaults() {
        return new InterceptPolicy(true, false, true, true, 0);
    }

    public InterceptPolicy withMsr(boolean on) {
        return new InterceptPolicy(io, on, hlt, mmio, exitCycles);
    }

    public InterceptPolicy withExitCycles(int cycles) {
        return new InterceptPolicy(io, msr, hlt, mmio, cycles);
    }
}
