package dev.hvsim.conformance.gen;

import dev.hvsim.vmx.VmcsBases;

/**
 * The guest modes the VMCS generator produces (SDM Vol. 3C 28.3.1: the guest-state checks depend on the mode the
 * guest will be in after VM entry).
 */
public enum GuestMode {
    /** IA-32e mode guest, CS.L = 1: 64-bit mode, 4-level paging. */
    LONG_64(VmcsBases.LONG_MODE),
    /** IA-32e mode guest, CS.L = 0, CS.D = 1: compatibility mode. */
    COMPATIBILITY(VmcsBases.LONG_MODE),
    /** 32-bit protected mode, 32-bit paging (CR4.PAE = 0). */
    PROTECTED_32(VmcsBases.PROTECTED_MODE),
    /** 32-bit protected mode with PAE paging: the four PDPTEs at CR3 are checked (28.3.1.6) without EPT. */
    PROTECTED_PAE(VmcsBases.PROTECTED_MODE),
    /** Real mode (CR0.PE = PG = 0) under "unrestricted guest" and "enable EPT". */
    REAL_UNRESTRICTED(VmcsBases.REAL_MODE),
    /** Virtual-8086 mode: RFLAGS.VM = 1 in a protected-mode guest; segments as 28.3.1.2 requires for VM = 1. */
    VIRTUAL_8086(VmcsBases.PROTECTED_MODE);

    private final String base;

    GuestMode(String base) {
        this.base = base;
    }

    /** The {@link VmcsBases} base the mode starts from (and that reproduction files name). */
    public String base() {
        return base;
    }

    /** Whether VM entry puts the guest in IA-32e mode. */
    public boolean ia32e() {
        return this == LONG_64 || this == COMPATIBILITY;
    }
}
