package dev.hvsim.x86core;

/**
 * Where maskable interrupts and NMIs come from (the local APIC / PIC of the platform). The core asks at
 * instruction boundaries when {@link Cpu#signalEvent()} said something may be pending.
 */
public interface InterruptSource {
    /** The vector of the highest-priority pending maskable interrupt, or -1. Does not acknowledge. */
    int pendingInterrupt();

    /** The CPU accepted the interrupt with this vector (INTA). */
    void acknowledge(int vector);

    /** True when an NMI is pending; cleared by {@link #acknowledgeNmi()}. */
    default boolean pendingNmi() { return false; }

    default void acknowledgeNmi() {}

    InterruptSource NONE = new InterruptSource() {
        @Override public int pendingInterrupt() { return -1; }
        @Override public void acknowledge(int vector) {}
    };
}
