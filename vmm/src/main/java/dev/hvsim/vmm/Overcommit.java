package dev.hvsim.vmm;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Memory overcommit in the Java VMM interface (issue 5 item 6): a range of guest-physical memory larger than the
 * host pages that back it. Pages are backed lazily on their first EPT violation from a fixed pool of host pages;
 * when the pool is used up the oldest resident page is reclaimed (FIFO): its contents are saved, its EPT entry
 * cleared and the TLBs invalidated (INVEPT, SDM Vol. 3C 30.4.3.1), and its host page reused. A page that comes back
 * gets its saved contents again, so no guest write is lost. {@link #reclaim} evicts on demand.
 *
 * <pre>{@code
 * Overcommit pager = new Overcommit(vmm, 0x4000_0000L, 64 << 20, 0x80_0000L, 16); // 64 MiB on 16 host pages
 * vmm.setHandler(pager);
 * }</pre>
 *
 * Host-side costs per reclaim: one 4 KiB copy out (a {@code byte[]} per saved page) and one back in; not on the
 * exit fast path of other kinds.
 */
public final class Overcommit implements ExitHandler {
    private final Vmm vmm;
    private final long first, size, pool;
    private final int poolPages;
    private final ArrayDeque<Long> resident = new ArrayDeque<>();
    private final ArrayDeque<Long> freeHost = new ArrayDeque<>();
    private final Map<Long, Long> hostOf = new HashMap<>();
    private final Map<Long, byte[]> saved = new HashMap<>();
    private long faults, reclaims;

    /**
     * @param first     first guest-physical address of the overcommitted range (4 KiB aligned)
     * @param size      its size in bytes
     * @param pool      host-physical address of the backing pool (RAM the guest does not otherwise reach)
     * @param poolPages host pages in the pool
     */
    public Overcommit(Vmm vmm, long first, long size, long pool, int poolPages) {
        if (vmm.ept() == null) {
            throw new IllegalArgumentException("overcommit needs nested paging (VMX with EPT)");
        }
        if ((first & 0xfff) != 0 || (pool & 0xfff) != 0 || size <= 0 || poolPages < 1) {
            throw new IllegalArgumentException("bad overcommit range");
        }
        this.vmm = vmm;
        this.first = first;
        this.size = size;
        this.pool = pool;
        this.poolPages = poolPages;
        for (int i = 0; i < poolPages; i++) {
            freeHost.add(pool + 4096L * i);
        }
    }

    @Override
    public Handled handle(Vcpu vcpu, GuestExit x) {
        if (x.kind() != ExitKind.NESTED_PAGE_FAULT || x.gpa() < first || x.gpa() >= first + size) {
            return null;
        }
        long gpa = x.gpa() & ~0xfffL;
        faults++;
        if (freeHost.isEmpty()) {
            reclaim(1);
        }
        long host = freeHost.poll();
        byte[] data = saved.remove(gpa);
        if (data != null) {
            vmm.machine().memory().load(host, data, 0, data.length);
        } else {
            vmm.machine().memory().zero(host, 4096);
        }
        vmm.ept().map(gpa, host);
        hostOf.put(gpa, host);
        resident.add(gpa);
        return Handled.MAPPED;
    }

    /** Reclaims up to {@code n} resident pages (oldest first); returns how many. */
    public int reclaim(int n) {
        int done = 0;
        while (done < n && !resident.isEmpty()) {
            long gpa = resident.poll();
            long host = hostOf.remove(gpa);
            vmm.ept().unmap(gpa);
            vmm.invalidate(); // before the page is reused: no vCPU may still reach it through a stale translation
            saved.put(gpa, vmm.machine().ram().read(host, 4096));
            freeHost.add(host);
            reclaims++;
            done++;
        }
        return done;
    }

    /** The guest's view of one byte of the range: the resident page, the saved copy, or 0 (never written). */
    public int guestByte(long gpa) {
        long page = gpa & ~0xfffL;
        Long host = hostOf.get(page);
        if (host != null) {
            return vmm.machine().ram().readByte(host + (gpa & 0xfff));
        }
        byte[] s = saved.get(page);
        return s == null ? 0 : s[(int) (gpa & 0xfff)] & 0xff;
    }

    public long faults() { return faults; }
    public long reclaims() { return reclaims; }
    public int residentPages() { return resident.size(); }
    public int poolPages() { return poolPages; }
    /** The host-physical range of the pool. */
    public long poolBase() { return pool; }
}
