package dev.hvsim.vmcs.msr;

import dev.hvsim.vmcs.controls.ControlBit;
import dev.hvsim.vmcs.controls.ControlCatalogue;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmcs.controls.DefaultClass;
import java.util.ArrayList;
import java.util.List;

/**
 * The allowed settings of one control word as a capability MSR reports them (SDM Vol. 3C Appendix A.3-A.5,
 * A.3.2/A.3.3 for the secondary and tertiary words, A.4.2 for the secondary exit controls).
 *
 * <p>For the 32-bit words the MSR's bits 31:0 are the allowed 0-settings (a 1 there means the control must
 * be 1) and bits 63:32 the allowed 1-settings (a 0 there means it must be 0). The 64-bit tertiary and
 * secondary-exit MSRs report allowed 1-settings only; every such control may be 0.
 *
 * @param word      the control word
 * @param msr       the MSR the settings come from
 * @param mustBeOne bits that must be 1
 * @param mayBeOne  bits that may be 1 (a superset of {@code mustBeOne} in a consistent MSR)
 */
public record AllowedSettings(ControlWord word, VmxMsr msr, long mustBeOne, long mayBeOne) {

    /** From a 32-bit word's capability MSR: allowed-0 settings in 31:0, allowed-1 settings in 63:32. */
    public static AllowedSettings fromCtlsMsr(ControlWord word, VmxMsr msr, long raw) {
        return new AllowedSettings(word, msr, raw & 0xffffffffL, raw >>> 32);
    }

    /** From a 64-bit word's capability MSR, which reports allowed-1 settings only. */
    public static AllowedSettings fromAllowed1Msr(ControlWord word, VmxMsr msr, long raw) {
        return new AllowedSettings(word, msr, 0, raw);
    }

    /** The settings of a word the processor does not have: every bit must be 0. */
    public static AllowedSettings nothing(ControlWord word, VmxMsr msr) {
        return new AllowedSettings(word, msr, 0, 0);
    }

    /** Whether the control at {@code bit} may be 0. */
    public boolean allowed0(int bit) {
        return ((mustBeOne >>> bit) & 1) == 0;
    }

    /** Whether the control at {@code bit} may be 1. */
    public boolean allowed1(int bit) {
        return ((mayBeOne >>> bit) & 1) != 0;
    }

    /** Whether the defined control {@code javaName} may be 1. */
    public boolean allowed1(String javaName) {
        return allowed1(ControlCatalogue.get().bit(word, javaName).bit());
    }

    /** Whether {@code value} is a setting this MSR allows. */
    public boolean allows(long value) {
        return (value & mustBeOne) == mustBeOne && (value & ~mayBeOne) == 0;
    }

    /** The bits of {@code value} this MSR does not allow, lowest first; empty when {@link #allows} holds. */
    public List<ControlViolation> violations(long value) {
        List<ControlViolation> out = new ArrayList<>();
        long bad = (~value & mustBeOne) | (value & ~mayBeOne);
        int width = ControlCatalogue.get().word(word).widthBits();
        for (int b = 0; b < 64; b++) {
            if (((bad >>> b) & 1) == 0) {
                continue;
            }
            ControlBit bit = b < width ? ControlCatalogue.get().bit(word, b)
                    : new ControlBit(word, b, "beyond the word", "", true,
                            DefaultClass.DEFAULT0, "");
            out.add(new ControlViolation(bit, (int) ((value >>> b) & 1), msr));
        }
        return out;
    }

    /** {@code desired} with must-be-1 bits set and must-be-0 bits cleared: the nearest allowed value. */
    public long adjust(long desired) {
        return (desired | mustBeOne) & mayBeOne;
    }
}
