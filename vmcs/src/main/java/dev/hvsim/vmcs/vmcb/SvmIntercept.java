package dev.hvsim.vmcs.vmcb;

/**
 * An intercept bit and the #VMEXIT code it produces, from {@code svm-exit-codes.csv} (AMD APM Vol. 2
 * Appendix C and Table B-1).
 *
 * @param exitCode     the EXITCODE value
 * @param exitName     the table's name ({@code VMEXIT_HLT})
 * @param word         intercept vector word number (0 = CR, 1 = DR, 2 = exceptions, 3..5 = misc)
 * @param vectorOffset VMCB offset of the 32-bit intercept word
 * @param bit          bit within that word
 */
public record SvmIntercept(long exitCode, String exitName, int word, int vectorOffset, int bit) {

    /** Whether this intercept is set in a VMCB image. */
    public boolean isSet(byte[] vmcb) {
        return ((vmcb[vectorOffset + bit / 8] >>> (bit % 8)) & 1) != 0;
    }
}
