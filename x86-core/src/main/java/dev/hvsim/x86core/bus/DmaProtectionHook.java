package dev.hvsim.x86core.bus;

/**
 * The platform's device-DMA protection as the CPU reaches it: the one call an instruction makes into the chipset's
 * DMA protection. The platform registers it on each CPU ({@code Cpu.setDmaProtectionHook}); a CPU without a
 * platform that protects memory from devices has {@link #NONE}, which does nothing.
 *
 * <p>Only CPU instructions call it (SKINIT, AMD APM Vol. 2 15.27.6 step 2); it is never on the per-instruction
 * path. Implementations never throw for guest-controlled values.
 */
public interface DmaProtectionHook {

    /** A platform without device-DMA protection: nothing is protected. */
    DmaProtectionHook NONE = base -> { };

    /** Size of the secure loader block SKINIT protects (AMD APM Vol. 2 15.27.3): 64 KiB. */
    long SLB_SIZE = 0x10000;

    /**
     * SKINIT's SL_DEV protection (AMD APM Vol. 2 15.24.8 "Secure Initialization Support", 15.27.6 step 2): load the
     * host bridge's hidden SL_DEV_BASE with {@code slbBase} (64 KiB aligned, below 4 GiB) and enable the protection
     * (DEV_CR.SL_DEV_EN = 1), so that devices can no longer reach the {@link #SLB_SIZE} bytes at {@code slbBase}.
     */
    void protectSecureLoaderBlock(long slbBase);
}
