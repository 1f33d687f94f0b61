package dev.hvsim.x86core;

/**
 * RFLAGS bit positions (SDM Vol. 1 3.4.3, Figure 3-8) and the pure functions that compute the six
 * status flags. The lazy evaluation itself lives in {@link CpuState}.
 */
public final class Flags {
    public static final long CF = 1L, FIXED1 = 1L << 1, PF = 1L << 2, AF = 1L << 4, ZF = 1L << 6, SF = 1L << 7,
            TF = 1L << 8, IF = 1L << 9, DF = 1L << 10, OF = 1L << 11, IOPL = 3L << 12, NT = 1L << 14,
            RF = 1L << 16, VM = 1L << 17, AC = 1L << 18, VIF = 1L << 19, VIP = 1L << 20, ID = 1L << 21;
    /** The six status flags. */
    public static final long OSZAPC = CF | PF | AF | ZF | SF | OF;
    /** Bits software can ever see as 1 (bit 1 reads as 1; 3, 5, 15 and 22..63 are reserved, 0). */
    public static final long DEFINED = OSZAPC | FIXED1 | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

    private Flags() {}

    public static long mask(int size) {
        return size == 8 ? -1L : (1L << (size << 3)) - 1;
    }

    public static long signBit(int size) {
        return 1L << ((size << 3) - 1);
    }

    /** Sign-extends the low {@code size} bytes. */
    public static long sext(long v, int size) {
        switch (size) {
            case 1: return (byte) v;
            case 2: return (short) v;
            case 4: return (int) v;
            default: return v;
        }
    }

    public static long parity(long res) {
        return (Integer.bitCount((int) res & 0xff) & 1) == 0 ? PF : 0;
    }

    /** ZF, SF and PF of a result of the given size. */
    public static long szp(long res, int size) {
        long m = res & mask(size);
        return (m == 0 ? ZF : 0) | ((m & signBit(size)) != 0 ? SF : 0) | parity(m);
    }

    public static String describe(long rflags) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF"};
        for (int i = 0; i < names.length; i++) {
            if (!names[i].isEmpty() && (rflags & (1L << i)) != 0) {
                sb.append(sb.length() == 0 ? "" : " ").append(names[i]);
            }
        }
        return sb.toString();
    }
}
