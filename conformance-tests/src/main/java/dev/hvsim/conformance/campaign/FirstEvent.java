package dev.hvsim.conformance.campaign;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Flags;

/**
 * The executed properties' harnesses listen to their CPU with this: it records the first event (exception or
 * interrupt) an instruction delivered, so that a harness can tell "raised #UD / #GP(0)" from "completed with these
 * flags" (the VMX conventions of SDM Vol. 3C 31.2; the SVM instructions' exceptions, APM Vol. 2 15.5).
 */
public final class FirstEvent implements ExecutionListener {
    /** The vector of the first event delivered since the last {@link #step}, or -1; its error code. */
    public int vector = -1, error;

    @Override
    public boolean observesInstructions() {
        return false;
    }

    @Override
    public void onEvent(Cpu c, int v, int errorCode, boolean external) {
        if (vector < 0) {
            vector = v;
            error = errorCode;
        }
    }

    /** Runs one instruction on {@code cpu}; the RFLAGS arithmetic flags afterwards, or -1 if it raised an event. */
    long step(Cpu cpu) {
        vector = -1;
        cpu.run(1, Long.MAX_VALUE);
        return vector >= 0 ? -1 : cpu.state().rflags() & Flags.OSZAPC;
    }
}
