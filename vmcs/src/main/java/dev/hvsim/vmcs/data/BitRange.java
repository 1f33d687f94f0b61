package dev.hvsim.vmcs.data;

/**
 * An inclusive bit range {@code hi:lo} of a 64-bit value, as the reference tables write bit positions
 * ({@code "7"}, {@code "30:0"}, {@code "9-63"}).
 *
 * @param hi highest bit, 0..63
 * @param lo lowest bit, 0..hi
 */
public record BitRange(int hi, int lo) {

    public BitRange {
        if (lo < 0 || hi > 63 || lo > hi) {
            throw new IllegalArgumentException("bad bit range " + hi + ":" + lo);
        }
    }

    /** A single bit. */
    public static BitRange bit(int b) {
        return new BitRange(b, b);
    }

    /** Parses {@code "n"}, {@code "hi:lo"} or {@code "lo-hi"}. */
    public static BitRange parse(String s) {
        String t = s.trim();
        try {
            int colon = t.indexOf(':');
            if (colon >= 0) {
                return new BitRange(Integer.parseInt(t.substring(0, colon).trim()),
                        Integer.parseInt(t.substring(colon + 1).trim()));
            }
            int dash = t.indexOf('-');
            if (dash >= 0) {
                return new BitRange(Integer.parseInt(t.substring(dash + 1).trim()),
                        Integer.parseInt(t.substring(0, dash).trim()));
            }
            return bit(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a bit range: '" + s + "'", e);
        }
    }

    /** Number of bits. */
    public int width() {
        return hi - lo + 1;
    }

    /** The bits of the range set, in place. */
    public long mask() {
        return width() == 64 ? -1L : ((1L << width()) - 1) << lo;
    }

    /** The field's value, shifted down to bit 0. */
    public long extract(long value) {
        return (value & mask()) >>> lo;
    }

    /** {@code value} with this field replaced by the low bits of {@code field}. */
    public long insert(long value, long field) {
        return (value & ~mask()) | ((field << lo) & mask());
    }

    @Override
    public String toString() {
        return hi == lo ? Integer.toString(lo) : hi + ":" + lo;
    }
}
