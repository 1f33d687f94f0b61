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
     * Nested virtualization: an exit of the guest hypervisor's guest (L2) that the guest hypervisor (L1) asked for was
     * given to L1 as its own VM exit (or an L1 VM entry failed with a VM-entry failure exit to L1).
     */
    REFLECTED,
    /** The VMM stopped the guest (exit hypercall, shutdown, an exit it cannot handle). */
    STOPPED;

    /** The lower-case name of traces ({@code "emulated"}). */
    public String traceName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
