package dev.hvsim.conformance.campaign;

/**
 * A property that did not hold for one case.
 *
 * @param vendor   "intel" or "amd"
 * @param property the property's name ({@code valid-enters}, {@code single-rule}, ...)
 * @param caseSeed the case's seed (the campaign seed and case index decide it)
 * @param message  what was expected and what happened
 * @param repro    the reproduction file's name (a check-vmcs / check-vmcb description of the shrunk case), or null
 * @param json     the reproduction file's text, or null
 */
public record Failure(String vendor, String property, long caseSeed, String message, String repro, String json) {
    @Override
    public String toString() {
        return String.format("%s %s (case seed %d): %s%s", vendor, property, caseSeed, message,
                repro == null ? "" : " [reproduce: " + repro + "]");
    }
}
