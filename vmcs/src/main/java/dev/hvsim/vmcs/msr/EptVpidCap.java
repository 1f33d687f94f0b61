package dev.hvsim.vmcs.msr;

/**
 * IA32_VMX_EPT_VPID_CAP (index 0x48C), SDM Vol. 3C Appendix A.10. Bit positions come from
 * {@code vmx-capability-msrs.csv}.
 *
 * @param raw the MSR value
 */
public record EptVpidCap(long raw) {

    private static final MsrField EXEC_ONLY = f("Execute-only EPT translations supported");
    private static final MsrField WALK4 = f("4-level EPT page walk supported");
    private static final MsrField WALK5 = f("5-level EPT page walk supported");
    private static final MsrField UC = f("EPT paging-structure memory type UC supported");
    private static final MsrField WB = f("EPT paging-structure memory type WB supported");
    private static final MsrField PAGE2M = f("2-MByte EPT pages (PDE) supported");
    private static final MsrField PAGE1G = f("1-GByte EPT pages (PDPTE) supported");
    private static final MsrField INVEPT = f("INVEPT supported");
    private static final MsrField AD = f("EPT accessed and dirty flags supported");
    private static final MsrField ADVANCED = f("Advanced VM-exit information for EPT violations");
    private static final MsrField SSS = f("Supervisor shadow-stack control supported");
    private static final MsrField INVEPT_SINGLE = f("Single-context INVEPT supported");
    private static final MsrField INVEPT_ALL = f("All-context INVEPT supported");
    private static final MsrField INVVPID = f("INVVPID supported");
    private static final MsrField INVVPID_ADDR = f("Individual-address INVVPID supported");
    private static final MsrField INVVPID_SINGLE = f("Single-context INVVPID supported");
    private static final MsrField INVVPID_ALL = f("All-context INVVPID supported");
    private static final MsrField INVVPID_GLOBALS = f("Single-context-retaining-globals INVVPID supported");
    private static final MsrField HLAT_PREFIX = f("Maximum HLAT prefix size");

    private static MsrField f(String name) {
        return VmxMsrCatalogue.get().field(VmxMsr.IA32_VMX_EPT_VPID_CAP, name);
    }

    private boolean has(MsrField f) {
        return f.extract(raw) != 0;
    }

    /** EPT entries may allow execute without read. */
    public boolean executeOnly() { return has(EXEC_ONLY); }

    /** 4-level EPT page walks. */
    public boolean pageWalk4() { return has(WALK4); }

    /** 5-level EPT page walks. */
    public boolean pageWalk5() { return has(WALK5); }

    /** EPTP memory type UC (0). */
    public boolean memoryTypeUc() { return has(UC); }

    /** EPTP memory type WB (6). */
    public boolean memoryTypeWb() { return has(WB); }

    /** 2-MByte pages through EPT PDEs. */
    public boolean pages2M() { return has(PAGE2M); }

    /** 1-GByte pages through EPT PDPTEs. */
    public boolean pages1G() { return has(PAGE1G); }

    /** INVEPT is supported. */
    public boolean invept() { return has(INVEPT); }

    /** EPT accessed and dirty flags. */
    public boolean accessedDirty() { return has(AD); }

    /** Advanced VM-exit information for EPT violations. */
    public boolean advancedExitInfo() { return has(ADVANCED); }

    /** Supervisor shadow-stack control (EPTP bit 7). */
    public boolean supervisorShadowStack() { return has(SSS); }

    /** Single-context INVEPT (type 1). */
    public boolean inveptSingleContext() { return has(INVEPT_SINGLE); }

    /** All-context INVEPT (type 2). */
    public boolean inveptAllContext() { return has(INVEPT_ALL); }

    /** INVVPID is supported. */
    public boolean invvpid() { return has(INVVPID); }

    /** Individual-address INVVPID (type 0). */
    public boolean invvpidIndividualAddress() { return has(INVVPID_ADDR); }

    /** Single-context INVVPID (type 1). */
    public boolean invvpidSingleContext() { return has(INVVPID_SINGLE); }

    /** All-context INVVPID (type 2). */
    public boolean invvpidAllContext() { return has(INVVPID_ALL); }

    /** Single-context-retaining-globals INVVPID (type 3). */
    public boolean invvpidSingleContextRetainingGlobals() { return has(INVVPID_GLOBALS); }

    /** Maximum HLAT prefix size (bits 53:48). */
    public int maxHlatPrefixSize() { return (int) HLAT_PREFIX.extract(raw); }
}
