package dev.hvsim.ept;

import dev.hvsim.x86core.bus.PhysicalBus;

/**
 * The one page walker, parameterised by format and used for both stages: a guest-linear address through
 * the guest's x86 paging ({@link X86PagingFormat}) to a guest-physical address, and every guest-physical
 * address on the way (each guest paging-structure entry, each A/D write-back, and the final page) through
 * the second stage ({@link EptFormat} or {@link NptFormat}). The same loop walks both: only the
 * {@link PagingFormat} differs. The CPU reaches the second stage through {@link EptTranslator} /
 * {@link NptTranslator}; the debugger walks with {@code setAccessedDirty = false}.
 *
 * <p>Cycle accounting: every paging-structure entry read is one memory reference; A/D write-backs are
 * not counted (hardware updates the entry it just read with a locked read-modify-write). With 4-level
 * tables at both stages a cold walk makes 4 x (4 + 1) + 4 = 24 references (SDM Vol. 3C 29.3.2; AMD APM
 * Vol. 2 15.25.5, "Nested Table Walk").
 *
 * <p>Stateless apart from the bus: one walker may serve many CPUs on one thread each.
 */
public final class TwoStageWalker {
    private final PhysicalBus bus;

    public TwoStageWalker(PhysicalBus bus) {
        this.bus = bus;
    }

    /**
     * Translates a guest-physical address through the second stage only (SDM Vol. 3C 29.3.2 "EPT
     * Translation Mechanism"; APM Vol. 2 15.25.5).
     *
     * @param setAccessedDirty false for a debugger: no A/D flag is written
     */
    public WalkResult translateGuestPhysical(SecondStageFormat f, long gpa, Access access, AccessContext c,
            boolean setAccessedDirty) {
        PagingFormat p = f.paging();
        Access eff = c.pagingStructure() && f.pagingStructureAccessesAreWrites() ? Access.WRITE : access;
        int top = p.topLevel();
        long[] addr = new long[top + 1];
        long[] ent = new long[top + 1];
        long table = p.rootTable(f.root());
        int perms = Perm.ALL;
        int refs = 0;
        int level = top;
        for (;; level--) {
            long a = p.entryAddress(table, gpa, level);
            long e = bus.read(a, p.entrySize());
            refs++;
            addr[level] = a;
            ent[level] = e;
            EntryStatus st = p.classify(e, level);
            if (!st.usable()) {
                return nestedFault(f, st, e, level, 0, access, eff, gpa, c, refs);
            }
            perms &= p.permissions(e, level);
            if (st == EntryStatus.LEAF) {
                break;
            }
            table = p.frame(e, level);
        }
        if (!f.allows(perms, eff, c.guestUserPage())) {
            return nestedFault(f, EntryStatus.LEAF, ent[level], level, perms, access, eff, gpa, c, refs);
        }
        if (setAccessedDirty && f.setsAccessedDirty()) {
            for (int l = top; l >= level; l--) {
                long ne = ent[l] | p.accessedBit(l) | (l == level && eff == Access.WRITE ? p.dirtyBit() : 0);
                if (ne != ent[l]) {
                    bus.write(addr[l], p.entrySize(), ne);
                    ent[l] = ne;
                }
            }
        }
        long leaf = ent[level];
        boolean dirty = !f.setsAccessedDirty() || (leaf & p.dirtyBit()) != 0;
        PageSize size = p.pageSize(level);
        long hpa = p.frame(leaf, level) | (gpa & size.mask());
        return new Translated(hpa, perms, size, f.memoryType(leaf, level, c.guestPatType(), c.cacheDisabled()), dirty, refs);
    }

    private static Fault nestedFault(SecondStageFormat f, EntryStatus st, long e, int level, int perms, Access access,
            Access eff, long gpa, AccessContext c, int refs) {
        FaultDetail d = f.refusal(new SecondStageFormat.Refusal(st, e, level, perms, access, eff, gpa, c));
        return new Fault(Stage.NESTED, level, c.guestLevel(), access, c.pagingStructure(), gpa, c.linear(),
                c.linearValid(), d, refs);
    }

    /**
     * Translates a guest-linear address through both stages (SDM Vol. 3C 29.3.2: "the guest-physical address
     * of each paging-structure entry ... and the final guest-physical address are translated using EPT").
     *
     * @param f    the second stage, or null for none (guest-physical = host-physical)
     * @param user the access has user privilege
     */
    public WalkResult translateLinear(GuestPaging g, SecondStageFormat f, long lin, Access access, boolean user,
            boolean setAccessedDirty) {
        if (g.format() == null) {
            // Paging off: the linear address is the guest-physical address, a supervisor-mode address.
            AccessContext c = new AccessContext(false, 0, true, lin, user, false, true, false, MemoryType.WB,
                    g.cacheDisabled());
            return f == null ? new Translated(lin, Perm.ALL, PageSize.SIZE_4K, g.cacheDisabled() ? MemoryType.UC
                    : MemoryType.WB, true, 0) : translateGuestPhysical(f, lin, access, c, setAccessedDirty);
        }
        X86PagingFormat p = g.format();
        int top = p.topLevel();
        long[] gaddr = new long[top + 1];
        long[] haddr = new long[top + 1];
        long[] ent = new long[top + 1];
        boolean[] hostWritable = new boolean[top + 1];
        long table = p.rootTable(g.cr3());
        int pcdPwt = (int) ((g.cr3() >>> 3) & 3);
        int perms = Perm.ALL;
        int refs = 0;
        int level = top;
        for (;; level--) {
            long ga = p.entryAddress(table, lin, level);
            long ha = ga;
            boolean hw = true;
            if (f != null) {
                WalkResult r = translateGuestPhysical(f, ga, Access.READ,
                        AccessContext.pagingStructure(lin, level, user, MemoryType.fromPat(g.pat(), pcdPwt)), setAccessedDirty);
                if (!r.translated()) {
                    return ((Fault) r).plusReferences(refs);
                }
                Translated t = (Translated) r;
                refs += t.references();
                ha = t.hostPhys();
                hw = f.allows(t.permissions(), Access.WRITE, false) && t.dirty();
            }
            long e = bus.read(ha, p.entrySize());
            refs++;
            gaddr[level] = ga;
            haddr[level] = ha;
            ent[level] = e;
            hostWritable[level] = hw;
            EntryStatus st = p.classify(e, level);
            if (!st.usable()) {
                int code = st == EntryStatus.NOT_PRESENT ? 0 : FaultDetail.GuestPageFault.P | FaultDetail.GuestPageFault.RSVD;
                return guestFault(g, level, access, user, lin, code, refs);
            }
            perms &= p.permissions(e, level);
            if (st == EntryStatus.LEAF) {
                break;
            }
            table = p.frame(e, level);
            pcdPwt = (int) ((e >>> 3) & 3);
        }
        if (!guestAllows(g, perms, access, user)) {
            return guestFault(g, level, access, user, lin, FaultDetail.GuestPageFault.P, refs);
        }
        if (setAccessedDirty) {
            for (int l = top; l >= level; l--) {
                long need = p.accessedBit(l) | (l == level && access == Access.WRITE ? p.dirtyBit() : 0);
                if ((ent[l] & need) == need) {
                    continue;
                }
                long ha = haddr[l];
                if (!hostWritable[l]) {
                    WalkResult r = translateGuestPhysical(f, gaddr[l], Access.WRITE,
                            AccessContext.pagingStructure(lin, l, user, MemoryType.WB), true);
                    if (!r.translated()) {
                        return ((Fault) r).plusReferences(refs);
                    }
                    refs += r.references();
                    ha = ((Translated) r).hostPhys();
                }
                ent[l] |= need;
                bus.write(ha, p.entrySize(), ent[l]);
            }
        }
        long leaf = ent[level];
        PageSize size = p.pageSize(level);
        long gpa = p.frame(leaf, level) | (lin & size.mask());
        MemoryType patType = MemoryType.fromPat(g.pat(), p.patIndex(leaf, level));
        boolean guestDirty = (leaf & X86PagingFormat.D) != 0;
        if (f == null) {
            MemoryType mt = g.cacheDisabled() || patType == MemoryType.UC_MINUS ? MemoryType.UC : patType;
            return new Translated(gpa, perms, size, mt, guestDirty, refs);
        }
        AccessContext fc = new AccessContext(false, 0, true, lin, user, (perms & Perm.U) != 0, (perms & Perm.W) != 0,
                (perms & Perm.XS) == 0, patType, g.cacheDisabled());
        WalkResult r = translateGuestPhysical(f, gpa, access, fc, setAccessedDirty);
        if (!r.translated()) {
            return ((Fault) r).plusReferences(refs);
        }
        Translated t = (Translated) r;
        return new Translated(t.hostPhys(), perms & t.permissions(), PageSize.min(size, t.pageSize()), t.memoryType(),
                guestDirty && t.dirty(), refs + t.references());
    }

    /** The debugger's walk: both stages, a supervisor read, no A/D flag written. */
    public WalkResult inspect(GuestPaging g, SecondStageFormat f, long lin) {
        return translateLinear(g, f, lin, Access.READ, false, false);
    }

    /** Guest-stage permissions (SDM Vol. 3A 4.6: U/S, R/W with CR0.WP, XD, SMEP; SMAP and keys not modelled here). */
    static boolean guestAllows(GuestPaging g, int perms, Access a, boolean user) {
        boolean userPage = (perms & Perm.U) != 0;
        if (user) {
            return userPage && (a != Access.WRITE || (perms & Perm.W) != 0) && (a != Access.EXECUTE || (perms & Perm.XU) != 0);
        }
        switch (a) {
            case READ: return true;
            case WRITE: return (perms & Perm.W) != 0 || !g.writeProtect();
            default: return (perms & Perm.XS) != 0 && !(g.smep() && userPage);
        }
    }

    private static Fault guestFault(GuestPaging g, int level, Access access, boolean user, long lin, int code, int refs) {
        X86PagingFormat p = g.format();
        boolean fetchBit = access == Access.EXECUTE && (g.smep() || p.nxe() && p.mode() != X86PagingFormat.Mode.LEGACY32);
        code |= (access == Access.WRITE ? FaultDetail.GuestPageFault.W : 0) | (user ? FaultDetail.GuestPageFault.U : 0)
                | (fetchBit ? FaultDetail.GuestPageFault.I : 0);
        return new Fault(Stage.GUEST, level, 0, access, false, 0, lin, true, new FaultDetail.GuestPageFault(code), refs);
    }
}
