package dev.hvsim.ept;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Mmu;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * Cycle accounting of two-stage walks: a cold 4-level guest walk under 4-level nested paging makes
 * 4 x (4 + 1) + 4 = 24 memory references (SDM Vol. 3C 29.3.2; AMD APM Vol. 2 15.25.5, Figure
 * "Address Translation with Nested Paging"); the CPU's TLB then caches the final translation.
 */
class WalkCostTest {
    static final int MAXPHYS = 46;
    static final long LIN = 0x7f12_3456_7000L | 0x123;

    /** Guest tables at gpa 0x10000.., a 4 KiB guest page at gpa 0x80000, second stage identity with 4 KiB (or 2 MiB) pages. */
    private static WalkResult twoStage(SecondStageFormat f, Tables t, int levels) {
        long cr3 = 0x10000;
        X86PagingFormat g = new X86PagingFormat(levels == 5 ? X86PagingFormat.Mode.LONG5 : X86PagingFormat.Mode.LONG4,
                true, true, true, MAXPHYS);
        Tables guest = new Tables(t.bus, 0x11000);
        guest.map(g, cr3, LIN, 1, 0x80000, Tables.flags(0x27, 1, 0)); // P RW US A
        GuestPaging gp = new GuestPaging(g, cr3, true, false, NptFormat.DEFAULT_PAT, false);
        return new TwoStageWalker(t.bus).translateLinear(gp, f, LIN, Access.READ, false, true);
    }

    private static void identity(Tables t, PagingFormat f, long root, long leafFlags) {
        for (long gpa = 0; gpa < 0x100000; gpa += 0x1000) {
            t.map(f, root, gpa, 1, gpa, Tables.flags(7, 1, leafFlags));
        }
    }

    @Test
    void fourOnFourIsTwentyFourReferences() {
        Tables t = new Tables(0x4000_0000L);
        long root = t.table();
        EptFormat ept = EptFormat.of(root, false, MAXPHYS);
        identity(t, ept, root, 6 << 3);
        Translated r = (Translated) twoStage(ept, t, 4);
        assertThat(r.hostPhys()).isEqualTo(0x80123);
        assertThat(r.references()).isEqualTo(24);

        Tables n = new Tables(0x4000_0000L);
        long ncr3 = n.table();
        NptFormat npt = NptFormat.long4(ncr3, MAXPHYS);
        identity(n, npt.host(), ncr3, 0);
        assertThat(twoStage(npt, n, 4).references()).isEqualTo(24);
    }

    @Test
    void fiveOnFiveIsThirtyFiveReferences() {
        Tables t = new Tables(0x4000_0000L);
        long root = t.table();
        EptFormat ept = new EptFormat(Eptp.of(root, 5, false), EptCapabilities.ALL, false, MAXPHYS);
        identity(t, ept, root, 6 << 3);
        assertThat(twoStage(ept, t, 5).references()).isEqualTo(5 * (5 + 1) + 5);
    }

    @Test
    void withoutSecondStageAGuestWalkIsFourReferences() {
        Tables t = new Tables(0x4000_0000L);
        assertThat(twoStage(null, t, 4).references()).isEqualTo(4);
    }

    /** The CPU path: Mmu walking the guest tables through an EptTranslator; the TLB then answers alone. */
    @Test
    void theCpuChargesTwentyFourReferencesAndTheTlbCachesTheTranslation() {
        TestCpu t = TestCpu.long64();
        long lin = 0x4000_0000L, pt = 0x18_0000L, page = 0x19_0000L;
        t.bus.write(TestCpu.PAGING + 0x3000, 8, pt | 0x27);   // PD for 1..2 GiB, entry 0 -> PT (A set)
        t.bus.write(pt, 8, page | 0x27);
        t.bus.write(page + 0x10, 4, 0xcafe_f00dL);
        Tables e = new Tables(t.bus, 0x1_0000_0000L);
        long root = e.table();
        EptFormat ept = EptFormat.of(root, false, 40);
        for (long gpa = 0; gpa < 0x40_0000; gpa += 0x1000) {
            e.map(ept, root, gpa, 1, gpa, Tables.flags(7, 1, 6 << 3));
        }
        t.cpu.setSecondStage(new EptTranslator(t.cpu, ept));
        Mmu mmu = t.cpu.mmu();
        long refs = mmu.walkReferences(), cycles = t.cpu.cycles();
        long walks = mmu.walks(), nested = mmu.nestedWalks(), nestedRefs = mmu.nestedWalkReferences(), hits = mmu.tlbHits();
        assertThat(mmu.translate(lin + 0x10, Mmu.READ, false)).isEqualTo(page + 0x10);
        assertThat(mmu.walkReferences() - refs).isEqualTo(24);
        assertThat(t.cpu.cycles() - cycles).isEqualTo(24L * t.cpu.profile().pageWalkReference());
        // the statistics hvsim bench reports: one walk (a TLB miss), under a second stage, of 24 references
        assertThat(mmu.walks() - walks).isEqualTo(1);
        assertThat(mmu.nestedWalks() - nested).isEqualTo(1);
        assertThat(mmu.nestedWalkReferences() - nestedRefs).isEqualTo(24);
        assertThat(mmu.tlbHits() - hits).isZero();
        refs = mmu.walkReferences();
        assertThat(mmu.translate(lin + 0x20, Mmu.READ, false)).isEqualTo(page + 0x20);
        assertThat(mmu.walkReferences() - refs).isZero(); // TLB hit
        assertThat(mmu.tlbHits() - hits).isEqualTo(1);
        assertThat(mmu.walks() - walks).isEqualTo(1);
        // and an instruction reads through it: 8b 43 10   mov eax, [rbx+0x10]
        long hitsBefore = mmu.tlbHits();
        assertThat(t.code("8b 43 10").reg(Reg.RBX, lin).step(1)).isNotEqualTo(StopReason.VM_EXIT);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xcafe_f00dL);
        assertThat(mmu.tlbHits() - hitsBefore).as("the data read (and the set-up) served by the TLB fast paths").isPositive();
    }

    /** A guest write to a page EPT maps read-only ends the instruction with the walker's Fault as the VM exit. */
    @Test
    void theCpuExitsWithTheFaultRecord() {
        TestCpu t = TestCpu.long64();
        Tables e = new Tables(t.bus, 0x1_0000_0000L);
        long root = e.table();
        EptFormat ept = EptFormat.of(root, true, 40);
        for (long gpa = 0; gpa < 0x40_0000; gpa += 0x1000) {
            e.map(ept, root, gpa, 1, gpa, Tables.flags(7, 1, 6 << 3 | (gpa == TestCpu.DATA ? 0 : 0)));
        }
        e.map(ept, root, TestCpu.DATA, 1, TestCpu.DATA, Tables.flags(7, 1, 6 << 3 & ~7L));
        long[] ro = Tables.flags(7, 1, 6 << 3);
        ro[1] = 1 | 6 << 3; // read-only leaf
        e.map(ept, root, TestCpu.DATA, 1, TestCpu.DATA, ro);
        t.cpu.setSecondStage(new EptTranslator(t.cpu, ept));
        // 89 03   mov [rbx], eax
        assertThat(t.code("89 03").reg(Reg.RBX, TestCpu.DATA + 8).step(1)).isEqualTo(StopReason.VM_EXIT);
        Fault f = (Fault) t.cpu.lastVmExit();
        assertThat(f.stage()).isEqualTo(Stage.NESTED);
        assertThat(f.onGuestPagingStructure()).isFalse();
        assertThat(f.guestPhys()).isEqualTo(TestCpu.DATA + 8);
        assertThat(f.guestLinear()).isEqualTo(TestCpu.DATA + 8);
        EptViolationQualification q = ((FaultDetail.EptViolation) f.detail()).qualification();
        assertThat(q.write()).isTrue();
        assertThat(q.readable() && !q.writable() && !q.executable()).isTrue();
        assertThat(q.linearValid() && q.finalTranslation()).isTrue();
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE);
        // EPT A/D on: the guest's page-table pages were accessed as writes (EPT D set on them)
        assertThat(e.entry(ept, root, TestCpu.PAGING, 1) & (EptFormat.A | EptFormat.D)).isEqualTo(EptFormat.A | EptFormat.D);
        assertThat(e.entry(ept, root, TestCpu.CODE, 1) & (EptFormat.A | EptFormat.D)).isEqualTo(EptFormat.A);
    }
}
