package dev.hvsim.machine;

import dev.hvsim.x86core.StopReason;

/**
 * A hypervisor that runs the machine's CPUs as virtual CPUs (the vmm module's Java VMM): {@link Machine} calls it
 * around each CPU's turn, so devices, timers, INIT/SIPI and the time skip for HLT stay the machine's. machine does
 * not know VMX or SVM: the driver enters the guest before the turn and handles the VM exits that stop it.
 */
public interface VcpuDriver {
    /** Before CPU {@code cpu} runs its turn (after INIT/SIPI are applied): enter guest mode if it is not in it. */
    void beforeTurn(int cpu);

    /**
     * CPU {@code cpu}'s run stopped with {@code StopReason.VM_EXIT}: handle the exit and enter the guest again.
     * Null to go on with the turn; otherwise the reason the turn ends with: {@code SHUTDOWN} (the guest triple
     * faulted; {@link #shutdownReason} says why) ends the run like a bare shutdown, {@code VM_EXIT} stops it.
     */
    StopReason vmExit(int cpu);

    /** Why the driver shut CPU {@code cpu} down (after {@link #vmExit} returned {@code SHUTDOWN}). */
    String shutdownReason(int cpu);
}
