package dev.hvsim.machine.load;

/**
 * A guest image cannot be loaded: not an ELF file, the wrong class or machine, a segment outside RAM,
 * a truncated file, an image too large for RAM. The message is one line meant for the user, e.g.
 * {@code "ELF segment 1 [0x100000, +0x2000) is outside RAM (64 MiB)"}.
 */
public final class LoadException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure described by a one-line {@code message}. */
    public LoadException(String message) {
        super(message, null, false, false);
    }
}
