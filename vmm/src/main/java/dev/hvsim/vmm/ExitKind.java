package dev.hvsim.vmm;

/**
 * The vendor-neutral kind of a VM exit (issue 7 item 2): what the guest did, whichever vendor's record reported it.
 * {@link ExitKinds} maps every VMX basic exit reason and every SVM exit code to one kind; {@link #vendors()} says
 * whether a kind exists on both vendors or has no counterpart on the other one.
 */
public enum ExitKind {
    CPUID(Vendors.BOTH), IO(Vendors.BOTH), MSR_READ(Vendors.BOTH), MSR_WRITE(Vendors.BOTH), CR_ACCESS(Vendors.BOTH),
    DR_ACCESS(Vendors.BOTH), HLT(Vendors.BOTH), HYPERCALL(Vendors.BOTH), NESTED_PAGE_FAULT(Vendors.BOTH),
    EXCEPTION(Vendors.BOTH), NMI(Vendors.BOTH), EXTERNAL_INTERRUPT(Vendors.BOTH), INTERRUPT_WINDOW(Vendors.BOTH),
    SMI(Vendors.BOTH), INIT(Vendors.BOTH), TRIPLE_FAULT(Vendors.BOTH), TASK_SWITCH(Vendors.BOTH), INVD(Vendors.BOTH),
    WBINVD(Vendors.BOTH), INVLPG(Vendors.BOTH), INVPCID(Vendors.BOTH), RDPMC(Vendors.BOTH), RDTSC(Vendors.BOTH),
    RDTSCP(Vendors.BOTH), RSM(Vendors.BOTH), PAUSE(Vendors.BOTH), MONITOR(Vendors.BOTH), MWAIT(Vendors.BOTH),
    XSETBV(Vendors.BOTH), DESCRIPTOR_TABLE(Vendors.BOTH),
    /** The guest executed a virtualization instruction (VMX instructions; VMRUN, VMLOAD, STGI, ...): nesting. */
    VIRT_INSTRUCTION(Vendors.BOTH),
    /** VM entry / VMRUN failed its checks (VMX reasons 33, 34, 41 with bit 31; VMEXIT_INVALID and kin). */
    ENTRY_FAILURE(Vendors.BOTH),
    /** The APIC-virtualization exits (APIC access/write, TPR below threshold, virtual EOI; AVIC): not one to one. */
    APIC_VIRTUALIZATION(Vendors.BOTH),
    PAGE_LOG_FULL(Vendors.BOTH), BUS_LOCK(Vendors.BOTH),
    /** Intel only: start-up IPI in wait-for-SIPI (reason 4). */
    SIPI(Vendors.INTEL), NMI_WINDOW(Vendors.INTEL), MONITOR_TRAP_FLAG(Vendors.INTEL),
    EPT_MISCONFIGURATION(Vendors.INTEL), PREEMPTION_TIMER(Vendors.INTEL),
    /** Intel only: "RDRAND exiting" / "RDSEED exiting" (reasons 57, 61); SVM has no such intercept. */
    RANDOM_NUMBER(Vendors.INTEL),
    /** Intel-only exits without a neutral meaning (GETSEC, SGX, XSAVES, TDX, UMWAIT, ...). */
    INTEL_OTHER(Vendors.INTEL),
    /** AMD only: PUSHF / POPF intercepts (APM 15.9), IRET, INTn, ICEBP (INT1). */
    FLAGS_ACCESS(Vendors.AMD), IRET(Vendors.AMD), SOFTWARE_INTERRUPT(Vendors.AMD), ICEBP(Vendors.AMD),
    /** AMD-only exits without a neutral meaning: FERR_FREEZE, RDPRU, SEV-ES traps, INVLPGB, VMGEXIT, ... */
    AMD_OTHER(Vendors.AMD);

    /** On which vendors a kind exists. */
    public enum Vendors { BOTH, INTEL, AMD }

    private final Vendors vendors;

    ExitKind(Vendors v) {
        this.vendors = v;
    }

    public Vendors vendors() {
        return vendors;
    }

    /** The lower-case name used in exit traces and statistics ({@code "msr_read"}). */
    public String traceName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
