package dev.hvsim.conformance.nativediff;

import java.util.SplittableRandom;

/** Random 64-bit values biased towards the boundaries where integer instructions go wrong. */
final class Values {
    private static final long[] EDGES = {
        0, 1, 2, -1, -2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
        0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE,
        0xFFFF_FFFF_FFFF_FF80L, 0xFFFF_FFFF_FFFF_8000L, 0xFFFF_FFFF_8000_0000L};

    private Values() {
    }

    /** A value: uniform, small, an edge, a random-width value or a sign-extended 32-bit one. */
    static long interesting(SplittableRandom rnd) {
        switch (rnd.nextInt(8)) {
            case 0: case 1: case 2: return rnd.nextLong();
            case 3: return rnd.nextInt(33) - 16;
            case 4: return EDGES[rnd.nextInt(EDGES.length)];
            case 5: return rnd.nextLong() >>> rnd.nextInt(64);
            case 6: return rnd.nextInt();
            default: return EDGES[rnd.nextInt(EDGES.length)] ^ (1L << rnd.nextInt(64));
        }
    }
}
