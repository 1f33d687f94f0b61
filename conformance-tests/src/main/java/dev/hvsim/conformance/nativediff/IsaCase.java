package dev.hvsim.conformance.nativediff;

import java.util.Arrays;

/**
 * One differential test case: an initial architectural state and a short instruction
 * sequence, laid out as described by {@link IsaLayout}.
 *
 * <p>Arrays are not copied: callers must treat them as immutable.
 *
 * @param gprs               16 initial GPR values in encoding order (RAX, RCX, ... R15);
 *                           RSP and the generator's base registers point into the data region
 * @param rflags             initial RFLAGS; only {@link Flag#TRACKED} bits are loaded
 * @param code               instruction bytes, placed at {@link IsaLayout#CODE}
 * @param data               initial data bytes at {@link IsaLayout#DATA} (at most
 *                           {@link IsaLayout#DATA_SIZE}, zero-padded)
 * @param undefinedFlagsMask status flags architecturally undefined after the whole sequence
 *                           (SDM Vol. 2 "Flags Affected"); excluded from comparison
 * @param disassembly        template-level Intel-syntax rendering, one instruction per line
 * @param undefinedFlagsAt   optional (may be {@code null}): for each instruction boundary
 *                           offset {@code 0..code.length}, the flags undefined on reaching it;
 *                           used to mask flags of an outcome that faulted mid-sequence
 */
public record IsaCase(long[] gprs, long rflags, byte[] code, byte[] data, long undefinedFlagsMask,
                      String disassembly, long[] undefinedFlagsAt) {

    /** Validates sizes. */
    public IsaCase {
        if (gprs.length != IsaLayout.GPR_COUNT) {
            throw new IllegalArgumentException("need 16 GPRs, got " + gprs.length);
        }
        if (code.length > IsaLayout.MAX_CODE || data.length > IsaLayout.DATA_SIZE) {
            throw new IllegalArgumentException("code or data too large");
        }
        if (undefinedFlagsAt != null && undefinedFlagsAt.length != code.length + 1) {
            throw new IllegalArgumentException("undefinedFlagsAt must have code.length + 1 entries");
        }
    }

    /** A hand-written case: the same undefined-flag mask applies at every offset. */
    public IsaCase(long[] gprs, long rflags, byte[] code, byte[] data, long undefinedFlagsMask,
                   String disassembly) {
        this(gprs, rflags, code, data, undefinedFlagsMask, disassembly, null);
    }

    /**
     * Flags to ignore when comparing an outcome whose final RIP offset is {@code ripOffset}:
     * the per-boundary mask when known, otherwise the end-of-sequence mask.
     */
    public long undefinedFlagsAtOffset(long ripOffset) {
        if (undefinedFlagsAt != null && ripOffset >= 0 && ripOffset <= code.length) {
            return undefinedFlagsAt[(int) ripOffset];
        }
        return undefinedFlagsMask;
    }

    @Override
    public String toString() {
        return "IsaCase[code=" + Hex.bytes(code) + ", " + disassembly.replace('\n', ';') + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IsaCase c && Arrays.equals(gprs, c.gprs) && rflags == c.rflags
                && Arrays.equals(code, c.code) && Arrays.equals(data, c.data)
                && undefinedFlagsMask == c.undefinedFlagsMask && disassembly.equals(c.disassembly)
                && Arrays.equals(undefinedFlagsAt, c.undefinedFlagsAt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(gprs) * 31 + Arrays.hashCode(code);
    }
}
