package dev.hvsim.machine.load;

import java.util.List;

/**
 * What a loader put into RAM and where the guest starts.
 *
 * @param format   "elf32", "elf64" or "flat"
 * @param entry    physical address of the first instruction
 * @param mode     the CPU state the guest starts in
 * @param segments the RAM ranges written, in file order
 */
public record LoadedImage(String format, long entry, StartMode mode, List<Segment> segments) {

    /** One range written by the loader: {@code fileSize} bytes copied then zeroes up to {@code memSize}. */
    public record Segment(long address, long fileSize, long memSize) {}

    public LoadedImage {
        segments = List.copyOf(segments);
    }

    /** Total bytes of RAM the image occupies. */
    public long memSize() {
        return segments.stream().mapToLong(Segment::memSize).sum();
    }
}
