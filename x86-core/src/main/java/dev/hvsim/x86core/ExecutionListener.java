package dev.hvsim.x86core;

import dev.hvsim.x86core.decode.DecodedInsn;

/**
 * Observation of a CPU: tracing, the debugger and statistics are listeners. Every method has a no-op
 * default; the interpreter pays nothing when no listener is attached.
 */
public interface ExecutionListener {

    /**
     * Whether this listener needs {@link #beforeInstruction} and {@link #afterInstruction}; a listener that
     * answers false (it only watches events or shutdown) lets the CPU keep its fast instruction loop.
     * Asked once, when the listener is attached.
     */
    default boolean observesInstructions() {
        return true;
    }

    /** Before an instruction executes (after decoding); RIP still points at it. */
    default void beforeInstruction(Cpu cpu, DecodedInsn insn) {}

    /** After an instruction retired. */
    default void afterInstruction(Cpu cpu, DecodedInsn insn) {}

    /** An exception or interrupt is about to be delivered. */
    default void onEvent(Cpu cpu, int vector, int errorCode, boolean external) {}

    /** The CPU entered shutdown (triple fault). */
    default void onShutdown(Cpu cpu, String why) {}
}
