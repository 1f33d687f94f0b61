package dev.hvsim.svm;

/**
 * Codecs of EXITINFO1 (AMD APM Vol. 2 15.10.2, 15.11, 15.12, 15.25.6; {@code reference/svm-exit-codes.csv}): one
 * record per format over the raw value, built only when a handler asks.
 */
public final class ExitInfo {
    private ExitInfo() {}

    /**
     * IOIO (15.10.2, Figure 15-2): TYPE 0 (1 = IN), STR 2, REP 3, SZ8/SZ16/SZ32 6:4, A16/A32/A64 9:7, SEG 12:10,
     * PORT 31:16. EXITINFO2 holds the next RIP.
     */
    public record Io(long raw) {
        public boolean in() { return (raw & 1) != 0; }
        public boolean string() { return (raw >>> 2 & 1) != 0; }
        public boolean rep() { return (raw >>> 3 & 1) != 0; }
        /** Operand size in bytes (1, 2 or 4). */
        public int size() { return (raw & 0x10) != 0 ? 1 : (raw & 0x20) != 0 ? 2 : 4; }
        /** Address size in bytes (2, 4 or 8). */
        public int addressSize() { return (raw & 0x80) != 0 ? 2 : (raw & 0x100) != 0 ? 4 : 8; }
        public int segment() { return (int) (raw >>> 10 & 7); }
        public int port() { return (int) (raw >>> 16 & 0xffff); }
    }

    /** MSR (15.11): EXITINFO1 = 0 for RDMSR, 1 for WRMSR; ECX holds the index. */
    public record Msr(long raw) {
        public boolean write() { return raw == 1; }
    }

    /**
     * Nested page fault (15.25.6): EXITINFO1 is a #PF error code (P 0, RW 1, US 2, RSV 3, ID 4; bit 32 final
     * guest-physical address, bit 33 guest page-table access), EXITINFO2 the faulting guest-physical address.
     */
    public record NestedPageFault(long raw) {
        public boolean present() { return (raw & 1) != 0; }
        public boolean write() { return (raw >>> 1 & 1) != 0; }
        public boolean user() { return (raw >>> 2 & 1) != 0; }
        public boolean fetch() { return (raw >>> 4 & 1) != 0; }
        public boolean finalAddress() { return (raw >>> 32 & 1) != 0; }
        public boolean pageTableAccess() { return (raw >>> 33 & 1) != 0; }
    }

    /** EXITINTINFO / EVENTINJ (15.20, 15.7.2): vector 7:0, TYPE 10:8, EV 11, V 31, ERRORCODE 63:32. */
    public record EventInfo(long raw) {
        public int vector() { return (int) (raw & 0xff); }
        public int type() { return (int) (raw >>> 8 & 7); }
        public boolean errorCodeValid() { return (raw >>> 11 & 1) != 0; }
        public boolean valid() { return (raw >>> 31 & 1) != 0; }
        public int errorCode() { return (int) (raw >>> 32); }
    }
}
