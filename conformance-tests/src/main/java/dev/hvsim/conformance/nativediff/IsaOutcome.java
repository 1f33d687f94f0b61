package dev.hvsim.conformance.nativediff;

import java.util.Arrays;

/**
 * The architectural state after running an {@link IsaCase}: either at the end of the
 * sequence ({@code faultVector == NO_FAULT}, {@code ripOffset == code.length}) or at the
 * exception that stopped it. For faults (#DE, #UD, #GP, #PF ...) the state is the one at the
 * faulting instruction and {@code ripOffset} is its offset; for traps (#BP, #DB) it is the
 * state after the instruction, as the SDM defines the saved RIP.
 *
 * <p>Arrays are not copied. {@code equals} compares contents.
 *
 * @param gprs        16 GPR values in encoding order
 * @param rflags      RFLAGS restricted to {@link Flag#TRACKED}
 * @param ripOffset   final RIP minus {@link IsaLayout#CODE}
 * @param data        the whole data region, {@link IsaLayout#DATA_SIZE} bytes
 * @param faultVector exception vector (0..31), {@link #NO_FAULT} or {@link #TIMEOUT}
 */
public record IsaOutcome(long[] gprs, long rflags, long ripOffset, byte[] data, int faultVector) {
    /** No exception: the sequence ran to its end. */
    public static final int NO_FAULT = -1;
    /** The executor gave up on a case that did not finish (the harness watchdog). */
    public static final int TIMEOUT = 256;

    /** Whether the case stopped on an exception or timeout. */
    public boolean faulted() {
        return faultVector != NO_FAULT;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IsaOutcome x && Arrays.equals(gprs, x.gprs) && rflags == x.rflags
                && ripOffset == x.ripOffset && Arrays.equals(data, x.data)
                && faultVector == x.faultVector;
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(gprs) * 31 + Long.hashCode(rflags)) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("IsaOutcome[vector=").append(faultVector)
                .append(", rip=+").append(ripOffset).append(", flags=").append(Flag.names(rflags));
        for (int i = 0; i < gprs.length; i++) {
            sb.append(", ").append(IsaLayout.GPR_NAMES.get(i)).append('=').append(Hex.u64(gprs[i]));
        }
        return sb.append(']').toString();
    }
}
