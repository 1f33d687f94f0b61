package dev.hvsim.x86core;

import dev.hvsim.x86core.decode.DecodedInsn;
import org.eclipse.collections.impl.map.mutable.primitive.LongObjectHashMap;

/**
 * Decoded instructions per physical page, indexed by page offset. A page is "code" once an instruction
 * from it was cached; any write to a code page (through the CPU, the page-walker's A/D updates or a
 * {@link dev.hvsim.x86core.bus.PhysicalBus} write observer) drops the whole page, so self-modifying code,
 * including an instruction that overwrites itself or the next one, behaves as on hardware.
 * Entries remember the code size they were decoded in and are re-decoded when it differs.
 */
final class DecodeCache {
    private final Cpu cpu;
    private final LongObjectHashMap<DecodedInsn[]>[] pages;

    @SuppressWarnings("unchecked")
    DecodeCache(Cpu cpu) {
        this.cpu = cpu;
        // one map per code size (16/32/64) so a mode switch does not thrash entries
        this.pages = new LongObjectHashMap[] {new LongObjectHashMap<>(), new LongObjectHashMap<>(), new LongObjectHashMap<>()};
    }

    private static int slot(int codeSize) {
        return codeSize == 16 ? 0 : codeSize == 32 ? 1 : 2;
    }

    DecodedInsn[] page(long ppn, int codeSize) {
        LongObjectHashMap<DecodedInsn[]> m = pages[slot(codeSize)];
        DecodedInsn[] p = m.get(ppn);
        if (p == null) {
            p = new DecodedInsn[4096];
            m.put(ppn, p);
        }
        return p;
    }

    private final org.eclipse.collections.impl.set.mutable.primitive.LongHashSet code =
            new org.eclipse.collections.impl.set.mutable.primitive.LongHashSet();

    void markCode(long ppn) {
        if (code.add(ppn)) {
            cpu.codePageMarked(ppn);
        }
    }

    boolean isCode(long ppn) {
        return code.contains(ppn);
    }

    void invalidate(long ppn) {
        code.remove(ppn);
        for (LongObjectHashMap<DecodedInsn[]> m : pages) {
            m.remove(ppn);
        }
    }

    /** The physical pages marked as holding decoded code (they are write-protected in the TLB: timeline state). */
    long[] codePages() {
        return code.toArray();
    }

    /** Drops every decoded instruction and sets the code pages to {@code pages} (a snapshot's restore). */
    void resetTo(long[] pages) {
        clear();
        code.addAll(pages);
    }

    void clear() {
        code.clear();
        for (LongObjectHashMap<DecodedInsn[]> m : pages) {
            m.clear();
        }
    }
}
