package dev.hvsim.conformance.nativediff;

/**
 * The RFLAGS bits that the differential suite loads and compares (SDM Vol. 1, 3.4.3).
 * The six status flags are what the SDM Vol. 2 per-instruction "Flags Affected" sections
 * define or leave undefined; DF is a control flag that integer instructions do not change
 * except CLD/STD (not generated).
 */
public enum Flag {
    CF(0), PF(2), AF(4), ZF(6), SF(7), DF(10), OF(11);

    /** All six status flags: OF SF ZF AF PF CF. */
    public static final long STATUS = maskOf(CF, PF, AF, ZF, SF, OF);
    /** Every flag the harness loads and reports: the status flags and DF. */
    public static final long TRACKED = STATUS | DF.mask();

    private final int bit;

    Flag(int bit) {
        this.bit = bit;
    }

    /** Bit position in RFLAGS. */
    public int bit() {
        return bit;
    }

    /** Single-bit mask of this flag. */
    public long mask() {
        return 1L << bit;
    }

    /** Whether this flag is set in {@code rflags}. */
    public boolean in(long rflags) {
        return (rflags & mask()) != 0;
    }

    /** OR of the masks of {@code flags}. */
    public static long maskOf(Flag... flags) {
        long m = 0;
        for (Flag f : flags) {
            m |= f.mask();
        }
        return m;
    }

    /** Renders a flag mask as e.g. {@code "CF|ZF"}, or {@code "-"} when empty. */
    public static String names(long mask) {
        StringBuilder sb = new StringBuilder();
        for (Flag f : values()) {
            if ((mask & f.mask()) != 0) {
                sb.append(sb.length() == 0 ? "" : "|").append(f.name());
            }
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }
}
