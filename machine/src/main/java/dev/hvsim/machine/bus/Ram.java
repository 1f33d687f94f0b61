package dev.hvsim.machine.bus;

import java.util.Arrays;

/**
 * Sparse guest RAM from physical address 0 up to {@link #size()}: 4 KiB pages are allocated the
 * first time something asks for them, so a 4 GiB guest costs only the pages it touches (plus a small
 * two-level directory: one reference per 4 MiB of RAM, then one per page of the 4 MiB chunks in use).
 *
 * <p>Reads of a page that was never touched return zero without allocating it. Not thread-safe: a
 * machine and its CPU run on one thread.
 */
public final class Ram {
    /** Bytes per page. */
    public static final int PAGE_SIZE = 4096;
    /** Largest supported size: 1 TiB (a 52-bit physical address space is not needed by any profile). */
    public static final long MAX_SIZE = 1L << 40;
    private static final int PAGE_SHIFT = 12;
    private static final int CHUNK_SHIFT = 10; // pages per chunk: 1024 (4 MiB)

    private final long size;
    private final byte[][][] chunks;
    private long allocatedPages;

    /**
     * @param sizeBytes RAM size: a positive multiple of {@link #PAGE_SIZE}, at most {@link #MAX_SIZE}
     * @throws IllegalArgumentException for any other size
     */
    public Ram(long sizeBytes) {
        if (sizeBytes <= 0 || sizeBytes > MAX_SIZE || (sizeBytes & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("RAM size must be a positive multiple of 4 KiB up to 1 TiB, not "
                    + sizeBytes + " bytes");
        }
        this.size = sizeBytes;
        long pages = sizeBytes >>> PAGE_SHIFT;
        this.chunks = new byte[(int) ((pages + (1 << CHUNK_SHIFT) - 1) >>> CHUNK_SHIFT)][][];
    }

    /** RAM of {@code mib} MiB. */
    public static Ram ofMiB(long mib) {
        if (mib <= 0 || mib > (MAX_SIZE >>> 20)) {
            throw new IllegalArgumentException("RAM size must be 1.." + (MAX_SIZE >>> 20) + " MiB, not " + mib);
        }
        return new Ram(mib << 20);
    }

    /** Size in bytes. */
    public long size() {
        return size;
    }

    /** True when every byte of [pa, pa + length) is RAM. */
    public boolean contains(long pa, long length) {
        return pa >= 0 && length >= 0 && pa <= size && length <= size - pa;
    }

    /** Number of 4 KiB pages allocated so far. */
    public long allocatedPages() {
        return allocatedPages;
    }

    /** The page holding {@code pa}, allocating it on first touch; null when {@code pa} is not RAM. */
    public byte[] page(long pa) {
        if (pa < 0 || pa >= size) {
            return null;
        }
        long pn = pa >>> PAGE_SHIFT;
        byte[][] chunk = chunks[(int) (pn >>> CHUNK_SHIFT)];
        if (chunk == null) {
            chunk = new byte[1 << CHUNK_SHIFT][];
            chunks[(int) (pn >>> CHUNK_SHIFT)] = chunk;
        }
        int i = (int) (pn & ((1 << CHUNK_SHIFT) - 1));
        byte[] p = chunk[i];
        if (p == null) {
            p = new byte[PAGE_SIZE];
            chunk[i] = p;
            allocatedPages++;
        }
        return p;
    }

    /** The page holding {@code pa} if it was ever touched, else null (never allocates). */
    public byte[] pageIfPresent(long pa) {
        if (pa < 0 || pa >= size) {
            return null;
        }
        long pn = pa >>> PAGE_SHIFT;
        byte[][] chunk = chunks[(int) (pn >>> CHUNK_SHIFT)];
        return chunk == null ? null : chunk[(int) (pn & ((1 << CHUNK_SHIFT) - 1))];
    }

    /** One byte; {@code pa} must be RAM. Untouched pages read as zero. */
    public int readByte(long pa) {
        byte[] p = pageIfPresent(pa);
        return p == null ? 0 : p[(int) (pa & (PAGE_SIZE - 1))] & 0xff;
    }

    /** Writes one byte; {@code pa} must be RAM. */
    public void writeByte(long pa, int value) {
        page(pa)[(int) (pa & (PAGE_SIZE - 1))] = (byte) value;
    }

    /** Copies {@code length} bytes of {@code src} from {@code offset} to [pa, pa + length), which must be RAM. */
    public void write(long pa, byte[] src, int offset, int length) {
        checkRange(pa, length);
        int done = 0;
        while (done < length) {
            long a = pa + done;
            int inPage = (int) (a & (PAGE_SIZE - 1));
            int n = Math.min(length - done, PAGE_SIZE - inPage);
            System.arraycopy(src, offset + done, page(a), inPage, n);
            done += n;
        }
    }

    /** Copies [pa, pa + length), which must be RAM, into a new array. */
    public byte[] read(long pa, int length) {
        checkRange(pa, length);
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = (byte) readByte(pa + i);
        }
        return out;
    }

    /** Sets [pa, pa + length) to zero; pages never touched stay unallocated (they already read as zero). */
    public void zero(long pa, long length) {
        checkRange(pa, length);
        long end = pa + length;
        for (long a = pa; a < end; ) {
            int inPage = (int) (a & (PAGE_SIZE - 1));
            int n = (int) Math.min(end - a, PAGE_SIZE - inPage);
            byte[] p = pageIfPresent(a);
            if (p != null) {
                Arrays.fill(p, inPage, inPage + n, (byte) 0);
            }
            a += n;
        }
    }

    private void checkRange(long pa, long length) {
        if (!contains(pa, length)) {
            throw new IllegalArgumentException(String.format("[0x%x, +0x%x) is outside RAM (size 0x%x)", pa, length, size));
        }
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * A copy of RAM's contents for the debugger's snapshots, incremental: a page equal to its copy in
     * {@code previous} (a snapshot of this RAM, or null) shares that copy, so a snapshot holds new memory only for
     * the pages that changed since {@code previous}. Changed pages are found by comparing each allocated page with
     * the previous copy when the snapshot is taken, not by a write barrier: nothing is added to the write paths, so
     * a run without a debugger is unaffected.
     */
    public Snapshot snapshot(Snapshot previous) {
        long[] pns = new long[(int) Math.min(Integer.MAX_VALUE - 8, allocatedPages)];
        byte[][] copies = new byte[pns.length][];
        int n = 0, j = 0;
        long own = 0;
        for (int c = 0; c < chunks.length; c++) {
            byte[][] chunk = chunks[c];
            if (chunk == null) {
                continue;
            }
            for (int i = 0; i < chunk.length; i++) {
                byte[] p = chunk[i];
                if (p == null) {
                    continue;
                }
                long pn = ((long) c << CHUNK_SHIFT) | i;
                byte[] copy = null;
                if (previous != null) {
                    while (j < previous.pns.length && previous.pns[j] < pn) {
                        j++;
                    }
                    if (j < previous.pns.length && previous.pns[j] == pn && Arrays.equals(previous.pages[j], p)) {
                        copy = previous.pages[j];
                    }
                }
                if (copy == null) {
                    copy = p.clone();
                    own += PAGE_SIZE;
                }
                pns[n] = pn;
                copies[n++] = copy;
            }
        }
        return new Snapshot(Arrays.copyOf(pns, n), Arrays.copyOf(copies, n), own);
    }

    /** RAM's contents at one point (see {@link #snapshot(Snapshot)}). */
    public final class Snapshot implements dev.hvsim.x86core.Snapshottable.Snapshot {
        final long[] pns;
        final byte[][] pages;
        private final long own;

        Snapshot(long[] pns, byte[][] pages, long own) {
            this.pns = pns;
            this.pages = pages;
            this.own = own;
        }

        /**
         * Puts every page back in place (the page arrays keep their identity: TLBs and views that hold them stay
         * valid). A page allocated after the snapshot is zeroed, not freed (it reads as an untouched page would),
         * so {@link #allocatedPages()} keeps counting it.
         */
        @Override
        public void restore() {
            int j = 0;
            for (int c = 0; c < chunks.length; c++) {
                byte[][] chunk = chunks[c];
                if (chunk == null) {
                    continue;
                }
                for (int i = 0; i < chunk.length; i++) {
                    byte[] p = chunk[i];
                    if (p == null) {
                        continue;
                    }
                    long pn = ((long) c << CHUNK_SHIFT) | i;
                    while (j < pns.length && pns[j] < pn) {
                        page(pns[j] << PAGE_SHIFT); // allocated in the snapshot, not now (never happens: pages are not freed)
                        System.arraycopy(pages[j], 0, pageIfPresent(pns[j] << PAGE_SHIFT), 0, PAGE_SIZE);
                        j++;
                    }
                    if (j < pns.length && pns[j] == pn) {
                        if (!Arrays.equals(pages[j], p)) {
                            System.arraycopy(pages[j], 0, p, 0, PAGE_SIZE);
                        }
                        j++;
                    } else {
                        Arrays.fill(p, (byte) 0);
                    }
                }
            }
            for (; j < pns.length; j++) {
                System.arraycopy(pages[j], 0, page(pns[j] << PAGE_SHIFT), 0, PAGE_SIZE);
            }
        }

        /** Bytes of page copies this snapshot made itself (pages shared with the previous snapshot not counted). */
        @Override
        public long bytes() {
            return own + 24L * pns.length;
        }

        /** The page copies this snapshot refers to (shared ones included): for accounting over several snapshots. */
        public java.util.List<byte[]> pageCopies() {
            return java.util.Arrays.asList(pages);
        }
    }
}
