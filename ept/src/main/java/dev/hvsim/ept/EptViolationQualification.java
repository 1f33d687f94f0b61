package dev.hvsim.ept;

/**
 * The exit qualification of an EPT violation (exit reason 48), SDM Vol. 3C 28.2.1 Table 28-7 (current
 * numbering; Table 27-7 in the 2016 edition), as {@code reference/ept-entry-format.csv} lists it.
 */
public record EptViolationQualification(long raw) {
    public static final int READ = 0, WRITE = 1, FETCH = 2, READABLE = 3, WRITABLE = 4, EXECUTABLE = 5,
            USER_EXECUTABLE = 6, LINEAR_VALID = 7, FINAL_TRANSLATION = 8, USER_LINEAR = 9, WRITABLE_LINEAR = 10,
            NX_LINEAR = 11, NMI_UNBLOCKING = 12, SHADOW_STACK = 13, SSS_PAGE = 14;

    private boolean bit(int b) {
        return (raw >>> b & 1) != 0;
    }

    /** Bit 0: the access was a data read (also set, with bit 1, for a paging-structure access under EPT A/D). */
    public boolean read() { return bit(READ); }
    /** Bit 1: the access was a data write. */
    public boolean write() { return bit(WRITE); }
    /** Bit 2: the access was an instruction fetch. */
    public boolean fetch() { return bit(FETCH); }
    /** Bit 3: AND of bit 0 (read) of the EPT entries used. */
    public boolean readable() { return bit(READABLE); }
    /** Bit 4: AND of bit 1 (write). */
    public boolean writable() { return bit(WRITABLE); }
    /** Bit 5: AND of bit 2 (execute; supervisor-mode execute under mode-based execute control). */
    public boolean executable() { return bit(EXECUTABLE); }
    /** Bit 6: AND of bit 10 (user-mode execute) under mode-based execute control; 0 otherwise. */
    public boolean userExecutable() { return bit(USER_EXECUTABLE); }
    /** Bit 7: the guest-linear-address field is valid. */
    public boolean linearValid() { return bit(LINEAR_VALID); }
    /** Bit 8 (if bit 7): 1 = the access was to the translation of a linear address, 0 = to a guest paging-structure entry. */
    public boolean finalTranslation() { return bit(FINAL_TRANSLATION); }
    /** Bit 9 (advanced information, if bits 7 and 8): the linear address is user-mode. */
    public boolean userLinear() { return bit(USER_LINEAR); }
    /** Bit 10 (advanced information): the guest translation allows writes. */
    public boolean writableLinear() { return bit(WRITABLE_LINEAR); }
    /** Bit 11 (advanced information): the guest translation is execute-disable. */
    public boolean nxLinear() { return bit(NX_LINEAR); }
    /** Bit 12: NMI unblocking due to IRET (set by the VMX model, never by the walker). */
    public boolean nmiUnblocking() { return bit(NMI_UNBLOCKING); }
    /** Bit 13: shadow-stack access (not modelled: always 0). */
    public boolean shadowStack() { return bit(SHADOW_STACK); }

    /** This qualification with bit 12 (NMI unblocking due to IRET) set as the VMX model decides. */
    public EptViolationQualification withNmiUnblocking(boolean on) {
        return new EptViolationQualification(on ? raw | 1L << NMI_UNBLOCKING : raw & ~(1L << NMI_UNBLOCKING));
    }

    /**
     * Builds the qualification of a refusal (SDM Vol. 3C Table 28-7 and its notes): bits 2:0 from the access
     * (a guest paging-structure access under EPT A/D sets both 0 and 1); bits 5:3 (and 6 under MBEC) the
     * AND of the permissions of the entries used, through the one that stopped the walk (0 for a
     * not-present entry); bit 7 when the linear address is known; bit 8 for the final translation; bits
     * 11:9 only for the final translation and only where the advanced information is supported.
     */
    static EptViolationQualification of(SecondStageFormat.Refusal r, boolean mbec, boolean advanced, boolean adWrites) {
        AccessContext c = r.context();
        long q = 0;
        boolean asWrite = c.pagingStructure() && adWrites;
        if (r.access() == Access.READ || asWrite) {
            q |= 1L << READ;
        }
        if (r.effective() == Access.WRITE) {
            q |= 1L << WRITE;
        }
        if (r.access() == Access.EXECUTE) {
            q |= 1L << FETCH;
        }
        int p = r.permissions();
        q |= ((p & Perm.R) != 0 ? 1L << READABLE : 0) | ((p & Perm.W) != 0 ? 1L << WRITABLE : 0)
                | ((p & Perm.XS) != 0 ? 1L << EXECUTABLE : 0) | (mbec && (p & Perm.XU) != 0 ? 1L << USER_EXECUTABLE : 0);
        if (c.linearValid()) {
            q |= 1L << LINEAR_VALID;
            if (!c.pagingStructure()) {
                q |= 1L << FINAL_TRANSLATION;
                if (advanced) {
                    q |= (c.guestUserPage() ? 1L << USER_LINEAR : 0) | (c.guestWritablePage() ? 1L << WRITABLE_LINEAR : 0)
                            | (c.guestNxPage() ? 1L << NX_LINEAR : 0);
                }
            }
        }
        return new EptViolationQualification(q);
    }

    @Override
    public String toString() {
        return "EptViolationQualification[0x" + Long.toHexString(raw) + (read() ? " R" : "") + (write() ? " W" : "")
                + (fetch() ? " X" : "") + " perms=" + (readable() ? "r" : "-") + (writable() ? "w" : "-")
                + (executable() ? "x" : "-") + (userExecutable() ? "u" : "-") + (linearValid() ? " gla" : "")
                + (linearValid() ? finalTranslation() ? " final" : " paging-structure" : "") + "]";
    }
}
