package dev.hvsim.machine.dma;

/**
 * A platform agent that may refuse device DMA to a physical page (the AMD Device Exclusion Vector is
 * one). {@link DmaPath} asks it once per 4 KiB page an access touches; CPU accesses never reach it.
 * Implementations never throw for guest-controlled values.
 */
public interface DmaProtection {

    /** Never blocks anything. */
    DmaProtection NONE = new DmaProtection() {
        @Override
        public boolean blocks(DmaRequester who, long pa, boolean write) {
            return false;
        }

        @Override
        public void recordBlocked(DmaRequester who, long pa, boolean write) {
        }
    };

    /** Whether a device access by {@code who} to the page holding {@code pa} must be blocked. */
    boolean blocks(DmaRequester who, long pa, boolean write);

    /** Records a blocked access (the first address of the blocked part) where the architecture records it. */
    void recordBlocked(DmaRequester who, long pa, boolean write);
}
