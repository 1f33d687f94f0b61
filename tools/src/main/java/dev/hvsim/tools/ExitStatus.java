package dev.hvsim.tools;

import dev.hvsim.machine.RunOutcome;

/**
 * The process exit statuses of {@code hvsim}. Odd statuses belong to the guest (the debug-exit port:
 * {@code (v << 1) | 1}, of which the OS keeps the low 8 bits, as with QEMU's isa-debug-exit); even
 * ones belong to hvsim.
 */
public final class ExitStatus {
    /** The guest halted for good (HLT with nothing that could wake it); also success of help/version/bench. */
    public static final int HALTED = 0;
    /** Triple fault or another shutdown. */
    public static final int SHUTDOWN = 2;
    /** The instruction limit or the timeout was reached. */
    public static final int LIMIT = 4;
    /** Bad input: a missing or unreadable file, not an ELF, an unknown profile, a bad option value. */
    public static final int BAD_INPUT = 6;
    /** {@code conform}: a property failed for some case, or an implemented rule was never violated. */
    public static final int CONFORMANCE_FAILED = 8;
    /** An unexpected internal error (a bug in hvsim): EX_SOFTWARE of sysexits.h. */
    public static final int INTERNAL = 70;

    private ExitStatus() {}

    /** The status for a guest that wrote {@code value} to the debug-exit port: the low 8 bits of (v << 1) | 1. */
    public static int guestExit(long value) {
        return (int) (((value << 1) | 1) & 0xff);
    }

    /** The status a run outcome ends the process with. */
    public static int of(RunOutcome o) {
        switch (o.kind()) {
            case HALTED: return HALTED;
            case SHUTDOWN: return SHUTDOWN;
            case GUEST_EXIT: return guestExit(((RunOutcome.GuestExit) o).value());
            case INSTRUCTION_LIMIT:
            case TIMEOUT: return LIMIT;
            default: return INTERNAL;
        }
    }
}
