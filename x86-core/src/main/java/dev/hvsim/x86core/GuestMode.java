package dev.hvsim.x86core;

import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.InterceptPoint;

/**
 * The SPI through which a vendor extension turns events into VM exits. The core asks the current guest
 * mode at every intercept point; {@link NativeMode} (root mode, no guest) says no to everything. An
 * implementation that decides to exit throws {@link dev.hvsim.x86core.fault.VmExitSignal}. Instruction
 * handlers never ask "am I in a guest?": they only reach these calls.
 */
public interface GuestMode {

    /** True when a guest is running; lets the core skip intercept calls entirely in native mode. */
    boolean active();

    /** Before an instruction whose opcode row names an intercept point (after the central fault checks). */
    default void interceptInstruction(InterceptPoint point, DecodedInsn insn, Cpu cpu) {}

    /** Before an exception is delivered (SDM Vol. 3C 26.2 exception bitmap; APM 15.12). */
    default void interceptException(int vector, int errorCode, Cpu cpu) {}

    /**
     * Before an exception is delivered, with the faulting linear address of a #PF (what CR2 would receive; 0 for
     * other vectors): a VMX exit reports it as the exit qualification (SDM Vol. 3C 29.2.1), an SVM #PF intercept as
     * EXITINFO2. The core calls this one; the default forwards to {@link #interceptException(int, int, Cpu)}.
     */
    default void interceptException(int vector, int errorCode, long faultAddress, Cpu cpu) {
        interceptException(vector, errorCode, cpu);
    }

    /**
     * A fault raised while an event is being delivered, before the core combines it with that event (into #DF or a
     * shutdown, SDM Vol. 3A Table 6-5). AMD checks exception intercepts at this point (APM Vol. 2 15.7.3, 15.12: "an
     * intercepted #GP, not an intercepted #DF"); the core then asks {@link #interceptException} for the combined
     * result as before. Default: nothing (VMX consults its exception bitmap for the combined result only).
     */
    default void interceptExceptionBeforeCombining(int vector, int errorCode, long faultAddress, Cpu cpu) {}

    /** Before an I/O instruction touches the port (SDM Vol. 3C 26.1.3; APM 15.10). */
    default void interceptIo(int port, int size, boolean in, DecodedInsn insn, Cpu cpu) {}

    /** Before RDMSR/WRMSR acts (SDM Vol. 3C 26.1.3; APM 15.11). */
    default void interceptMsr(long index, boolean write, Cpu cpu) {}

    /** Before MOV to/from a control register acts. */
    default void interceptCr(int cr, boolean write, long value, Cpu cpu) {}

    /**
     * A write of CR0, CR2, CR3, CR4 or CR8 (MOV to CR, LMSW) whose value the core has found valid, before it is
     * committed and before PDPTEs are loaded: AMD checks the CR-write intercepts after the non-memory exceptions
     * (APM Vol. 2 15.9, Table 15-7), VMX at {@link #interceptCr}, before them.
     */
    default void interceptCrWrite(int cr, long value, Cpu cpu) {}

    /** Sources of a task switch for {@link #interceptTaskSwitch} (SDM Vol. 3C Table 29-2 "Exit Qualification for Task Switches"). */
    int TASK_SWITCH_CALL = 0, TASK_SWITCH_IRET = 1, TASK_SWITCH_JMP = 2, TASK_SWITCH_IDT_GATE = 3;

    /**
     * A task switch is about to begin (far CALL/JMP to a TSS or task gate, IRET with NT = 1, an event through a task
     * gate in the IDT), before any of its checks: a VMX guest exits (reason 9; SDM Vol. 3C 26.2), an SVM guest with
     * the task-switch intercept too. The core itself does not model hardware task switching.
     *
     * @param tssSelector the selector of the TSS the switch targets (the gate's selector for a task gate, the back
     *                    link for IRET)
     * @param source      one of the {@code TASK_SWITCH_*} constants
     */
    default void interceptTaskSwitch(int tssSelector, int source, Cpu cpu) {}

    /** A triple fault: a guest mode normally turns it into a VM exit instead of a shutdown. */
    default void interceptTripleFault(Cpu cpu) {}

    /**
     * Whether maskable interrupts are masked at this boundary; default: RFLAGS.IF = 0 (SDM Vol. 3A 6.8.1). A guest
     * mode may mask them by other state (AMD V_INTR_MASKING: the host's IF, APM Vol. 2 15.21.1).
     */
    default boolean maskableInterruptsMasked(Cpu cpu) {
        return (cpu.state().flagsRest & Flags.IF) == 0;
    }

    /** Before an external interrupt is accepted. */
    default void interceptInterrupt(int vector, Cpu cpu) {}

    /**
     * At an instruction boundary where the CPU checks pending events, before NMIs and interrupts are accepted
     * (SDM Vol. 3C 26.2, 26.7: interrupt- and NMI-window exits, external-interrupt and NMI exiting, the
     * VMX-preemption timer). It may throw {@link dev.hvsim.x86core.fault.VmExitSignal}. The CPU checks events only
     * when something signalled one: an implementation that must look again at the next boundary calls
     * {@link Cpu#signalEvent()}.
     */
    default void atEventBoundary(Cpu cpu) {}

    /**
     * Whether IRET removes NMI blocking ({@code CpuState.nmiBlocked}) as it does natively (SDM Vol. 3A 6.7.1). A guest
     * mode may say no: in VMX non-root operation with "NMI exiting" = 1 and "virtual NMIs" = 0 IRET does not affect
     * blocking of NMIs (SDM Vol. 3C 26.3). Asked only on IRET, never on the per-instruction path.
     */
    default boolean iretUnblocksNmis(Cpu cpu) {
        return true;
    }

    /**
     * An NMI or external interrupt was just delivered to the guest through its IDT at an instruction boundary (the
     * boundary's {@link #atEventBoundary} declined to exit); the CPU is now at the boundary before the handler's first
     * instruction. A guest mode with an exit due exactly there (VMX "monitor trap flag", SDM Vol. 3C 26.5.2) throws
     * {@link dev.hvsim.x86core.fault.VmExitSignal}.
     */
    default void eventDelivered(Cpu cpu) {}

    /**
     * The cycle count ({@link Cpu#cycles()}) at which this guest mode wants to look at an instruction boundary even
     * though the CPU is halted (e.g. the VMX-preemption timer's expiry, which a halted guest must not miss), or
     * {@link Long#MAX_VALUE}. Whoever skips time while every CPU waits (machine's run loop, a VMM's loop) takes it as
     * a wake-up deadline.
     */
    default long wakeDeadline(Cpu cpu) {
        return Long.MAX_VALUE;
    }
}
