package dev.hvsim.machine.load;

/** The CPU state a loaded guest starts in (machine/DESIGN.md, "Boot protocol"). */
public enum StartMode {
    /** Real-address mode, CS:IP derived from the entry address (flat images below 1 MiB). */
    REAL_MODE,
    /** 32-bit protected mode, flat segments, paging off (ELF guests and flat images at or above 1 MiB). */
    PROTECTED_32
}
