package dev.hvsim.x86core;

import dev.hvsim.x86core.bus.PhysicalBus;
import dev.hvsim.x86core.fault.ArchFault;

/**
 * Linear-to-physical translation (SDM Vol. 3A ch. 4): no paging, 32-bit paging (with PSE and PSE-36),
 * PAE paging (with PDPTE registers), 4-level and 5-level paging; accessed/dirty updates, NX, WP, SMEP,
 * SMAP, protection keys, global pages; exact #PF error codes (4.7). A direct-mapped software TLB caches
 * translations with per-privilege permission bits; INVLPG, INVPCID and CR3/CR4 writes invalidate it as
 * 4.10.4 requires (it may invalidate more than required, never less).
 *
 * <p>With a {@link SecondStage} installed (EPT, nested paging), every guest paging-structure read and
 * A/D write, every PDPTE load and the final guest-physical address go through it, and the TLB caches
 * final linear to host-physical translations, limited to the accesses both stages allow. Without one
 * the only extra cost is a null check on a TLB miss.
 */
public final class Mmu {
    public static final int READ = 0, WRITE = 1, EXEC = 2;
    /** #PF error-code bits (SDM Vol. 3A 4.7, Figure 4-12). */
    public static final int PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 16, PF_PK = 32;

    static final int TLB_BITS = 10, TLB_SIZE = 1 << TLB_BITS;
    /** TLB permission bits: supervisor read/write/exec, user read/write/exec. */
    static final int P_SR = 1, P_SW = 2, P_SX = 4, P_UR = 8, P_UW = 16, P_UX = 32;

    private final Cpu cpu;
    private final PhysicalBus bus;
    private final long physMask;
    // The TLB of the current translation context. Not final: switchContext swaps in another context's arrays
    // (the hot paths read the fields as before; nothing else changes for them).
    long[] tlbTag = new long[TLB_SIZE];
    long[] tlbPhys = new long[TLB_SIZE];
    byte[][] tlbPage = new byte[TLB_SIZE][];
    int[] tlbPerm = new int[TLB_SIZE];
    boolean[] tlbGlobal = new boolean[TLB_SIZE];
    long[] tlbLargeMask = new long[TLB_SIZE];
    /** The current translation context (see {@link #switchContext}); (0, -1) until a vendor model switches. */
    private long ctxSpace, ctxRoot = -1;
    /** The holder of the current context's arrays (the fields above), parked in {@link #saved} when another runs. */
    private TlbContext current = new TlbContext(tlbTag, tlbPhys, tlbPage, tlbPerm, tlbGlobal, tlbLargeMask);
    /** The TLBs of other contexts, most recently used first, at most {@link #MAX_SAVED_CONTEXTS}. */
    private final java.util.ArrayList<TlbContext> saved = new java.util.ArrayList<>();
    static final int MAX_SAVED_CONTEXTS = 8;
    /** PAE PDPTE registers (SDM Vol. 3A 4.4.1), loaded on CR3 writes in PAE mode. */
    public final long[] pdpte = new long[4];
    /** Paging-structure memory references performed (for cycle accounting). */
    long walkRefs;
    /**
     * Statistics (plain increments, no allocation): TLB hits (the data fast paths of {@link Cpu}, translated code's
     * TLB probes and {@link #translate}), page walks (TLB misses), and the walks made and references they cost while
     * a second stage was installed (completed walks only: one ended by a VM exit is counted in neither).
     */
    long tlbHits, walks, nestedWalks, nestedWalkRefs;
    /** Cycles per paging-structure reference (profile's pageWalkReference). */
    private final int refCost;
    /** The one walk record, reused: walks never nest (no allocation on a TLB miss). */
    private final Walk scratch = new Walk();
    /** The installed second stage, or null for none (guest-physical = host-physical). */
    private SecondStage secondStage;

    Mmu(Cpu cpu, PhysicalBus bus, int maxPhysAddr) {
        this.cpu = cpu;
        this.bus = bus;
        this.physMask = (1L << maxPhysAddr) - 1;
        this.refCost = Math.max(1, cpu.profile().pageWalkReference());
        flushAll();
    }

    public long physAddrMask() {
        return physMask;
    }

    // ---------------------------------------------------------------- second stage

    /** Installs a second stage ({@code null} or {@link SecondStage#IDENTITY} for none); flushes the TLB if it changes. */
    void setSecondStage(SecondStage s) {
        SecondStage n = s == SecondStage.IDENTITY ? null : s;
        if (n != secondStage) {
            secondStage = n;
            flushAll();
        }
    }

    /** The installed second stage; {@link SecondStage#IDENTITY} when none. */
    public SecondStage secondStage() {
        return secondStage == null ? SecondStage.IDENTITY : secondStage;
    }

    /** Paging-structure memory references made so far by this CPU's walks, both stages (cycle accounting). */
    public long walkReferences() {
        return walkRefs;
    }

    /** TLB lookups that hit: accesses served without a walk (instruction fetches count once per page entered). */
    public long tlbHits() {
        return tlbHits;
    }

    /** Page walks (TLB misses that walked, including the fills made with paging off). */
    public long walks() {
        return walks;
    }

    /** Completed walks made while a second stage (EPT or nested paging) was installed. */
    public long nestedWalks() {
        return nestedWalks;
    }

    /**
     * Memory references of the {@link #nestedWalks()}, both stages: a cold 4-level guest walk under a 4-level second
     * stage with 4 KiB pages makes 24 (no paging-structure caches are modelled, so every such walk is cold).
     */
    public long nestedWalkReferences() {
        return nestedWalkRefs;
    }

    /** Counts {@code n} paging-structure references made by a second-stage walk and charges their cycles. */
    public void chargeWalkReferences(int n) {
        walkRefs += n;
        cpu.addCycles((long) n * refCost);
    }

    // ---------------------------------------------------------------- PAE PDPTE registers

    /**
     * Loads the four PDPTE registers from the 32-byte aligned table at CR3[31:5] (SDM Vol. 3A 4.4.1):
     * done by MOV to CR3 in PAE paging, by MOV to CR0/CR4 that enable PAE paging or change CR4.PGE,
     * PSE, PAE or SMEP in it. A present entry with a reserved bit set (bits 2:1, 8:5, 63:MAXPHYADDR)
     * makes the instruction #GP(0); then nothing is loaded.
     */
    public void loadPdptes(long cr3) {
        long base = cr3 & 0xffffffe0L;
        long rsvd = 0x1e6L | ~physMask;
        long[] e = new long[4];
        for (int i = 0; i < 4; i++) {
            long a = base + 8L * i;
            if (secondStage != null) {
                a = secondStage.translate(a, SecondStage.READ, SecondStage.PAGING_STRUCTURE, 0);
            }
            e[i] = bus.read(a, 8);
            if ((e[i] & 1) != 0 && (e[i] & rsvd) != 0) {
                throw ArchFault.gp0();
            }
        }
        System.arraycopy(e, 0, pdpte, 0, 4);
        walkRefs += 4;
    }

    // ---------------------------------------------------------------- TLB maintenance

    public void flushAll() {
        java.util.Arrays.fill(tlbTag, -1L);
        java.util.Arrays.fill(tlbPage, null);
        cpu.fetchInvalidate();
    }

    /**
     * Recomputes the host page of every TLB entry after the watched pages changed ({@link MemoryWatch}):
     * watched pages lose it, the others get it back. The translations themselves are kept.
     */
    void refreshHostPages() {
        MemoryWatch watch = cpu.memoryWatch;
        for (int i = 0; i < TLB_SIZE; i++) {
            if (tlbTag[i] != -1L) {
                tlbPage[i] = watch != null && watch.watchesPage(tlbTag[i]) ? null : bus.ramPage(tlbPhys[i]);
            }
        }
    }

    /** CR3 write without PCID preservation semantics: drops every non-global translation. */
    public void flushNonGlobal() {
        for (int i = 0; i < TLB_SIZE; i++) {
            if (!tlbGlobal[i]) {
                tlbTag[i] = -1L;
                tlbPage[i] = null;
            }
        }
        cpu.fetchInvalidate();
    }

    /** INVLPG / INVPCID individual address: the page and any large page containing it. */
    public void flushPage(long linear) {
        flushPage(tlbTag, tlbPage, tlbLargeMask, linear);
        cpu.fetchInvalidate();
    }

    private static void flushPage(long[] tag, byte[][] page, long[] largeMask, long linear) {
        long lpn = linear >>> 12;
        for (int i = 0; i < TLB_SIZE; i++) {
            long t = tag[i];
            if (t == lpn || t != -1L && largeMask[i] != 0 && ((t << 12) & ~largeMask[i]) == (linear & ~largeMask[i])) {
                tag[i] = -1L;
                page[i] = null;
            }
        }
    }

    /** Drops write permission for translations to a physical page that now holds decoded code (every context). */
    void protectCodePage(long ppn) {
        protect(tlbTag, tlbPhys, tlbPerm, ppn);
        for (TlbContext c : saved) {
            protect(c.tag, c.phys, c.perm, ppn);
        }
    }

    private static void protect(long[] tag, long[] phys, int[] perm, long ppn) {
        for (int i = 0; i < TLB_SIZE; i++) {
            if (tag[i] != -1L && (phys[i] >>> 12) == ppn) {
                perm[i] &= ~(P_SW | P_UW);
            }
        }
    }

    // ---------------------------------------------------------------- tagged TLB (translation contexts)

    /** Makes {@code in} the current TLB context of (space, root): the array fields the lookups read point into it. */
    private void makeCurrent(TlbContext in, long space, long root) {
        current = in;
        ctxSpace = space;
        ctxRoot = root;
        tlbTag = in.tag;
        tlbPhys = in.phys;
        tlbPage = in.page;
        tlbPerm = in.perm;
        tlbGlobal = in.global;
        tlbLargeMask = in.largeMask;
    }

    /**
     * Switches the TLB to the translation context {@code (space, root)} and installs {@code stage} as the second
     * stage, without flushing: the current context's translations are kept aside and the new context gets the
     * translations it had when it was last left (none if it is new or was evicted). A vendor model calls this at
     * VM entry and VM exit; {@code space} is the VPID or ASID (0 for the host), {@code root} the EPTP or nested CR3
     * (-1 without a second stage). At most {@link #MAX_SAVED_CONTEXTS} other contexts are kept (least recently used
     * dropped: a flush, which the architecture always allows).
     *
     * <p>Call it while the CPU still holds the old context's registers, load the new context's registers, then
     * call {@link #contextStateLoaded}: a context whose paging controls (CR0.PG/PE/WP/CD, CR3, CR4, EFER,
     * IA32_PAT) differ from those it was left with is flushed then, so cached permissions never outlive the state
     * they were computed under.
     */
    public void switchContext(long space, long root, SecondStage stage) {
        secondStage = stage == SecondStage.IDENTITY ? null : stage;
        if (space == ctxSpace && root == ctxRoot) {
            pending.capture(cpu.state());
            cpu.fetchInvalidate();
            return;
        }
        // No allocation once every context has its arrays: the current context's holder is parked in the saved
        // list and the incoming one's holder becomes current (a holder is made only for a context never seen).
        TlbContext out = current;
        out.space = ctxSpace;
        out.root = ctxRoot;
        out.signature.capture(cpu.state());
        TlbContext in = null;
        TlbContext evicted = null;
        int n = saved.size();
        for (int i = 0; i < n; i++) {
            TlbContext c = saved.get(i);
            if (c.space == space && c.root == root) {
                in = c;
                for (int j = i; j > 0; j--) { // out takes in's place at the front; the ones before in move down
                    saved.set(j, saved.get(j - 1));
                }
                saved.set(0, out);
                break;
            }
        }
        if (in == null) {
            saved.add(0, out);
            evicted = saved.size() > MAX_SAVED_CONTEXTS ? saved.remove(saved.size() - 1) : null;
        }
        boolean fresh = in == null;
        if (fresh) {
            in = evicted != null ? evicted : new TlbContext(new long[TLB_SIZE], new long[TLB_SIZE],
                    new byte[TLB_SIZE][], new int[TLB_SIZE], new boolean[TLB_SIZE], new long[TLB_SIZE]);
            in.space = space;
            in.root = root;
        }
        makeCurrent(in, space, root);
        if (fresh) {
            pending.valid = false;
            flushAll();
        } else {
            pending.copy(in.signature);
            if (cpu.memoryWatch != null) {
                refreshHostPages();
            }
        }
        cpu.fetchInvalidate();
    }

    /** The paging controls the context switched to by {@link #switchContext} was left with (not valid: nothing to check). */
    private final Signature pending = new Signature();

    /** After {@link #switchContext} and loading the new context's registers: flushes if its paging controls changed. */
    public void contextStateLoaded() {
        if (pending.valid && !pending.matches(cpu.state())) {
            flushAll();
        }
        pending.valid = false;
        cpu.fetchInvalidate();
    }

    /** The current translation context's space (VPID/ASID) and root (EPTP/nested CR3, -1 for none). */
    public long contextSpace() { return ctxSpace; }
    public long contextRoot() { return ctxRoot; }

    /**
     * Invalidates the translations of every context matching {@code space} and {@code root} (-1: any), the current
     * one included: all of them, or only the non-global ones when {@code keepGlobal} (INVVPID, INVEPT,
     * INVLPGA-style invalidation of other contexts).
     */
    public void invalidateContexts(long space, long root, boolean keepGlobal) {
        for (TlbContext c : saved) {
            if (matches(c.space, c.root, space, root)) {
                c.flush(keepGlobal);
            }
        }
        if (matches(ctxSpace, ctxRoot, space, root)) {
            if (keepGlobal) {
                flushNonGlobal();
            } else {
                flushAll();
            }
        }
    }

    /** Invalidates the translations of {@code linear} in every context of {@code space} (-1: any). */
    public void invalidateContextPage(long space, long linear) {
        for (TlbContext c : saved) {
            if (space == -1 || c.space == space) {
                flushPage(c.tag, c.page, c.largeMask, linear);
            }
        }
        if (space == -1 || ctxSpace == space) {
            flushPage(linear);
        }
    }

    private static boolean matches(long cSpace, long cRoot, long space, long root) {
        return (space == -1 || cSpace == space) && (root == -1 || cRoot == root);
    }

    /** What cached permissions and translations were computed under (mutable, reused: no allocation per switch). */
    private static final class Signature {
        long cr0, cr3, cr4, efer, pat;
        boolean valid;

        void capture(CpuState st) {
            cr0 = st.cr0 & (Cpu.CR0_PG | Cpu.CR0_PE | Cpu.CR0_WP | Cpu.CR0_CD);
            cr3 = st.cr3;
            cr4 = st.cr4;
            efer = st.efer;
            pat = st.msr(Msr.IA32_PAT);
            valid = true;
        }

        void copy(Signature o) {
            cr0 = o.cr0;
            cr3 = o.cr3;
            cr4 = o.cr4;
            efer = o.efer;
            pat = o.pat;
            valid = o.valid;
        }

        boolean matches(CpuState st) {
            return cr0 == (st.cr0 & (Cpu.CR0_PG | Cpu.CR0_PE | Cpu.CR0_WP | Cpu.CR0_CD)) && cr3 == st.cr3
                    && cr4 == st.cr4 && efer == st.efer && pat == st.msr(Msr.IA32_PAT);
        }
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * A copy of the TLB of every context (the current one and the saved VPID/ASID-tagged ones: architecturally
     * visible, and a miss costs cycles, so a restore must not flush), the context tags, the PDPTE registers, the
     * counters and the installed second stage. Host-page references are copied as references: RAM pages keep their
     * identity across a restore (the machine restores their contents in place).
     */
    Snapshottable.Snapshot snapshot() {
        TlbCopy cur = TlbCopy.of(current, ctxSpace, ctxRoot);
        TlbCopy[] others = new TlbCopy[saved.size()];
        for (int i = 0; i < others.length; i++) {
            others[i] = TlbCopy.of(saved.get(i), saved.get(i).space, saved.get(i).root);
        }
        Signature pend = new Signature();
        pend.copy(pending);
        long[] pd = pdpte.clone();
        long wr = walkRefs, hits = tlbHits, w = walks, nw = nestedWalks, nwr = nestedWalkRefs;
        SecondStage stage = secondStage;
        long size = cur.bytes();
        for (TlbCopy o : others) {
            size += o.bytes();
        }
        long bytes = size;
        return new Snapshottable.Snapshot() {
            @Override
            public void restore() {
                makeCurrent(cur.context(), cur.space, cur.root);
                saved.clear();
                for (TlbCopy o : others) {
                    saved.add(o.context());
                }
                pending.copy(pend);
                System.arraycopy(pd, 0, pdpte, 0, 4);
                walkRefs = wr;
                tlbHits = hits;
                walks = w;
                nestedWalks = nw;
                nestedWalkRefs = nwr;
                secondStage = stage;
            }

            @Override
            public long bytes() {
                return bytes;
            }
        };
    }

    /**
     * The valid entries of one context's TLB (an entry whose tag is -1 is invalid and no reader looks at its other
     * fields), with the context's tags and signature: a snapshot holds only what is cached, not 1024 slots.
     */
    private static final class TlbCopy {
        final long space, root;
        final int[] index, perm;
        final long[] tag, phys, largeMask;
        final byte[][] page;
        final boolean[] global;
        final Signature signature = new Signature();

        private TlbCopy(long space, long root, int n) {
            this.space = space;
            this.root = root;
            index = new int[n];
            perm = new int[n];
            tag = new long[n];
            phys = new long[n];
            largeMask = new long[n];
            page = new byte[n][];
            global = new boolean[n];
        }

        static TlbCopy of(TlbContext c, long space, long root) {
            int n = 0;
            for (int i = 0; i < TLB_SIZE; i++) {
                if (c.tag[i] != -1L) {
                    n++;
                }
            }
            TlbCopy k = new TlbCopy(space, root, n);
            for (int i = 0, j = 0; i < TLB_SIZE; i++) {
                if (c.tag[i] != -1L) {
                    k.index[j] = i;
                    k.tag[j] = c.tag[i];
                    k.phys[j] = c.phys[i];
                    k.perm[j] = c.perm[i];
                    k.largeMask[j] = c.largeMask[i];
                    k.page[j] = c.page[i];
                    k.global[j] = c.global[i];
                    j++;
                }
            }
            k.signature.copy(c.signature);
            return k;
        }

        /** A new context holding these entries (every other slot invalid). */
        TlbContext context() {
            TlbContext t = new TlbContext(new long[TLB_SIZE], new long[TLB_SIZE], new byte[TLB_SIZE][],
                    new int[TLB_SIZE], new boolean[TLB_SIZE], new long[TLB_SIZE]);
            java.util.Arrays.fill(t.tag, -1L);
            for (int j = 0; j < index.length; j++) {
                int i = index[j];
                t.tag[i] = tag[j];
                t.phys[i] = phys[j];
                t.perm[i] = perm[j];
                t.largeMask[i] = largeMask[j];
                t.page[i] = page[j];
                t.global[i] = global[j];
            }
            t.space = space;
            t.root = root;
            t.signature.copy(signature);
            return t;
        }

        long bytes() {
            return 200 + 45L * index.length;
        }
    }

    /** One context's TLB arrays, kept while another context runs. */
    private static final class TlbContext {
        long space, root;
        final long[] tag, phys, largeMask;
        final byte[][] page;
        final int[] perm;
        final boolean[] global;
        final Signature signature = new Signature();

        TlbContext(long[] tag, long[] phys, byte[][] page, int[] perm, boolean[] global, long[] largeMask) {
            this.tag = tag;
            this.phys = phys;
            this.page = page;
            this.perm = perm;
            this.global = global;
            this.largeMask = largeMask;
        }

        void flush(boolean keepGlobal) {
            for (int i = 0; i < TLB_SIZE; i++) {
                if (!keepGlobal || !global[i]) {
                    tag[i] = -1L;
                    page[i] = null;
                }
            }
        }
    }

    static int index(long lpn) {
        return (int) (lpn ^ (lpn >>> TLB_BITS)) & (TLB_SIZE - 1);
    }

    // ---------------------------------------------------------------- translation

    /**
     * Translates a linear address for an access, filling the TLB. {@code user} is true for accesses
     * made with CPL 3 that are not implicit supervisor accesses (SDM Vol. 3A 4.6).
     *
     * @return the physical address
     */
    public long translate(long lin, int access, boolean user) {
        long lpn = lin >>> 12;
        int i = index(lpn);
        int need = permBit(access, user);
        if (tlbTag[i] == lpn && (tlbPerm[i] & need) != 0) {
            tlbHits++;
            return tlbPhys[i] | (lin & 0xfff);
        }
        return walk(lin, access, user, true);
    }

    static int permBit(int access, boolean user) {
        int b = access == READ ? P_SR : access == WRITE ? P_SW : P_SX;
        return user ? b << 3 : b;
    }

    /** Walks without touching the TLB or A/D bits (for debuggers); returns -1 if not mapped. */
    public long probe(long lin) {
        if (!cpu.pagingEnabled()) {
            long gpa = cpu.longMode() ? lin : lin & 0xffffffffL;
            return secondStage == null ? gpa : secondStage.probe(gpa);
        }
        Walk w = new Walk();
        w.probe = true;
        if (!walkTables(lin, w, false) || w.probeFailed) {
            return -1;
        }
        return secondStage == null ? w.phys : secondStage.probe(w.phys);
    }

    static final class Walk {
        long phys;
        long pageMask; // 0xfff, 0x1fffff, 0x3fffff, 0x3fffffff
        boolean user = true, writable = true, nx, dirty, global;
        int key;
        int faultCode; // #PF error code bits P/RSVD when the walk fails
        long[] entryAddr = new long[5];
        /** Host-physical address of each entry, and whether the second stage let it be written. */
        long[] entryHpa = new long[5];
        boolean[] entryWritable = new boolean[5];
        int levels;
        int leafLevelIndex;
        /** PAT index (PAT, PCD, PWT) of the leaf entry. */
        int patIndex;
        /** Second-stage flags for this walk's paging-structure accesses; the linear address walked. */
        int ssFlags;
        long lin;
        /** A debugger probe: entries are read with {@link SecondStage#probe}; set when one is unmapped. */
        boolean probe, probeFailed;

        void reset() {
            phys = 0;
            pageMask = 0;
            user = true;
            writable = true;
            nx = false;
            dirty = false;
            global = false;
            key = 0;
            faultCode = 0;
            levels = 0;
            leafLevelIndex = 0;
            patIndex = 0;
        }
    }

    private long walk(long lin, int access, boolean user, boolean fill) {
        walks++;
        long refs0 = walkRefs;
        if (!cpu.pagingEnabled()) {
            long pa = (cpu.longMode() ? lin : lin & 0xffffffffL) & physMask;
            int perm = P_SR | P_SW | P_SX | P_UR | P_UW | P_UX;
            if (secondStage != null) {
                pa = secondStage.translate(pa, access, SecondStage.LINEAR_VALID | (user ? SecondStage.USER : 0)
                        | (cpu.cr0(Cpu.CR0_CD) ? SecondStage.CACHE_DISABLED : 0), lin);
                perm &= allowedPerms(secondStage.lastAllowed(), access);
                countNested(refs0);
            }
            fill(lin, pa & ~0xfffL, perm, false, 0);
            return pa;
        }
        Walk w = scratch;
        w.reset();
        w.lin = lin;
        w.ssFlags = SecondStage.PAGING_STRUCTURE | SecondStage.LINEAR_VALID | (user ? SecondStage.USER : 0);
        boolean ok = walkTables(lin, w, true);
        // I/D is set for fetches only when SMEP or (PAE/4-level paging with NXE) (SDM Vol. 3A 4.7).
        boolean fetchBit = cpu.cr4(Cpu.CR4_SMEP) || cpu.nxEnabled() && cpu.cr4(Cpu.CR4_PAE);
        int errAccess = (access == WRITE ? PF_W : 0) | (user ? PF_U : 0)
                | (access == EXEC && fetchBit ? PF_I : 0);
        walkRefs += w.levels;
        if (!ok) {
            cpu.addCycles((long) w.levels * refCost);
            if (secondStage != null) {
                countNested(refs0);
            }
            throw ArchFault.pageFault(w.faultCode | errAccess, lin);
        }
        int perm = permissions(w);
        int need = permBit(access, user);
        boolean allowed = (perm & need) != 0;
        if (!allowed) {
            // SMAP with RFLAGS.AC for explicit supervisor data accesses (SDM Vol. 3A 4.6.1).
            if (!user && access != EXEC && w.user && cpu.cr4(Cpu.CR4_SMAP) && cpu.acAllowsSmap()
                    && (access == READ || w.writable || !cpu.cr0(Cpu.CR0_WP))) {
                allowed = pkAllows(w, access, user);
            } else if (access == WRITE && !w.dirty && writeAllowedIgnoringDirty(w, user)) {
                allowed = true; // first write: set D below
            }
        }
        if (!allowed) {
            int pk = w.user && cpu.cr4(Cpu.CR4_PKE) && access != EXEC && !pkAllows(w, access, user) ? PF_PK : 0;
            throw ArchFault.pageFault(PF_P | errAccess | pk, lin);
        }
        setAccessedDirty(w, access == WRITE);
        cpu.addCycles((long) w.levels * refCost);
        if (access == WRITE) {
            w.dirty = true;
            perm = permissions(w);
        }
        long pa = w.phys;
        if (secondStage != null) {
            int f = SecondStage.LINEAR_VALID | (user ? SecondStage.USER : 0) | (w.user ? SecondStage.GUEST_USER_PAGE : 0)
                    | (w.writable ? SecondStage.GUEST_WRITABLE_PAGE : 0) | (w.nx ? SecondStage.GUEST_NX_PAGE : 0)
                    | (cpu.cr0(Cpu.CR0_CD) ? SecondStage.CACHE_DISABLED : 0) | w.patIndex << SecondStage.PAT_SHIFT;
            pa = secondStage.translate(pa, access, f, lin);
            perm &= allowedPerms(secondStage.lastAllowed(), access);
            countNested(refs0);
        }
        if (fill) {
            fill(lin, pa & ~0xfffL, perm, w.global && cpu.cr4(Cpu.CR4_PGE), w.pageMask == 0xfff ? 0 : w.pageMask);
        }
        return pa;
    }

    private void countNested(long refs0) {
        nestedWalks++;
        nestedWalkRefs += walkRefs - refs0;
    }

    /** TLB permission bits for the accesses a second stage allows (always including the one it just checked). */
    private static int allowedPerms(int allowed, int access) {
        allowed |= 1 << access;
        int p = 0;
        if ((allowed & SecondStage.ALLOW_READ) != 0) {
            p |= P_SR | P_UR;
        }
        if ((allowed & SecondStage.ALLOW_WRITE) != 0) {
            p |= P_SW | P_UW;
        }
        if ((allowed & SecondStage.ALLOW_EXEC) != 0) {
            p |= P_SX | P_UX;
        }
        return p;
    }

    /**
     * Reads guest paging-structure entry {@code k} of a walk at guest-physical {@code addr}: through the
     * second stage when one is installed (a paging-structure read, SDM Vol. 3C 29.3.3; APM 15.25.5),
     * remembering its host-physical address for the A/D write-back.
     */
    private long readEntry(Walk w, int k, long addr, int size) {
        w.entryAddr[k] = addr;
        SecondStage ss = secondStage;
        if (ss == null) {
            w.entryHpa[k] = addr;
            w.entryWritable[k] = true;
            return bus.read(addr, size);
        }
        long hpa;
        if (w.probe) {
            hpa = ss.probe(addr);
            if (hpa == -1) {
                w.probeFailed = true;
                return 0;
            }
        } else {
            hpa = ss.translate(addr, SecondStage.READ, w.ssFlags, w.lin);
            w.entryWritable[k] = (ss.lastAllowed() & SecondStage.ALLOW_WRITE) != 0;
        }
        w.entryHpa[k] = hpa;
        return bus.read(hpa, size);
    }

    private boolean writeAllowedIgnoringDirty(Walk w, boolean user) {
        if (user) {
            return w.user && w.writable && pkAllows(w, WRITE, true);
        }
        return (w.writable || !cpu.cr0(Cpu.CR0_WP)) && !(w.user && cpu.cr4(Cpu.CR4_SMAP))
                && pkAllows(w, WRITE, false);
    }

    private void fill(long lin, long pageBase, int perm, boolean global, long largeMask) {
        long lpn = lin >>> 12;
        int i = index(lpn);
        long ppn = pageBase >>> 12;
        if (cpu.isCodePage(ppn)) {
            perm &= ~(P_SW | P_UW);
        }
        tlbTag[i] = lpn;
        tlbPhys[i] = pageBase;
        // A watched page never gets its host page: every access to it takes the slow path (MemoryWatch).
        MemoryWatch watch = cpu.memoryWatch;
        tlbPage[i] = watch != null && watch.watchesPage(lpn) ? null : bus.ramPage(pageBase);
        tlbPerm[i] = perm;
        tlbGlobal[i] = global;
        tlbLargeMask[i] = largeMask;
    }

    /** Permission bits for a completed walk (SDM Vol. 3A 4.6: WP, SMEP, SMAP, NX, PKRU). */
    private int permissions(Walk w) {
        boolean wp = cpu.cr0(Cpu.CR0_WP);
        boolean smep = cpu.cr4(Cpu.CR4_SMEP);
        boolean smap = cpu.cr4(Cpu.CR4_SMAP);
        int p = 0;
        boolean superData = !(w.user && smap);
        if (superData && pkAllows(w, READ, false)) {
            p |= P_SR;
        }
        if (superData && w.dirty && (w.writable || !wp) && pkAllows(w, WRITE, false)) {
            p |= P_SW;
        }
        if (!w.nx && !(w.user && smep)) {
            p |= P_SX;
        }
        if (w.user) {
            if (pkAllows(w, READ, true)) {
                p |= P_UR;
            }
            if (w.writable && w.dirty && pkAllows(w, WRITE, true)) {
                p |= P_UW;
            }
            if (!w.nx) {
                p |= P_UX;
            }
        }
        return p;
    }

    /** Protection keys (SDM Vol. 3A 4.6.2): apply to data accesses to user-mode pages in 4/5-level paging. */
    private boolean pkAllows(Walk w, int access, boolean user) {
        if (!w.user || !cpu.cr4(Cpu.CR4_PKE) || !cpu.longMode() || access == EXEC) {
            return true;
        }
        int pkru = cpu.state().pkru >>> (2 * w.key);
        boolean ad = (pkru & 1) != 0, wd = (pkru & 2) != 0;
        if (ad) {
            return false;
        }
        return !(access == WRITE && wd && (user || cpu.cr0(Cpu.CR0_WP)));
    }

    private boolean walkTables(long lin, Walk w, boolean countRefs) {
        CpuState s = cpu.state();
        if (!cpu.cr4(Cpu.CR4_PAE)) {
            return walk32(lin, w, s);
        }
        if (!cpu.longMode()) {
            return walkPae(lin, w);
        }
        int levels = cpu.cr4(Cpu.CR4_LA57) ? 5 : 4;
        long table = s.cr3 & physMask & ~0xfffL;
        return walkLong(lin, w, table, levels, levels);
    }

    /** 32-bit paging (SDM Vol. 3A 4.3). */
    private boolean walk32(long lin, Walk w, CpuState s) {
        long pdeAddr = (s.cr3 & 0xfffff000L) | ((lin >>> 20) & 0xffc);
        long pde = readEntry(w, 0, pdeAddr, 4);
        w.levels = 1;
        if ((pde & 1) == 0) {
            return fault(w, 0);
        }
        accumulate(w, pde, false);
        if ((pde & 0x80) != 0 && cpu.cr4(Cpu.CR4_PSE)) {
            // 4 MiB page; PSE-36 bits 20:13 supply physical bits 39:32 (4.3, Table 4-4).
            long high = ((pde >>> 13) & 0xffL) << 32;
            if ((pde & (1L << 21)) != 0 || (high & ~physMask) != 0) {
                return fault(w, PF_RSVD | PF_P);
            }
            w.phys = (pde & 0xffc00000L) | high | (lin & 0x3fffff);
            w.pageMask = 0x3fffff;
            w.dirty = (pde & 0x40) != 0;
            w.global = (pde & 0x100) != 0;
            w.leafLevelIndex = 0;
            w.patIndex = patIndex(pde, 1L << 12);
            return true;
        }
        long pteAddr = (pde & 0xfffff000L) | ((lin >>> 10) & 0xffc);
        long pte = readEntry(w, 1, pteAddr, 4);
        w.levels = 2;
        if ((pte & 1) == 0) {
            return fault(w, 0);
        }
        accumulate(w, pte, false);
        w.phys = (pte & 0xfffff000L) | (lin & 0xfff);
        w.pageMask = 0xfff;
        w.dirty = (pte & 0x40) != 0;
        w.global = (pte & 0x100) != 0;
        w.leafLevelIndex = 1;
        w.patIndex = patIndex(pte, 0x80);
        return true;
    }

    /** PAE paging (SDM Vol. 3A 4.4) using the PDPTE registers. */
    private boolean walkPae(long lin, Walk w) {
        long e = pdpte[(int) ((lin >>> 30) & 3)];
        if ((e & 1) == 0) {
            w.levels = 0;
            return fault(w, 0);
        }
        return walkLong(lin, w, e & physMask & ~0xfffL, 2, 2);
    }

    /** IA-32e 4/5-level walk, also the PDE/PTE part of PAE (SDM Vol. 3A 4.5). */
    private boolean walkLong(long lin, Walk w, long table, int levels, int remaining) {
        int n = 0;
        boolean pae = !cpu.longMode();
        for (int level = remaining; level >= 1; level--) {
            int shift = 12 + 9 * (level - 1);
            long addr = table | (((lin >>> shift) & 0x1ff) << 3);
            long e = readEntry(w, n, addr, 8);
            n++;
            w.levels = n;
            if ((e & 1) == 0) {
                return fault(w, 0);
            }
            boolean ps = (e & 0x80) != 0;
            if (reserved(e, level, ps, pae)) {
                return fault(w, PF_RSVD | PF_P);
            }
            accumulate(w, e, true);
            if (level == 1 || ps) {
                long pageMask = (1L << shift) - 1;
                w.phys = (e & physMask & ~pageMask) | (lin & pageMask); // large pages: PAT bit 12 is below pageMask
                w.pageMask = pageMask;
                w.dirty = (e & 0x40) != 0;
                w.global = (e & 0x100) != 0;
                w.key = (int) ((e >>> 59) & 0xf);
                w.leafLevelIndex = n - 1;
                w.patIndex = patIndex(e, level == 1 ? 0x80 : 1L << 12);
                return true;
            }
            table = e & physMask & ~0xfffL;
        }
        return fault(w, 0);
    }

    /** Reserved-bit checks (SDM Vol. 3A 4.5, Tables 4-15..4-20; 4.4 for PAE). */
    private boolean reserved(long e, int level, boolean ps, boolean pae) {
        long addrBits = e & 0x000ffffffffff000L;
        if ((addrBits & ~physMask) != 0) {
            return true;
        }
        if ((e & (1L << 63)) != 0 && !cpu.nxEnabled()) {
            return true;
        }
        if (pae && (e & 0x7ff0000000000000L) != 0) {
            return true; // PAE entries: bits 62:52 reserved
        }
        if (ps) {
            if (level >= 4 || level == 3 && (pae || !cpu.profileHas1GPages())) {
                return true;
            }
            if (level >= 2) {
                long low = e & ((1L << (12 + 9 * (level - 1))) - 1) & ~0x1fffL; // bits 12+1 .. page offset
                return low != 0;
            }
        }
        return false;
    }

    private static void accumulate(Walk w, long e, boolean nxBit) {
        w.writable &= (e & 2) != 0;
        w.user &= (e & 4) != 0;
        if (nxBit) {
            w.nx |= (e & (1L << 63)) != 0;
        }
    }

    /** PAT index of a leaf entry: PAT (bit 7 in a PTE, bit 12 in a large-page entry), PCD, PWT (SDM Vol. 3A 11.12.3). */
    private static int patIndex(long e, long patBit) {
        return ((e & patBit) != 0 ? 4 : 0) | (int) ((e >>> 3) & 3);
    }

    private static boolean fault(Walk w, int code) {
        w.faultCode = code;
        return false;
    }

    private void setAccessedDirty(Walk w, boolean write) {
        int width = cpu.cr4(Cpu.CR4_PAE) ? 8 : 4;
        for (int k = 0; k < w.levels; k++) {
            long a = w.entryHpa[k];
            long e = bus.read(a, width);
            long ne = e | 0x20;
            if (write && k == w.leafLevelIndex) {
                ne |= 0x40;
            }
            if (ne != e) {
                if (!w.entryWritable[k]) {
                    // The A/D write is a guest paging-structure write the second stage has not yet allowed.
                    a = secondStage.translate(w.entryAddr[k], SecondStage.WRITE, w.ssFlags, w.lin);
                    w.entryHpa[k] = a;
                }
                bus.write(a, width, ne);
                cpu.physicalWritten(a, width);
            }
        }
    }
}
