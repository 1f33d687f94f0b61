package dev.hvsim.x86core.jit;

import dev.hvsim.x86core.decode.DecodedInsn;

/**
 * One CPU's translated blocks: the hotness threshold and a bounded set. A block hangs off the decoded
 * instruction it starts at ({@link DecodedInsn#block}), so it is keyed like the decode cache (physical
 * address and code size; the block also remembers the linear RIP its constants assume) and dies with the
 * decode-cache page when that page is written. At most {@link #CAPACITY} blocks are live; the oldest is
 * dropped (its start instruction may heat up and be translated again).
 */
public final class Translations {
    /**
     * Default number of times the fast loop must reach an instruction before a block is translated from
     * it (system property {@code hvsim.jit.threshold}). HotSpot first runs a new class in its bytecode
     * interpreter, which is slower than hvsim's compiled interpreter, so translating code that runs only a
     * few hundred times costs more than it saves.
     */
    public static final int DEFAULT_THRESHOLD = 1000;
    public static final int CAPACITY = 8192;

    private final BlockTranslator translator;
    private final DecodedInsn[] owners = new DecodedInsn[CAPACITY];
    private int next;
    private long translated;
    private long refused;

    /** Reached this often, an instruction starts a translation (see {@link #DEFAULT_THRESHOLD}). */
    public final int threshold;

    public Translations(boolean amd, int threshold) {
        if (threshold < 1) {
            throw new IllegalArgumentException("translation threshold must be at least 1, not " + threshold);
        }
        this.translator = new BlockTranslator(amd);
        this.threshold = threshold;
    }

    /**
     * Translates the block starting at {@code page[offset]} (linear {@code rip}) and attaches it; when the
     * first instruction cannot be translated, marks it so that it is never tried again.
     *
     * @return true when a block is now attached
     */
    public boolean translate(DecodedInsn[] page, int offset, long rip) {
        DecodedInsn head = page[offset];
        TranslatedBlock b = translator.translate(page, offset, rip);
        if (b == null) {
            head.heat = Integer.MIN_VALUE;
            refused++;
            return false;
        }
        DecodedInsn old = owners[next];
        if (old != null) {
            old.block = null;
            old.heat = 0;
        }
        owners[next] = head;
        next = next + 1 == CAPACITY ? 0 : next + 1;
        head.block = b;
        translated++;
        return true;
    }

    /** Blocks translated so far (including dropped ones). */
    public long translated() { return translated; }

    /** Generated classes the JVM refused: a translator bug, which tests require never happens. */
    public long failures() { return translator.failures(); }

    /** Start instructions that could not be translated. */
    public long refused() { return refused; }
}
