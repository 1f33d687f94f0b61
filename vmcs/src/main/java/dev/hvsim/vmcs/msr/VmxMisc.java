package dev.hvsim.vmcs.msr;

/**
 * IA32_VMX_MISC (index 0x485), SDM Vol. 3C Appendix A.6. Bit positions come from
 * {@code vmx-capability-msrs.csv}.
 *
 * @param raw the MSR value
 */
public record VmxMisc(long raw) {

    private static final MsrField TIMER_RATE = f("VMX-preemption timer rate");
    private static final MsrField STORE_LMA = f("Store EFER.LMA into \"IA-32e mode guest\" on VM exit");
    private static final MsrField HLT = f("Activity state HLT supported");
    private static final MsrField SHUTDOWN = f("Activity state shutdown supported");
    private static final MsrField WAIT_SIPI = f("Activity state wait-for-SIPI supported");
    private static final MsrField PT = f("Intel PT usable in VMX operation");
    private static final MsrField SMBASE = f("RDMSR can read IA32_SMBASE in SMM");
    private static final MsrField CR3_TARGETS = f("Number of CR3-target values supported");
    private static final MsrField MSR_LIST = f("Max MSR-list size");
    private static final MsrField SMM_MONITOR_CTL_B2 = f("IA32_SMM_MONITOR_CTL bit 2 can be set");
    private static final MsrField VMWRITE_ANY = f("VMWRITE to any supported field (incl. VM-exit information)");
    private static final MsrField ZERO_LENGTH = f("Injection with instruction length 0 allowed");
    private static final MsrField MSEG = f("MSEG revision identifier");

    private static MsrField f(String name) {
        return VmxMsrCatalogue.get().field(VmxMsr.IA32_VMX_MISC, name);
    }

    /** X: the VMX-preemption timer counts down by 1 each time bit X of the TSC changes. */
    public int preemptionTimerRate() {
        return (int) TIMER_RATE.extract(raw);
    }

    /** VM exits store EFER.LMA into the "IA-32e mode guest" entry control (must be 1 with unrestricted guest). */
    public boolean storesLmaOnExit() {
        return STORE_LMA.extract(raw) != 0;
    }

    /** Activity state 1 (HLT) is supported. */
    public boolean activityHlt() {
        return HLT.extract(raw) != 0;
    }

    /** Activity state 2 (shutdown) is supported. */
    public boolean activityShutdown() {
        return SHUTDOWN.extract(raw) != 0;
    }

    /** Activity state 3 (wait-for-SIPI) is supported. */
    public boolean activityWaitForSipi() {
        return WAIT_SIPI.extract(raw) != 0;
    }

    /** Intel PT may be used in VMX operation. */
    public boolean intelPtInVmx() {
        return PT.extract(raw) != 0;
    }

    /** RDMSR can read IA32_SMBASE in SMM. */
    public boolean rdmsrSmbase() {
        return SMBASE.extract(raw) != 0;
    }

    /** Number of CR3-target values supported (bits 24:16). */
    public int cr3TargetCount() {
        return (int) CR3_TARGETS.extract(raw);
    }

    /** The raw field N of bits 27:25. */
    public int msrListSizeField() {
        return (int) MSR_LIST.extract(raw);
    }

    /** Recommended maximum number of entries in each MSR-load/store list: 512 * (N + 1). */
    public int maxMsrListEntries() {
        return 512 * (msrListSizeField() + 1);
    }

    /** Bit 2 of IA32_SMM_MONITOR_CTL can be set (VMXOFF unblocks SMIs otherwise). */
    public boolean smmMonitorCtlBit2() {
        return SMM_MONITOR_CTL_B2.extract(raw) != 0;
    }

    /** VMWRITE may write any supported field, the VM-exit information fields included. */
    public boolean vmwriteAnyField() {
        return VMWRITE_ANY.extract(raw) != 0;
    }

    /** VM entry may inject software interrupts/exceptions with instruction length 0. */
    public boolean zeroLengthInjection() {
        return ZERO_LENGTH.extract(raw) != 0;
    }

    /** MSEG revision identifier (bits 63:32). */
    public int msegRevisionId() {
        return (int) MSEG.extract(raw);
    }
}
