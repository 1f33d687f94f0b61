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

    /**
     * A VM exit (or #VMEXIT) was taken: the guest state is saved and the host state loaded, so the CPU's registers are
     * the host's and its RIP is where the host goes on. Called by the virtualization extension, never on the
     * instruction path of a CPU that takes no exits.
     */
    default void onVmExit(Cpu cpu, VmTransition exit) {}

    /** A VM entry (VMLAUNCH, VMRESUME, VMRUN) committed: the CPU's registers are the guest's, RIP its first instruction. */
    default void onVmEntry(Cpu cpu, VmTransition entry) {}

    /**
     * A VM entry failed its checks ({@link VmTransition#failures()} names them): a VMfail (the entry instruction
     * retires with the error), an entry-failure exit or an invalid VMRUN (host state loaded).
     */
    default void onVmEntryFailed(Cpu cpu, VmTransition failure) {}

    /** The CPU entered shutdown (triple fault). */
    default void onShutdown(Cpu cpu, String why) {}
}
