package dev.hvsim.svm;

/**
 * The Fn8000_000A EDX feature bits svm-model implements (AMD APM Vol. 3 Appendix E, CPUID Fn8000_000A; svm-misc.csv
 * CPUID rows). The amd-zen profile advertises exactly these; a feature is gated on the profile's bit where the model
 * behaves differently with and without it.
 */
final class SvmFeatures {
    private SvmFeatures() {}

    static final int NRIPS = 3, DECODE_ASSISTS = 7, PAUSE_FILTER = 10, PAUSE_FILTER_THRESHOLD = 12, VGIF = 16;
}
