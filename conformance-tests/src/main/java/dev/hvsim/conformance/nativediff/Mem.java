package dev.hvsim.conformance.nativediff;

/**
 * A ModRM/SIB memory operand in 64-bit mode (SDM Vol. 2A 2.1.5, Tables 2-2 and 2-3; 2.2.1.3
 * for the RBP/R13 and RSP/R12 special cases). RIP-relative addressing is never produced.
 *
 * @param base      base register 0..15 or -1 for none (SIB base=101, mod=00, disp32)
 * @param index     index register (never 4) or -1 for none
 * @param scale     1, 2, 4 or 8
 * @param disp      displacement
 * @param dispBytes 0, 1 or 4
 * @param forceSib  use a SIB byte even where ModRM alone would do
 * @param addr32    67h address-size prefix (32-bit address registers)
 */
record Mem(int base, int index, int scale, long disp, int dispBytes, boolean forceSib,
           boolean addr32) {

    /** Whether a REX prefix is needed for the address registers. */
    boolean needsRex() {
        return base >= 8 || index >= 8;
    }

    /** Writes ModRM.mod/rm, SIB and displacement into {@code e}. */
    void encodeInto(Encoding e) {
        e.addr32 = addr32;
        e.rexX = index >= 8;
        e.rexB = base >= 8;
        int dispSize = dispBytes;
        if (base < 0) {
            e.setModRm(0, 4);
            e.sib = sib(5);
            dispSize = 4;
        } else {
            if (dispSize == 0 && (base & 7) == 5) {
                dispSize = 1; // mod=00 with base 101 means "no base" or RIP-relative
            }
            boolean needSib = forceSib || index >= 0 || (base & 7) == 4;
            e.setModRm(dispSize == 0 ? 0 : dispSize == 1 ? 1 : 2, needSib ? 4 : base & 7);
            e.sib = needSib ? sib(base & 7) : -1;
        }
        e.disp = disp;
        e.dispBytes = dispSize;
    }

    private int sib(int baseField) {
        int ss = Integer.numberOfTrailingZeros(scale);
        return ss << 6 | (index < 0 ? 4 : index & 7) << 3 | baseField;
    }

    /** Intel syntax without size, e.g. {@code [rbx+rcx*4+0x10]}. */
    String text() {
        int bits = addr32 ? 32 : 64;
        StringBuilder sb = new StringBuilder("[");
        if (base >= 0) {
            sb.append(Reg.of(base, bits).name());
        }
        if (index >= 0) {
            sb.append(base >= 0 ? "+" : "").append(Reg.of(index, bits).name()).append('*').append(scale);
        }
        if (base < 0 || dispBytes > 0 || (base & 7) == 5) {
            long d = dispBytes == 1 ? (byte) disp : (int) disp;
            if (base < 0 && index < 0) {
                sb.append(String.format("0x%x", d));
            } else {
                sb.append(d < 0 ? "-" : "+").append(String.format("0x%x", Math.abs(d)));
            }
        }
        return sb.append(']').toString();
    }
}
