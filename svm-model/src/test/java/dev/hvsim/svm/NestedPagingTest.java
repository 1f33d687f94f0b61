package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.ept.MemoryType;
import dev.hvsim.svm.NptLayout.Size;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Nested paging through real VMRUN besides the faults (AMD APM Vol. 2 15.25): G_PAT loaded at VMRUN and saved at
 * #VMEXIT (15.25.4), the memory type of a nested access (host PAT type of the nested leaf combined with the guest's
 * gPAT type, 15.25.8; DEVIATIONS.md of ept), the cost of a cold two-stage walk, and VMRUN with a legacy-PAE guest.
 */
class NestedPagingTest {
    /** mov ecx, 0x277; rdmsr; vmmcall */
    static final String READ_PAT = "b9 77 02 00 00 0f 32 0f 01 d9";
    /** mov ecx, 0x277; mov eax, 0x00000406; mov edx, 0x00000406; wrmsr; vmmcall (PA0 = WB, PA1 = WT, PA4/5 alike) */
    static final String WRITE_PAT = "b9 77 02 00 00 b8 06 04 00 00 ba 06 04 00 00 0f 30 0f 01 d9";
    static final long GPAT = 0x0606_0606_0606_0601L; // PA0 = WC, the rest WB

    @Test
    void guestReadsGpatWithNestedPaging() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        g.h.w(V.G_PAT, 8, GPAT);
        long hostPat = g.h.cpu.state().msr(Msr.IA32_PAT);
        SvmExit e = g.run(READ_PAT, 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.RAX) & 0xffffffffL).isEqualTo(GPAT & 0xffffffffL);
        assertThat(g.h.cpu.state().gpr[Reg.RDX]).isEqualTo(GPAT >>> 32);
        assertThat(g.h.cpu.state().msr(Msr.IA32_PAT)).as("host PAT back after #VMEXIT").isEqualTo(hostPat);
        assertThat(g.h.q(V.G_PAT)).isEqualTo(GPAT);
    }

    @Test
    void withoutNestedPagingGpatIsIgnored() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC2, 4, 1 << V.M2_VMRUN | 1 << V.M2_VMMCALL);
        h.w(V.G_PAT, 8, 0x0808_0808_0808_0808L); // not even checked without NP_ENABLE
        long hostPat = h.cpu.state().msr(Msr.IA32_PAT);
        SvmExit e = h.runGuest(READ_PAT);
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(h.q(V.RAX) & 0xffffffffL).isEqualTo(hostPat & 0xffffffffL);
        assertThat(h.q(V.G_PAT)).isEqualTo(0x0808_0808_0808_0808L);
    }

    @Test
    void guestPatWriteIsSavedToGpatAndTheHostPatRestored() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        g.h.w(V.G_PAT, 8, GPAT);
        long hostPat = g.h.cpu.state().msr(Msr.IA32_PAT);
        SvmExit e = g.run(WRITE_PAT, 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.G_PAT)).isEqualTo(0x0000_0406_0000_0406L);
        assertThat(g.h.cpu.state().msr(Msr.IA32_PAT)).isEqualTo(hostPat);
        // the next VMRUN loads the saved value
        assertThat(g.again(READ_PAT).exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.RAX) & 0xffffffffL).isEqualTo(0x0406L);
    }

    /**
     * 15.25.8: the host type comes from the host PAT (power-on: WB, WT, UC-, UC) at the nested leaf's PAT index
     * (PWT bit 3, PCD bit 4), the guest type from gPAT at the guest PTE's index (0 here); the pair combines as SDM Vol.
     * 3A Table 11-7 with the host type in the MTRR role (UC- as UC). Expected types are the table's entries.
     */
    @ParameterizedTest(name = "nested PAT index {0}, gPAT PA0 {1} -> {2}")
    @CsvSource({"0, 6, WB", "1, 6, WT", "3, 6, UC", "2, 6, UC", "0, 1, WC", "0, 5, WP", "0, 7, UC", "1, 0, UC",
        "3, 1, WC", "0, 4, WT"})
    void memoryTypeOfANestedAccess(int nestedIndex, int gpatPa0, MemoryType expected) {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        g.h.w(V.G_PAT, 8, 0x0606_0606_0606_0600L | gpatPa0);
        g.t.bus.write(NptLayout.N_PT1, 8, NptLayout.H4K | NptLayout.LEAF4K | (long) nestedIndex << 3);
        SvmExit e = g.run("48 8b 04 25 00 50 60 00 0f 01 d9", 0); // mov rax, [L]; vmmcall
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.RAX)).isEqualTo(NptLayout.MARK_4K);
        assertThat(g.h.svm.paging.lastMemoryType()).isEqualTo(expected);
    }

    /**
     * A cold 4-level guest walk under 4-level nested tables with 4 KiB nested pages makes 4 x (4 + 1) + 4 = 24
     * memory references (15.25.5; ept's WalkCostTest for the walker alone), through the CPU: the guest's code page
     * is warm from a first VMRUN (TLB_CONTROL 0 keeps it), the data page of the second is cold.
     */
    @Test
    void coldFourOnFourWalkIsTwentyFourReferences() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        long pd0 = SvmHarness.NPT + 0x5000, pt0 = SvmHarness.NPT + 0x6000;
        for (int i = 0; i < 512; i++) {
            g.t.bus.write(pd0 + 8L * i, 8, ((long) i << 21) | NptLayout.LEAF_LARGE);
            g.t.bus.write(pt0 + 8L * i, 8, 0x400000 + ((long) i << 12) | NptLayout.LEAF4K);
        }
        g.t.bus.write(pd0 + 2 * 8, 8, pt0 | NptLayout.TABLE); // 0x400000-0x5fffff (the guest tables) in 4 KiB pages
        g.t.bus.write(SvmHarness.NPT + 0x1000, 8, pd0 | NptLayout.TABLE);
        String code = "48 8b 03 0f 01 d9"; // mov rax, [rbx]; vmmcall
        g.h.cpu.state().gpr[Reg.RBX] = NptLayout.L;
        assertThat(g.run(code, 0).exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.RAX)).isEqualTo(NptLayout.MARK_4K);
        g.h.cpu.state().gpr[Reg.RBX] = NptLayout.LG;
        long refs = g.h.cpu.mmu().walkReferences();
        long cycles = g.h.cpu.cycles();
        assertThat(g.again(code).exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.RAX)).isEqualTo(NptLayout.MARK_G);
        assertThat(g.h.cpu.mmu().walkReferences() - refs).isEqualTo(24);
        assertThat(g.h.cpu.cycles() - cycles).as("the references are charged")
                .isGreaterThanOrEqualTo(24L * g.h.cpu.profile().pageWalkReference());
    }

    /**
     * A and D in the nested tables (15.25.5): every nested entry used gets A; the leaf gets D for a write, and the
     * leaf mapping a guest page table gets D too (guest page-table accesses are nested writes).
     */
    @Test
    void nestedAccessedAndDirtyFlags() {
        NptLayout g = new NptLayout(Size.SIZE_4K, true);
        long[] upper = {SvmHarness.NPT + 8, NptLayout.N_PDPT1, NptLayout.N_PD1};
        for (long a : upper) {
            g.t.bus.write(a, 8, g.t.bus.read(a, 8) & ~0x60L);
        }
        g.t.bus.write(NptLayout.N_PT1, 8, NptLayout.H4K | 0x07);       // data page: P RW US, no A/D
        g.t.bus.write(NptLayout.N_PT1 + 8, 8, NptLayout.HPT | 0x07);   // guest PT page: P RW US, no A/D
        assertThat(g.run("48 8b 04 25 00 50 60 00 0f 01 d9", 0).exitCode()).isEqualTo(ExitCode.VMMCALL); // read
        for (long a : upper) {
            assertThat(g.t.bus.read(a, 8) & 0x20).as("A at %x", a).isEqualTo(0x20);
        }
        assertThat(g.t.bus.read(NptLayout.N_PT1, 8) & 0x60).as("read: A, not D").isEqualTo(0x20);
        assertThat(g.t.bus.read(NptLayout.N_PT1 + 8, 8) & 0x60).as("guest PT: A and D").isEqualTo(0x60);
        g.h.w(V.TLB_CONTROL, 1, 3);
        assertThat(g.again("48 89 04 25 00 50 60 00 0f 01 d9").exitCode()).isEqualTo(ExitCode.VMMCALL); // write
        assertThat(g.t.bus.read(NptLayout.N_PT1, 8) & 0x60).as("write: A and D").isEqualTo(0x60);
    }

    /** svm-misc.csv SVM-VMRUN-PAE-PDPTE: with nested paging the guest's PDPTEs are not checked at VMRUN. */
    @Test
    void legacyPaeGuestPdptesAreNotCheckedWithNestedPaging() {
        SvmHarness h = new SvmHarness();
        VmrunRulesTest.legacyPae(h);
        h.t.bus.write(SvmHarness.PDPT, 8, 0x21); // P with reserved bit 5
        h.identityNpt();
        assertThat(h.vmrun()).isNull();
        assertThat(h.svm.lastVmrunOutcome().kind()).isEqualTo(VmrunOutcome.Kind.ENTERED);
        assertThat(h.svm.inGuest()).isTrue();
    }
}
