package dev.hvsim.tools;

import java.io.PrintStream;

/**
 * The standard streams a command writes to: guest output and reports on {@code out}, diagnostics on
 * {@code err}. Passed to every command (no static state), so tests run commands with captured streams.
 */
public record Terminal(PrintStream out, PrintStream err) {

    /** Writes one diagnostic line {@code "hvsim: " + message} on {@code err}, after flushing {@code out}. */
    public void error(String message) {
        out.flush();
        err.println("hvsim: " + message);
        err.flush();
    }
}
