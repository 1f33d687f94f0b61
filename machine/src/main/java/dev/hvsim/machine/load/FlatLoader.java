package dev.hvsim.machine.load;

import dev.hvsim.machine.bus.MemoryBus;
import java.util.List;

/**
 * Loads a flat binary: the file's bytes go to RAM at a given address unchanged. The guest starts at
 * the entry address (the load address unless given) in real mode when the load address is below
 * 1 MiB, else in 32-bit protected mode (machine/DESIGN.md, "Boot protocol").
 */
public final class FlatLoader {
    /** Below this load address a flat image starts in real mode. */
    public static final long REAL_MODE_LIMIT = 0x100000;

    private FlatLoader() {}

    /**
     * Copies {@code image} to RAM at {@code address}.
     *
     * @param entry the start address, or -1 for {@code address}
     * @throws LoadException when the image or the entry is not inside RAM, or a real-mode entry is not
     *                       below 1 MiB
     */
    public static LoadedImage load(byte[] image, long address, long entry, MemoryBus bus) throws LoadException {
        long ramSize = bus.ram().size();
        if (!bus.ram().contains(address, image.length) || (image.length == 0 && address >= ramSize)) {
            throw new LoadException(String.format("flat image of %d bytes at 0x%x does not fit in RAM (%s)",
                    image.length, address, ElfLoader.describeSize(ramSize)));
        }
        long start = entry < 0 ? address : entry;
        StartMode mode = address < REAL_MODE_LIMIT ? StartMode.REAL_MODE : StartMode.PROTECTED_32;
        if (mode == StartMode.REAL_MODE && start >= REAL_MODE_LIMIT) {
            throw new LoadException(String.format("entry 0x%x of a real-mode image (loaded below 1 MiB) must be "
                    + "below 0x100000", start));
        }
        if (start >= ramSize || start > 0xffffffffL) {
            throw new LoadException(String.format("entry 0x%x is outside RAM (%s)", start,
                    ElfLoader.describeSize(ramSize)));
        }
        bus.load(address, image, 0, image.length);
        return new LoadedImage("flat", start, mode, List.of(new LoadedImage.Segment(address, image.length, image.length)));
    }
}
