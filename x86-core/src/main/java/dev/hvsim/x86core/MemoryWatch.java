package dev.hvsim.x86core;

/**
 * Data watchpoints (a debugger's {@code watch}, {@code rwatch}, {@code awatch}) without a cost on the
 * hot path: the TLB is never filled with the host page of a watched linear page, so every data access to
 * such a page misses the TLB fast paths of {@link Cpu#read}, {@link Cpu#write}, {@link Cpu#readLinear} and
 * {@link Cpu#writeLinear} and reaches the slow path, which reports it here. Instruction fetches are not
 * reported. With no watch installed ({@link Cpu#setMemoryWatch}) the CPU pays one null check per TLB fill
 * and per slow-path access.
 */
public interface MemoryWatch {

    /** Whether linear page {@code lpn} (linear address >>> 12) holds a watched byte; asked on TLB fill. */
    boolean watchesPage(long lpn);

    /**
     * A data access of {@code size} bytes at linear {@code lin} reached the slow path (before it is performed;
     * the access may still fault). To stop after the instruction, call
     * {@link Cpu#stopAfterInstruction(StopReason)}.
     */
    void accessed(Cpu cpu, long lin, int size, boolean write);
}
