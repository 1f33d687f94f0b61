package dev.hvsim.ept;

/**
 * IA32_VMX_EPT_VPID_CAP (MSR 0x48C) with named predicates for the bits the EPT model uses
 * (SDM Vol. 3D Appendix A.10; rows of {@code reference/ept-vpid-cap.csv}).
 */
public record EptCapabilities(long raw) {
    public static final int MSR = 0x48c;

    /** Everything this model implements: execute-only, 4- and 5-level walks, UC and WB, 2M and 1G pages, A/D, advanced exit info, INVEPT. */
    public static final EptCapabilities ALL = new EptCapabilities(1L | 1L << 6 | 1L << 7 | 1L << 8 | 1L << 14
            | 1L << 16 | 1L << 17 | 1L << 20 | 1L << 21 | 1L << 22 | 1L << 25 | 1L << 26);

    private boolean bit(int b) {
        return (raw >>> b & 1) != 0;
    }

    public boolean executeOnly() { return bit(0); }
    public boolean pageWalk4() { return bit(6); }
    public boolean pageWalk5() { return bit(7); }
    public boolean memoryTypeUc() { return bit(8); }
    public boolean memoryTypeWb() { return bit(14); }
    public boolean pages2M() { return bit(16); }
    public boolean pages1G() { return bit(17); }
    public boolean invept() { return bit(20); }
    public boolean accessedDirty() { return bit(21); }
    public boolean advancedExitInfo() { return bit(22); }
    public boolean supervisorShadowStack() { return bit(23); }
    public boolean inveptSingleContext() { return bit(25); }
    public boolean inveptAllContext() { return bit(26); }

    /** The same capabilities with one bit changed (for tests and profiles). */
    public EptCapabilities with(int bit, boolean on) {
        return new EptCapabilities(on ? raw | 1L << bit : raw & ~(1L << bit));
    }
}
