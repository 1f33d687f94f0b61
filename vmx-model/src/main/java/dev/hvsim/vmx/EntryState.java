package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;

/**
 * The snapshot and context the rules read, with the control bits and address predicates they share (SDM Vol. 3C
 * 28.2-28.3). Secondary controls read as 0 unless "activate secondary controls" is 1 (28.2.1.1); likewise the
 * tertiary and secondary exit controls.
 */
public final class EntryState {
    private final VmcsSnapshot v;
    private final EntryContext ctx;

    public EntryState(VmcsSnapshot v, EntryContext ctx) {
        this.v = v;
        this.ctx = ctx;
    }

    public VmcsSnapshot snapshot() { return v; }
    public EntryContext context() { return ctx; }

    public long get(VmcsField f) { return v.get(f); }

    public long pin() { return v.get(F.PIN_BASED_VM_EXEC_CONTROL); }
    public long proc() { return v.get(F.CPU_BASED_VM_EXEC_CONTROL); }
    public long proc2() { return proc(31) ? v.get(F.SECONDARY_VM_EXEC_CONTROL) : 0; }
    public long exitCtl() { return v.get(F.VM_EXIT_CONTROLS); }
    public long entryCtl() { return v.get(F.VM_ENTRY_CONTROLS); }

    public boolean pin(int bit) { return (pin() >>> bit & 1) != 0; }
    public boolean proc(int bit) { return (proc() >>> bit & 1) != 0; }
    public boolean proc2(int bit) { return (proc2() >>> bit & 1) != 0; }
    public boolean exit(int bit) { return (exitCtl() >>> bit & 1) != 0; }
    public boolean entry(int bit) { return (entryCtl() >>> bit & 1) != 0; }

    /** "IA-32e mode guest" (entry control 9). */
    public boolean ia32eGuest() { return entry(9); }
    /** "unrestricted guest" (secondary control 7). */
    public boolean unrestricted() { return proc2(7); }
    /** "host address-space size" (exit control 9). */
    public boolean host64() { return exit(9); }

    /** The VM-entry interruption-information field has its valid bit set. */
    public boolean injecting() { return (v.get(F.VM_ENTRY_INTR_INFO_FIELD) >>> 31 & 1) != 0; }
    public int injectionType() { return (int) (v.get(F.VM_ENTRY_INTR_INFO_FIELD) >>> 8) & 7; }
    public int injectionVector() { return (int) v.get(F.VM_ENTRY_INTR_INFO_FIELD) & 0xff; }

    public long physMask() { return (1L << ctx.physAddrBits()) - 1; }

    /** Bits beyond the physical-address width are clear. */
    public boolean inPhys(long addr) { return (addr & ~physMask()) == 0; }

    /** 4-KiB aligned and within the physical-address width. */
    public boolean pageAddrOk(long addr) { return (addr & 0xfff) == 0 && inPhys(addr); }

    /** Canonical with respect to the linear-address width. */
    public boolean canonical(long a) {
        int sh = 64 - ctx.linearBits();
        return (a << sh >> sh) == a;
    }

    /** Guest RFLAGS.VM (bit 17). */
    public boolean v86() { return (v.get(F.GUEST_RFLAGS) >>> 17 & 1) != 0; }
    public long guestCr0() { return v.get(F.GUEST_CR0); }
    public long guestCr4() { return v.get(F.GUEST_CR4); }
    public long interruptibility() { return v.get(F.GUEST_INTERRUPTIBILITY_INFO); }
}
