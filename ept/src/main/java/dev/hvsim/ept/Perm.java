package dev.hvsim.ept;

/**
 * Format-neutral permission bits, ANDed over the entries of a walk. An x86 paging entry (guest stage,
 * or AMD nested tables) grants R when present, W with R/W, U with U/S, XS and XU unless XD (with
 * EFER.NXE); an EPT entry grants R, W and XS from bits 2:0, XU from bit 10 under mode-based execute
 * control (else XU = XS), and always U.
 */
public final class Perm {
    public static final int R = 1, W = 2, XS = 4, XU = 8, U = 16;
    public static final int ALL = R | W | XS | XU | U;

    private Perm() {}

    /** For messages: e.g. "RW-XU" or "R--". */
    public static String toString(int p) {
        return ((p & R) != 0 ? "R" : "-") + ((p & W) != 0 ? "W" : "-") + ((p & XS) != 0 ? "Xs" : "-")
                + ((p & XU) != 0 ? "Xu" : "-") + ((p & U) != 0 ? "U" : "-");
    }
}
