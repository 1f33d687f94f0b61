package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Worked examples: the debugger's walk, the legacy and PAE nested formats, guest-stage faults, paging off. */
class WalkerExamplesTest {
    static final int MAXPHYS = 40;

    @Test
    void debuggerWalkSetsNoAccessedOrDirtyFlag() {
        Tables t = new Tables(0x100_0000L);
        long eptRoot = t.table();
        EptFormat ept = EptFormat.of(eptRoot, true, MAXPHYS);
        t.map(ept, eptRoot, 0, 2, 0x4000_0000L, Tables.flags(7, 2, 6 << 3 | EptFormat.PS)); // gpa 0..2M -> 1G
        long cr3 = 0x1000;
        Tables guest = new Tables(t.bus, 0x2000);
        X86PagingFormat g = X86PagingFormat.long4(MAXPHYS);
        // the guest tables live at host 0x4000_0000 + gpa
        Tables shadow = new Tables(t.bus, 0x4000_2000L);
        shadow.map(g, 0x4000_1000L, 0x1234_5000L, 1, 0x8000, Tables.flags(7, 1, 0));
        // rewrite the frames the shadow builder stored (host addresses) as guest-physical ones
        for (long a = 0x4000_1000L; a < 0x4000_6000L; a += 8) {
            long e = t.bus.read(a, 8);
            if ((e & 0x000f_ffff_ffff_f000L) >= 0x4000_0000L) {
                t.bus.write(a, 8, e - 0x4000_0000L);
            }
        }
        GuestPaging gp = GuestPaging.long4(cr3, MAXPHYS);
        TwoStageWalker w = new TwoStageWalker(t.bus);
        Translated r = (Translated) w.inspect(gp, ept, 0x1234_5678L);
        assertThat(r.hostPhys()).isEqualTo(0x4000_8678L);
        assertThat(t.bus.read(0x4000_1000L, 8) & 0x20).isZero();
        assertThat(t.entry(ept, eptRoot, 0, 2) & (EptFormat.A | EptFormat.D)).isZero();
        // the same walk for a real write sets guest A/D and EPT A, D
        assertThat(w.translateLinear(gp, ept, 0x1234_5678L, Access.WRITE, false, true).translated()).isTrue();
        assertThat(t.bus.read(0x4000_1000L, 8) & 0x20).isEqualTo(0x20);
        assertThat(t.entry(ept, eptRoot, 0, 2) & (EptFormat.A | EptFormat.D)).isEqualTo(EptFormat.A | EptFormat.D);
        assertThat(guest).isNotNull();
    }

    @Test
    void legacyAndPaeNestedFormats() {
        // legacy 32-bit host tables with a 4 MiB page (CR4.PSE) and a 4 KiB page
        Tables t = new Tables(0x10_0000L);
        long ncr3 = t.table();
        X86PagingFormat legacy = new X86PagingFormat(X86PagingFormat.Mode.LEGACY32, false, true, false, MAXPHYS);
        NptFormat npt = new NptFormat(ncr3, legacy, NptFormat.DEFAULT_PAT, NptFormat.DEFAULT_PAT);
        t.map(legacy, ncr3, 0x0040_0000L, 2, 0x0800_0000L, Tables.flags(7, 2, X86PagingFormat.PS));
        t.map(legacy, ncr3, 0x0000_3000L, 1, 0x0009_0000L, Tables.flags(7, 1, 0));
        TwoStageWalker w = new TwoStageWalker(t.bus);
        Translated big = (Translated) w.translateGuestPhysical(npt, 0x0045_6789L, Access.WRITE, AccessContext.finalAccess(0), true);
        assertThat(big.hostPhys()).isEqualTo(0x0805_6789L);
        assertThat(big.pageSize()).isEqualTo(PageSize.SIZE_4M);
        assertThat(big.references()).isEqualTo(1);
        assertThat(((Translated) w.translateGuestPhysical(npt, 0x3abc, Access.READ, AccessContext.finalAccess(0), true))
                .hostPhys()).isEqualTo(0x9_0abc);
        Fault f = (Fault) w.translateGuestPhysical(npt, 0x5000, Access.READ, AccessContext.finalAccess(0), true);
        assertThat(((FaultDetail.NestedPageFault) f.detail()).exitInfo1().raw()).isEqualTo(4 | 1L << 32);

        // PAE host tables: nCR3 is 32-byte aligned and its 4 PDPTEs are read on every walk (3 references)
        Tables p = new Tables(0x10_0000L);
        long pdpt = 0x20_0020L;
        X86PagingFormat pae = new X86PagingFormat(X86PagingFormat.Mode.PAE, true, true, false, MAXPHYS);
        NptFormat nptPae = new NptFormat(pdpt, pae, NptFormat.DEFAULT_PAT, NptFormat.DEFAULT_PAT);
        long[] flags = Tables.flags(7, 1, 0);
        flags[3] = 1; // PDPTE: only P (bits 2:1 are reserved there)
        p.map(pae, pdpt, 0x8000_3000L, 1, 0x0007_0000L, flags);
        Translated r = (Translated) new TwoStageWalker(p.bus).translateGuestPhysical(nptPae, 0x8000_3123L, Access.READ,
                AccessContext.finalAccess(0), true);
        assertThat(r.hostPhys()).isEqualTo(0x7_0123);
        assertThat(r.references()).isEqualTo(3);
        p.bus.write(pae.entryAddress(pdpt, 0x8000_3000L, 3), 8, p.bus.read(pae.entryAddress(pdpt, 0x8000_3000L, 3), 8) | 2);
        Fault rsvd = (Fault) new TwoStageWalker(p.bus).translateGuestPhysical(nptPae, 0x8000_3123L, Access.READ,
                AccessContext.pagingStructure(0, 1, false, MemoryType.WB), true);
        // a guest page-table access is nested-checked as a write: RW = 1 (kvm-unit-tests npt_rsvd_pfwalk: 0x2_0000_000f)
        assertThat(((FaultDetail.NestedPageFault) rsvd.detail()).exitInfo1().raw()).isEqualTo(1 | 2 | 4 | 8 | 1L << 33);
        assertThat(rsvd.level()).isEqualTo(3);
    }

    @Test
    void guestStageFaultsAreGuestPageFaults() {
        Tables t = new Tables(0x10_0000L);
        long cr3 = t.table();
        X86PagingFormat g = X86PagingFormat.long4(MAXPHYS);
        t.map(g, cr3, 0x40_0000, 1, 0x9000, Tables.flags(1 | 4, 1, 1L << 63)); // read-only, user, NX leaf
        TwoStageWalker w = new TwoStageWalker(t.bus);
        GuestPaging gp = GuestPaging.long4(cr3, MAXPHYS);
        Fault f = (Fault) w.translateLinear(gp, null, 0x40_0000, Access.WRITE, true, true);
        assertThat(f.stage()).isEqualTo(Stage.GUEST);
        assertThat(f.level()).isEqualTo(1);
        assertThat(((FaultDetail.GuestPageFault) f.detail()).errorCode()).isEqualTo(1 | 2 | 4);
        f = (Fault) w.translateLinear(gp, null, 0x40_0000, Access.EXECUTE, false, true);
        assertThat(((FaultDetail.GuestPageFault) f.detail()).errorCode()).isEqualTo(1 | 16);
        f = (Fault) w.translateLinear(gp, null, 0x80_0000, Access.READ, false, true);
        assertThat(((FaultDetail.GuestPageFault) f.detail()).errorCode()).isZero();
        assertThat(f.level()).isEqualTo(2);
    }

    @Test
    void pagingOffGoesStraightToTheSecondStage() {
        Tables t = new Tables(0x10_0000L);
        long root = t.table();
        EptFormat ept = new EptFormat(Eptp.of(root, 4, false), EptCapabilities.ALL, true, MAXPHYS); // MBEC on
        long[] flags = Tables.flags(7 | EptFormat.XU, 1, 6 << 3);
        flags[1] = 1 | EptFormat.XU | 6 << 3; // read + user-execute only
        t.map(ept, root, 0x5000, 1, 0x7000, flags);
        Fault f = (Fault) new TwoStageWalker(t.bus).translateLinear(GuestPaging.off(), ept, 0x5010, Access.EXECUTE, false, true);
        // paging off: the linear address is a supervisor-mode address, so XS (bit 2) is what counts
        EptViolationQualification q = ((FaultDetail.EptViolation) f.detail()).qualification();
        assertThat(q.raw()).isEqualTo(4 | 8 | 64 | 128 | 256 | 1024);
        assertThat(f.guestPhys()).isEqualTo(0x5010);
    }
}
