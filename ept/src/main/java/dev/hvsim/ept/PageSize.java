package dev.hvsim.ept;

/** The size of the page a translation ends in. */
public enum PageSize {
    SIZE_4K(12), SIZE_2M(21), SIZE_4M(22), SIZE_1G(30);

    private final int shift;

    PageSize(int shift) {
        this.shift = shift;
    }

    /** log2 of the size in bytes. */
    public int shift() { return shift; }

    public long bytes() { return 1L << shift; }

    /** Offset mask within the page. */
    public long mask() { return bytes() - 1; }

    static PageSize ofShift(int shift) {
        for (PageSize p : values()) {
            if (p.shift == shift) {
                return p;
            }
        }
        throw new IllegalArgumentException("page shift " + shift);
    }

    /** The smaller of two page sizes (a two-stage translation is as large as its smaller stage). */
    public static PageSize min(PageSize a, PageSize b) {
        return a.shift <= b.shift ? a : b;
    }
}
