package dev.hvsim.vmx;

/**
 * Codecs of the exit qualification (SDM Vol. 3C 29.2.1, Tables 29-1 .. 29-7; {@code reference/vmx-exit-qualifications.csv}):
 * one record per format, each over the raw 64-bit value with named accessors. A handler builds one only when it
 * asks (the VM exit itself allocates nothing but its {@link VmExit}). EPT violations use ept's
 * {@code EptViolationQualification}.
 */
public final class ExitQualifications {
    private ExitQualifications() {}

    /**
     * I/O instructions (Table 29-5): size of access 2:0 (0 = 1 byte, 1 = 2, 3 = 4), direction 3 (1 = IN), string 4,
     * REP 5, operand encoding 6 (1 = immediate), port 31:16.
     */
    public record Io(long raw) {
        public int size() { return (int) (raw & 7) + 1; }
        public boolean in() { return (raw >>> 3 & 1) != 0; }
        public boolean string() { return (raw >>> 4 & 1) != 0; }
        public boolean rep() { return (raw >>> 5 & 1) != 0; }
        public boolean immediate() { return (raw >>> 6 & 1) != 0; }
        public int port() { return (int) (raw >>> 16 & 0xffff); }
    }

    /** Access types of {@link CrAccess#accessType()}. */
    public static final int MOV_TO_CR = 0, MOV_FROM_CR = 1, CLTS = 2, LMSW = 3;

    /**
     * Control-register accesses (Table 29-3): CR number 3:0, access type 5:4 (0 MOV to CR, 1 MOV from CR, 2 CLTS,
     * 3 LMSW), LMSW operand type 6 (1 = memory), general-purpose register 11:8, LMSW source data 31:16.
     */
    public record CrAccess(long raw) {
        public int cr() { return (int) (raw & 0xf); }
        public int accessType() { return (int) (raw >>> 4 & 3); }
        public boolean lmswMemory() { return (raw >>> 6 & 1) != 0; }
        public int gpr() { return (int) (raw >>> 8 & 0xf); }
        public int lmswSource() { return (int) (raw >>> 16 & 0xffff); }
    }

    /**
     * VM-exit interruption information (25.9.2, Table 25-19) of exception/NMI and external-interrupt exits, and the
     * same layout of IDT-vectoring information (Table 25-20): vector 7:0, type 10:8, error code valid 11, NMI
     * unblocking due to IRET 12, valid 31.
     */
    public record InterruptionInfo(long raw) {
        public int vector() { return (int) (raw & 0xff); }
        public int type() { return (int) (raw >>> 8 & 7); }
        public boolean errorCodeValid() { return (raw >>> 11 & 1) != 0; }
        public boolean nmiUnblocking() { return (raw >>> 12 & 1) != 0; }
        public boolean valid() { return (raw >>> 31 & 1) != 0; }
    }
}
