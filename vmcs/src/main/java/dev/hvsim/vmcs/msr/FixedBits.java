package dev.hvsim.vmcs.msr;

import java.util.ArrayList;
import java.util.List;

/**
 * Fixed bits of CR0 or CR4 in VMX operation, from IA32_VMX_CR0_FIXED0/1 or IA32_VMX_CR4_FIXED0/1 (SDM Vol. 3C
 * Appendix A.7 and A.8): a bit that is 1 in FIXED0 must be 1; a bit that is 0 in FIXED1 must be 0.
 *
 * @param register "CR0" or "CR4"
 * @param fixed0   the FIXED0 MSR value
 * @param fixed1   the FIXED1 MSR value
 */
public record FixedBits(String register, long fixed0, long fixed1) {

    /** One bit of a control register that does not meet its fixed setting. */
    public record Violation(String register, int bit, int required) {
        /** E.g. {@code CR4 bit 13 must be 1 in VMX operation}. */
        public String message() {
            return register + " bit " + bit + " must be " + required + " in VMX operation";
        }
    }

    /** Whether {@code value} meets both MSRs. */
    public boolean allows(long value) {
        return (value & fixed0) == fixed0 && (value & ~fixed1) == 0;
    }

    /** The bits of {@code value} that break a fixed setting, lowest first. */
    public List<Violation> violations(long value) {
        List<Violation> out = new ArrayList<>();
        for (int b = 0; b < 64; b++) {
            long m = 1L << b;
            if ((fixed0 & m) != 0 && (value & m) == 0) {
                out.add(new Violation(register, b, 1));
            } else if ((fixed1 & m) == 0 && (value & m) != 0) {
                out.add(new Violation(register, b, 0));
            }
        }
        return out;
    }
}
