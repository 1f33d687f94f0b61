package dev.hvsim.machine;

import dev.hvsim.x86core.StopReason;
import java.time.Duration;

/**
 * How a {@link Machine#run} ended. Dispatch on {@link #kind()}; each kind is a record with its own
 * payload and all carry the run's {@link RunStats}.
 */
public sealed interface RunOutcome {

    /** The kinds of outcome, one per record. */
    enum Kind { HALTED, SHUTDOWN, GUEST_EXIT, INSTRUCTION_LIMIT, TIMEOUT, STOPPED }

    Kind kind();

    RunStats stats();

    /** One line for humans. */
    String describe();

    /** HLT with nothing that could ever wake the CPU (no interrupt source, or IF = 0): halted for good. */
    record Halted(RunStats stats) implements RunOutcome {
        @Override public Kind kind() { return Kind.HALTED; }
        @Override public String describe() { return "guest halted"; }
    }

    /** Triple fault or another shutdown condition; {@code reason} is the core's explanation. */
    record Shutdown(String reason, RunStats stats) implements RunOutcome {
        @Override public Kind kind() { return Kind.SHUTDOWN; }
        @Override public String describe() { return "guest shut down: " + reason; }
    }

    /** The guest wrote {@code value} to the debug-exit port. */
    record GuestExit(long value, RunStats stats) implements RunOutcome {
        @Override public Kind kind() { return Kind.GUEST_EXIT; }
        @Override public String describe() { return String.format("guest exit with value %d (status %d)", value, status()); }

        /** QEMU's exit status for this value: {@code (value << 1) | 1} (before the OS keeps its low 8 bits). */
        public long status() {
            return (value << 1) | 1;
        }
    }

    /** The instruction limit was reached. */
    record InstructionLimit(long limit, RunStats stats) implements RunOutcome {
        @Override public Kind kind() { return Kind.INSTRUCTION_LIMIT; }
        @Override public String describe() { return "instruction limit of " + limit + " reached"; }
    }

    /** The wall-clock timeout expired. */
    record Timeout(Duration timeout, RunStats stats) implements RunOutcome {
        @Override public Kind kind() { return Kind.TIMEOUT; }
        @Override public String describe() { return "timeout of " + timeout.toMillis() / 1000.0 + " s expired"; }
    }

    /**
     * The CPU stopped for a reason the machine does not handle itself: {@link Machine#requestStop()}
     * from another thread, or a VM exit, breakpoint or single step that a debugger or VMM asked for.
     */
    record Stopped(StopReason reason, RunStats stats) implements RunOutcome {
        @Override public Kind kind() { return Kind.STOPPED; }
        @Override public String describe() { return "run stopped: " + reason; }
    }
}
