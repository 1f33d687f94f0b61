package dev.hvsim.tools;

/**
 * The user gave input hvsim cannot use (a missing file, a bad option value, an unknown profile, a
 * guest that cannot be loaded). The message is the one line printed after {@code "hvsim: "}; the
 * process exits with {@link ExitStatus#BAD_INPUT}.
 */
public final class BadInputException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Bad input described by a one-line {@code message}. */
    public BadInputException(String message) {
        super(message, null, false, false);
    }
}
