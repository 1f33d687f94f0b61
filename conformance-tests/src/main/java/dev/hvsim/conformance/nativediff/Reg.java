package dev.hvsim.conformance.nativediff;

/**
 * A register operand. {@code num} is the 64-bit register it lives in (0..15, encoding
 * order); {@code high} selects AH/CH/DH/BH, which exist only without a REX prefix.
 *
 * @param num  register number 0..15 (for high-byte registers 0..3)
 * @param bits operand size 8, 16, 32 or 64
 * @param high AH..BH
 */
record Reg(int num, int bits, boolean high) {
    private static final String[] Q = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"};
    private static final String[] B_LOW = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};
    private static final String[] B_HIGH = {"ah", "ch", "dh", "bh"};

    static Reg of(int num, int bits) {
        return new Reg(num, bits, false);
    }

    /** The 3-bit field value plus the REX extension bit as bit 3. */
    int encoding() {
        return high ? num + 4 : num;
    }

    /** SPL..DIL and R8..R15 exist only with a REX prefix. */
    boolean needsRex() {
        return num >= 8 || (bits == 8 && !high && num >= 4);
    }

    /** AH..BH cannot be encoded with a REX prefix. */
    boolean forbidsRex() {
        return high;
    }

    String name() {
        if (high) {
            return B_HIGH[num];
        }
        if (num >= 8) {
            String suffix = bits == 64 ? "" : bits == 32 ? "d" : bits == 16 ? "w" : "b";
            return "r" + num + suffix;
        }
        switch (bits) {
            case 64: return Q[num];
            case 32: return "e" + Q[num].substring(1);
            case 16: return Q[num].substring(1);
            default: return B_LOW[num];
        }
    }
}
