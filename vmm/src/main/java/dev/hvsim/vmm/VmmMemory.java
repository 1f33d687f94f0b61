package dev.hvsim.vmm;

import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.bus.MmioDevice;
import dev.hvsim.x86core.bus.PageAccess;

/**
 * The VMM's own host-physical memory: control structures (VMXON regions, VMCSs, VMCBs, host save areas, I/O and MSR
 * bitmaps) and the EPT tables, in a region of the machine's memory bus above everything the guest can reach (it is
 * never mapped in EPT, so a guest cannot see it; without nested paging, see DEVIATIONS.md). Pages are handed out
 * zeroed by a bump allocator and are never freed.
 */
public final class VmmMemory implements MmioDevice, MmioDevice.PageBacked, dev.hvsim.x86core.Snapshottable {
    /** Where the region starts: 256 GiB, below both profiles' MAXPHYADDR (39 and 48 bits). */
    public static final long BASE = 0x40_0000_0000L;
    /** Its size: 64 MiB (16 Ki pages) of page-granular, lazily allocated storage. */
    public static final long SIZE = 64L << 20;
    private final byte[][] pages = new byte[(int) (SIZE >>> 12)][];
    private int next;

    /** Maps a new region on {@code bus}. */
    public static VmmMemory mapOn(MemoryBus bus) {
        VmmMemory m = new VmmMemory();
        bus.map("vmm", BASE, SIZE, m);
        return m;
    }

    /** A zeroed, 4 KiB-aligned run of {@code n} pages; its host-physical address. */
    public long allocate(int n) {
        if (next + n > pages.length) {
            throw new IllegalStateException("VMM memory exhausted (" + SIZE + " bytes)");
        }
        long pa = BASE + ((long) next << 12);
        next += n;
        return pa;
    }

    public boolean contains(long pa) {
        return pa >= BASE && pa < BASE + SIZE;
    }

    @Override
    public byte[] page(long offset) {
        int i = (int) (offset >>> 12);
        byte[] p = pages[i];
        if (p == null) {
            p = pages[i] = new byte[4096];
        }
        return p;
    }

    @Override
    public long read(long offset, int size) {
        int off = (int) (offset & 0xfff);
        if (off + size <= 4096) {
            byte[] p = pages[(int) (offset >>> 12)];
            return p == null ? 0 : PageAccess.read(p, off, size);
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (read(offset + i, 1) & 0xff) << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        int off = (int) (offset & 0xfff);
        if (off + size <= 4096) {
            PageAccess.write(page(offset), off, size, value);
            return;
        }
        for (int i = 0; i < size; i++) {
            write(offset + i, 1, value >>> (8 * i));
        }
    }

    /** Reads 8 bytes at host-physical {@code pa} inside the region. */
    long q(long pa) {
        return read(pa - BASE, 8);
    }

    void setQ(long pa, long v) {
        write(pa - BASE, 8, v);
    }

    /** Fills {@code n} bytes at host-physical {@code pa} with {@code b}. */
    void fill(long pa, long n, int b) {
        for (long i = 0; i < n; i += 8) {
            long v = (b & 0xffL) * 0x0101010101010101L;
            setQ(pa + i, v);
        }
    }

    /** The copies of the last snapshot: pages equal to them are shared, not copied again. */
    private byte[][] lastCopies;

    /**
     * The lazily backed pages (EPT/NPT tables, VMCS/VMCB regions, host areas) and the allocation mark. Incremental: a
     * page equal to its copy in the previous snapshot shares that copy. A restore writes the pages back in place (the
     * arrays keep their identity: a TLB may hold them) and zeroes pages first touched after the snapshot.
     */
    @Override
    public dev.hvsim.x86core.Snapshottable.Snapshot snapshot() {
        byte[][] copies = new byte[pages.length][];
        long own = 0;
        for (int i = 0; i < pages.length; i++) {
            byte[] p = pages[i];
            if (p != null) {
                byte[] last = lastCopies == null ? null : lastCopies[i];
                if (last != null && java.util.Arrays.equals(last, p)) {
                    copies[i] = last;
                } else {
                    copies[i] = p.clone();
                    own += 4096;
                }
            }
        }
        lastCopies = copies;
        int n = next;
        long bytes = own + 8L * pages.length;
        return new dev.hvsim.x86core.Snapshottable.Snapshot() {
            @Override
            public void restore() {
                for (int i = 0; i < pages.length; i++) {
                    if (copies[i] != null) {
                        System.arraycopy(copies[i], 0, page((long) i << 12), 0, 4096);
                    } else if (pages[i] != null) {
                        java.util.Arrays.fill(pages[i], (byte) 0);
                    }
                }
                next = n;
            }

            @Override
            public long bytes() {
                return bytes;
            }
        };
    }
}
