package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;

/**
 * A guest under nested paging for the NPT tests (AMD APM Vol. 2 15.25), on an {@link SvmHarness}:
 *
 * <pre>
 * guest linear                guest tables (gpa, identity-mapped by nested 1 GiB pages)    gpa          nested (NPT, host-physical)
 * 0x200000 (code, 2 MiB)      PML4 0x500000 → PDPT 0x501000 → PD 0x502000 [1] 2 MiB page   0x200000     PML4[0] → PDPT0: 1 GiB identity
 * {@link #L}  (PT index 5)    PD[3] → PT 0x503000 (gpa)                                    {@link #D}   PML4[1] → PDPT1 → PD1 → PT1[0] (4 KiB) / PD1[0] (2 MiB) / PDPT1[0] (1 GiB)
 * {@link #LG} (PT index 6)    global page (G)                                              D + 0x2000   PT1[2] (4 KiB)
 * </pre>
 *
 * With {@code ptBehindNested} the guest's PT is instead at {@link #GPT} = D + 0x1000 (4 KiB nested pages only),
 * behind nested PT1[1], so that a nested refusal of a guest page-table access can be provoked. Every guest entry has
 * A (and D on leaves) set, so no guest A/D write happens. Host memory at each nested target holds a distinct marker.
 */
final class NptLayout {
    static final long G_PML4 = 0x500000, G_PDPT = 0x501000, G_PD = 0x502000;
    /** Guest-physical addresses behind nested PML4[1] (512 GiB). */
    static final long D = 0x80_0000_0000L, GPT = D + 0x1000, DG = D + 0x2000;
    static final long L = 0x605000, LG = 0x606000;
    /** Nested tables below PML4[1]. */
    static final long N_PDPT1 = SvmHarness.NPT + 0x2000, N_PD1 = SvmHarness.NPT + 0x3000, N_PT1 = SvmHarness.NPT + 0x4000;
    /** Host-physical targets of the data page for each nested page size, and of the guest PT and global page. */
    static final long H4K = 0x700000, H2M = 0x800000, H1G = 0x4000_0000L, HPT = 0x701000, HG = 0x702000,
            H4K_NEW = 0x703000, HG_NEW = 0x704000;
    static final long MARK_4K = 0x4444_0000_0000_4444L, MARK_2M = 0x2222_0000_0000_2222L,
            MARK_1G = 0x1111_0000_0000_1111L, MARK_G = 0x6666_0000_0000_6666L, MARK_4K_NEW = 0x4444_0000_0000_5555L,
            MARK_G_NEW = 0x6666_0000_0000_7777L;
    /** Nested entry bits: P RW US A (tables), + D PS (large leaves). */
    static final long TABLE = 0x27, LEAF4K = 0x67, LEAF_LARGE = 0xe7, NX = 1L << 63;

    enum Size { SIZE_4K, SIZE_2M, SIZE_1G }

    static final long LOW_PT = 0x503000;

    final SvmHarness h = new SvmHarness();
    final TestCpu t = h.t;
    final Size size;
    /** The guest PT: its guest-physical and host-physical address. */
    final long gpt, hpt;

    NptLayout(Size size) {
        this(size, false);
    }

    NptLayout(Size size, boolean ptBehindNested) {
        this.size = size;
        this.gpt = ptBehindNested ? GPT : LOW_PT;
        this.hpt = ptBehindNested ? HPT : LOW_PT;
        if (ptBehindNested && size != Size.SIZE_4K) {
            throw new IllegalArgumentException("the guest PT behind nested paging needs 4 KiB nested pages");
        }
        Cpu cpu = h.cpu;
        cpu.state().efer |= Cpu.EFER_NXE; // the host's EFER.NXE makes bit 63 of nested entries XD (15.25.5)
        h.baseVmcb();
        h.identityNpt();
        h.w(V.MISC2, 4, 1 << V.M2_VMRUN | 1 << V.M2_VMMCALL);
        h.w(V.CR3, 8, G_PML4);
        h.w(V.CR4, 8, h.q(V.CR4) | Cpu.CR4_PGE);
        // guest tables (guest-physical = host-physical below 4 GiB)
        zero(G_PML4);
        zero(G_PDPT);
        zero(G_PD);
        zero(hpt);
        t.bus.write(G_PML4, 8, G_PDPT | 0x27);
        t.bus.write(G_PDPT, 8, G_PD | 0x27);
        t.bus.write(G_PD + 8, 8, 0x200000 | 0xe7);
        t.bus.write(G_PD + 3 * 8, 8, gpt | 0x27);
        t.bus.write(hpt + 5 * 8, 8, D | 0x67);
        t.bus.write(hpt + 6 * 8, 8, DG | 0x167); // G
        // nested tables for PML4[1]
        zero(N_PDPT1);
        zero(N_PD1);
        zero(N_PT1);
        t.bus.write(SvmHarness.NPT + 8, 8, N_PDPT1 | TABLE);
        t.bus.write(N_PDPT1, 8, size == Size.SIZE_1G ? H1G | LEAF_LARGE : N_PD1 | TABLE);
        t.bus.write(N_PD1, 8, size == Size.SIZE_2M ? H2M | LEAF_LARGE : N_PT1 | TABLE);
        t.bus.write(N_PT1, 8, H4K | LEAF4K);
        t.bus.write(N_PT1 + 8, 8, HPT | LEAF4K);
        t.bus.write(N_PT1 + 16, 8, HG | LEAF4K);
        t.bus.write(H4K, 8, MARK_4K);
        t.bus.write(H2M, 8, MARK_2M);
        t.bus.write(H1G, 8, MARK_1G);
        t.bus.write(HG, 8, MARK_G);
        t.bus.write(H4K_NEW, 8, MARK_4K_NEW);
        t.bus.write(HG_NEW, 8, MARK_G_NEW);
        // with a large nested page the global page is at the same offset inside it
        t.bus.write(H1G + 0x2000, 8, MARK_G);
        t.bus.write(H2M + 0x2000, 8, MARK_G);
    }

    private void zero(long page) {
        for (int i = 0; i < 4096; i += 8) {
            t.bus.write(page + i, 8, 0);
        }
    }

    /** The data page's marker for this nested page size. */
    long mark() {
        return size == Size.SIZE_4K ? MARK_4K : size == Size.SIZE_2M ? MARK_2M : MARK_1G;
    }

    /** The host-physical address of the data page. */
    long hostData() {
        return size == Size.SIZE_4K ? H4K : size == Size.SIZE_2M ? H2M : H1G;
    }

    /** The nested entry at {@code level} (4 = PML4E .. 1 = PTE) on the way to {@link #D}; its physical address. */
    long entryAddress(int level) {
        switch (level) {
            case 4: return SvmHarness.NPT + 8;
            case 3: return N_PDPT1;
            case 2: return N_PD1;
            default: return N_PT1;
        }
    }

    /** The level of the data page's leaf. */
    int leafLevel() {
        return size == Size.SIZE_4K ? 1 : size == Size.SIZE_2M ? 2 : 3;
    }

    /** Runs the guest from its first instruction in CPL {@code cpl} until the #VMEXIT. */
    SvmExit run(String guestCode, int cpl) {
        if (cpl == 3) {
            Transitions.storeSegment(h.cpu, SvmHarness.VMCB, V.CS, seg(0x33, 0xfb | dev.hvsim.x86core.Segment.ATTR_L
                    | dev.hvsim.x86core.Segment.ATTR_G));
            Transitions.storeSegment(h.cpu, SvmHarness.VMCB, V.SS, seg(0x2b, 0xf3 | dev.hvsim.x86core.Segment.ATTR_G
                    | dev.hvsim.x86core.Segment.ATTR_DB));
            h.w(V.CPL, 1, 3);
        }
        return again(guestCode);
    }

    /** VMRUN again with RIP = the guest's code (TLB_CONTROL and the rest of the VMCB as they are). */
    SvmExit again(String guestCode) {
        h.w(V.RIP, 8, SvmHarness.GUEST_CODE);
        SvmExit e = h.runGuest(guestCode);
        if (h.cpu.lastVmExit() != e) {
            throw new AssertionError("no #VMEXIT");
        }
        return e;
    }

    private static dev.hvsim.x86core.Segment seg(int selector, int attr) {
        dev.hvsim.x86core.Segment s = new dev.hvsim.x86core.Segment();
        s.set(selector, 0, 0xffffffffL, attr);
        return s;
    }

    /** Host code at CODE: INVLPGA with RAX = linear, ECX = asid. */
    void invlpga(long linear, long asid) {
        t.reg(Reg.RAX, linear).reg(Reg.RCX, asid);
        int[] f = t.code(SvmHarness.INVLPGA).fault();
        if (f != null) {
            throw new AssertionError("INVLPGA faulted: " + f[0]);
        }
    }
}
