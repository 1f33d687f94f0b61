package dev.hvsim.conformance.nativediff;

import static dev.hvsim.conformance.nativediff.Flag.AF;
import static dev.hvsim.conformance.nativediff.Flag.CF;
import static dev.hvsim.conformance.nativediff.Flag.OF;
import static dev.hvsim.conformance.nativediff.Flag.PF;
import static dev.hvsim.conformance.nativediff.Flag.SF;
import static dev.hvsim.conformance.nativediff.Flag.ZF;
import static dev.hvsim.conformance.nativediff.Flag.maskOf;

import java.util.ArrayList;
import java.util.List;

/**
 * Flag effects that depend on the shift or rotate count (SDM Vol. 2B "SAL/SAR/SHL/SHR",
 * "RCL/RCR/ROL/ROR", "SHLD", "SHRD", Flags Affected). A masked count of 0 affects no flag.
 */
public enum FlagRule {
    /** The template's fixed {@link FlagEffect}. */
    FIXED,
    /**
     * SHL/SHR: CF = last bit out, undefined when count &ge; operand size (8/16-bit only);
     * OF defined only for 1-bit shifts; SF ZF PF from result; AF undefined.
     */
    SHIFT_LOGICAL,
    /** SAR: as SHL/SHR, but the SDM leaves CF defined for every count. */
    SHIFT_ARITHMETIC,
    /** ROL/ROR: CF defined; OF defined only for 1-bit rotates; SF ZF AF PF unaffected. */
    ROTATE,
    /** RCL/RCR: reads CF; otherwise as ROL/ROR. */
    ROTATE_CARRY,
    /**
     * SHLD/SHRD: CF SF ZF PF defined, AF undefined, OF defined only for 1-bit shifts; all
     * undefined when count &gt; operand size (the generator never emits that).
     */
    DOUBLE_SHIFT;

    private static final long SZP = maskOf(SF, ZF, PF);

    /**
     * Effect for a known count (the raw imm8 or CL value).
     *
     * @param sizeBits operand size 8, 16, 32 or 64
     */
    public FlagEffect effect(int sizeBits, int count) {
        int masked = count & (sizeBits == 64 ? 63 : 31);
        if (masked == 0) {
            return FlagEffect.NONE;
        }
        long of = masked == 1 ? OF.mask() : 0;
        long ofUndef = masked == 1 ? 0 : OF.mask();
        switch (this) {
            case SHIFT_LOGICAL:
                boolean cfUndef = masked >= sizeBits;
                return new FlagEffect(0, SZP | of | (cfUndef ? 0 : CF.mask()),
                        AF.mask() | ofUndef | (cfUndef ? CF.mask() : 0));
            case SHIFT_ARITHMETIC:
                return new FlagEffect(0, SZP | of | CF.mask(), AF.mask() | ofUndef);
            case ROTATE:
                return new FlagEffect(0, CF.mask() | of, ofUndef);
            case ROTATE_CARRY:
                return new FlagEffect(CF.mask(), CF.mask() | of, ofUndef);
            case DOUBLE_SHIFT:
                if (masked > sizeBits) {
                    return new FlagEffect(0, 0, Flag.STATUS);
                }
                return new FlagEffect(0, SZP | CF.mask() | of, AF.mask() | ofUndef);
            default:
                throw new IllegalStateException("fixed rule has no count");
        }
    }

    /** Effect when the count is unknown (CL): the union over every possible masked count. */
    public FlagEffect effectAnyCount(int sizeBits) {
        List<FlagEffect> all = new ArrayList<>();
        int limit = sizeBits == 64 ? 63 : 31;
        for (int c = 0; c <= limit; c++) {
            all.add(effect(sizeBits, c));
        }
        return FlagEffect.union(all);
    }
}
