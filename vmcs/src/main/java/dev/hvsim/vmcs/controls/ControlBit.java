package dev.hvsim.vmcs.controls;

/**
 * One bit of a VMX control word, one row of {@code vmx-controls.csv} (a reserved range row such as
 * {@code 9-63} is expanded to one {@code ControlBit} per bit).
 *
 * @param word         the control word
 * @param bit          bit position, 0..31 (0..63 for the tertiary and secondary exit words)
 * @param sdmName      the SDM's name of the control, or {@code "reserved"}
 * @param javaName     the predicate name on the word's record ({@code hltExiting}); empty for reserved bits
 * @param reserved     true for a bit no control is defined at
 * @param defaultClass default0 or default1 (SDM Appendix A.2)
 * @param verification the reference table's verification note
 */
public record ControlBit(ControlWord word, int bit, String sdmName, String javaName, boolean reserved,
        DefaultClass defaultClass, String verification) {

    /** The bit as a mask. */
    public long mask() {
        return 1L << bit;
    }

    /** True when the reference table rests on a single source for this bit. */
    public boolean unverified() {
        return verification.contains("UNVERIFIED");
    }

    /** E.g. {@code bit 7 (HLT exiting) of the Primary processor-based VM-execution controls}. */
    public String describe() {
        return "bit " + bit + " (" + sdmName + ") of the " + word.csvName();
    }

    /**
     * The predicate name hvsim derives from an SDM control name: parenthesised text dropped, a slash between two single letters dropped ({@code I/O} is one word),
     * words split at
     * anything that is not a letter or digit, then lower camel case ({@code "Use MSR bitmaps"} gives
     * {@code useMsrBitmaps}, {@code "IA-32e mode guest"} gives {@code ia32eModeGuest}).
     */
    public static String javaNameOf(String sdmName) {
        String s = sdmName.replaceAll("\\([^)]*\\)", " ").replaceAll("\\b(\\w)/(\\w)\\b", "$1$2");
        StringBuilder out = new StringBuilder();
        for (String w : s.split("[^A-Za-z0-9]+")) {
            if (w.isEmpty()) {
                continue;
            }
            if (out.length() == 0) {
                out.append(w.toLowerCase());
            } else {
                out.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1).toLowerCase());
            }
        }
        return out.toString();
    }
}
