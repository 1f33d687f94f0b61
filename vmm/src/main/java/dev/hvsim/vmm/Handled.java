package dev.hvsim.vmm;

/** How a VM exit was handled (the {@code handled} key of an exit trace line). */
public enum Handled {
    /** The VMM did what the instruction does (CPUID, MSR, CR, hypercall) and resumed after it. */
    EMULATED,
    /** The access was forwarded to a device on the machine's I/O bus or memory bus. */
    FORWARDED,
    /** The VMM gave the guest an event (an exception such as #GP, an interrupt). */
    INJECTED,
    /** A guest-physical page was backed (lazily) in EPT / NPT and the access retried. */
    MAPPED,
    /** Nothing to do: the guest resumes and retries (e.g. after a shadow was adjusted). */
    RESUMED,
    /**
     * Nested virtualization: an exit of the L2 guest that its L1 hypervisor intercepts was given to L1 as the #VMEXIT
     * it asked for (APM Vol. 2 15.6); L1 resumes after its VMRUN.
     */
    REFLECTED,
    /** The VMM stopped the guest (exit hypercall, shutdown, an exit it cannot handle). */
    STOPPED;

    /** The lower-case name of traces ({@code "emulated"}). */
    public String traceName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
