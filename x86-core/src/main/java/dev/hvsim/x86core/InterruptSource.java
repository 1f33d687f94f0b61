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

    /**
     * MOV to CR8 wrote {@code cr8} (bits 3:0): the local APIC's TPR becomes {@code cr8 << 4} (SDM Vol. 3A
     * 11.8.6.1, Table 11-4 "CR8 bits 3:0 = TPR bits 7:4; TPR bits 3:0 are cleared"). A source that keeps
     * a TPR of its own stores it here and writes {@code CpuState.cr8} back when the TPR changes through
     * the APIC's registers. Not called on the per-instruction path.
     */
    default void cr8Written(long cr8) {}

    /**
     * Whether this source implements MSR {@code index} (for example IA32_TSC_DEADLINE, 0x6E0, or the
     * x2APIC range 0x800-0x8FF). RDMSR/WRMSR consult it only for MSRs the core does not implement itself.
     */
    default boolean ownsMsr(long index) { return false; }

    /** RDMSR of an MSR this source owns; may throw {@code ArchFault} (#GP). */
    default long readMsr(long index) { return 0; }

    /** WRMSR of an MSR this source owns; may throw {@code ArchFault} (#GP). */
    default void writeMsr(long index, long value) {}

    /**
     * WRMSR changed IA32_APIC_BASE from {@code oldValue} to {@code newValue} after the core checked the
     * reserved bits and the mode transitions of SDM Vol. 3A 11.12.5 (the local APIC follows the new mode:
     * disabled, xAPIC or x2APIC). Not called on the per-instruction path.
     */
    default void apicBaseWritten(long oldValue, long newValue) {}

    InterruptSource NONE = new InterruptSource() {
        @Override public int pendingInterrupt() { return -1; }
        @Override public void acknowledge(int vector) {}
    };
}
