package dev.hvsim.x86core.fault;

/**
 * The small family of throwables that unwind from deep inside an instruction to the step loop:
 * an architectural fault, a VM exit, a triple fault. They are created without a stack trace, are
 * caught only by the CPU's step loop, and are never used for ordinary control flow.
 */
public abstract sealed class CpuSignal extends RuntimeException permits ArchFault, TripleFault, VmExitSignal {
    private static final long serialVersionUID = 1L;

    protected CpuSignal(String message) {
        super(message, null, false, false);
    }
}
