package dev.hvsim.x86core;

/** Why {@link Cpu#run} returned. */
public enum StopReason {
    /** HLT with interrupts disabled or no interrupt source: halted for good. */
    HALTED,
    /** HLT with interrupts enabled: waiting for an interrupt that the platform may deliver later. */
    WAITING_FOR_INTERRUPT,
    INSTRUCTION_LIMIT,
    CYCLE_LIMIT,
    BREAKPOINT,
    STEP_DONE,
    /** A guest mode turned an event into a VM exit for a Java VMM ({@link Cpu#lastVmExit()}). */
    VM_EXIT,
    /** Triple fault or another shutdown condition. */
    SHUTDOWN,
    /** A device or another thread asked the CPU to stop ({@link Cpu#requestStop}). */
    STOP_REQUESTED
}
