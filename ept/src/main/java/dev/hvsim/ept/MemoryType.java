package dev.hvsim.ept;

/**
 * Memory types and their encodings (SDM Vol. 3A 11.3, Table 11-2; PAT encodings 11.12.2, Table 11-10;
 * EPT memory types SDM Vol. 3C 29.3.7 / 2016 edition 28.2.6). UC_MINUS exists only in the PAT.
 */
public enum MemoryType {
    UC(0), WC(1), WT(4), WP(5), WB(6), UC_MINUS(7);

    private final int encoding;

    MemoryType(int encoding) {
        this.encoding = encoding;
    }

    public int encoding() { return encoding; }

    /** An EPT memory type (bits 5:3 of a leaf entry, EPTP bits 2:0): null for 2, 3, 7 (reserved). */
    public static MemoryType ofEpt(int v) {
        return v == 7 ? null : ofPat(v);
    }

    /** A PAT entry value: null for 2, 3 and values above 7 (reserved). */
    public static MemoryType ofPat(int v) {
        switch (v) {
            case 0: return UC;
            case 1: return WC;
            case 4: return WT;
            case 5: return WP;
            case 6: return WB;
            case 7: return UC_MINUS;
            default: return null;
        }
    }

    /** The PAT memory type that {@code index} (PAT, PCD, PWT) selects from a PAT MSR value (11.12.3, Table 11-11). */
    public static MemoryType fromPat(long pat, int index) {
        MemoryType t = ofPat((int) (pat >>> (8 * (index & 7))) & 0xff);
        return t == null ? UC : t; // a reserved PAT value cannot be loaded (WRMSR #GP); UC keeps this total
    }

    /**
     * Combines a range type (an MTRR type, or the EPT memory type used "in place of the MTRR memory type")
     * with a PAT type: SDM Vol. 3A 11.5.2.2, Table 11-7 (Effective Page-Level Memory Types for Pentium
     * Pro and more recent processors).
     */
    public static MemoryType combine(MemoryType range, MemoryType pat) {
        switch (pat) {
            case UC:
                return UC;
            case UC_MINUS:
                return range == WC || range == WP ? WC : UC;
            case WC:
                return WC;
            case WT:
                return range == UC || range == WC ? UC : WT;
            case WP:
                return range == UC || range == WC ? UC : WP;
            default: // WB
                return range;
        }
    }
}
