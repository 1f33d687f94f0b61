package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.svm.NptLayout.Size;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ASID-tagged TLB (AMD APM Vol. 2 15.16 "TLB Control"; Vol. 3 "INVLPGA"), the counterpart of vmx-model's
 * VpidTlbTest: the core's TLB is switched per (ASID, N_CR3) context at VMRUN and #VMEXIT without a flush, so a guest
 * keeps using a nested mapping the host changed until the host invalidates it: TLB_CONTROL at VMRUN (0 nothing,
 * 1 all ASIDs, 3 this ASID, 7 this ASID's non-global entries) or INVLPGA of that page and ASID.
 */
class AsidTlbTest {
    /** Reads the non-global page L into RAX and the global page LG into RBX, then VMMCALL. */
    static final String READ_BOTH = "48 8b 04 25 00 50 60 00 48 8b 1c 25 00 60 60 00 0f 01 d9";

    /** A guest that has read both pages once (TLB warm), whose nested leaves the host then moved to new pages. */
    static NptLayout warmedThenRemapped() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        SvmExit e = g.run(READ_BOTH, 0);
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(g.h.q(V.RAX)).isEqualTo(NptLayout.MARK_4K);
        assertThat(g.h.cpu.state().gpr[Reg.RBX]).isEqualTo(NptLayout.MARK_G);
        g.t.bus.write(NptLayout.N_PT1, 8, NptLayout.H4K_NEW | NptLayout.LEAF4K);
        g.t.bus.write(NptLayout.N_PT1 + 16, 8, NptLayout.HG_NEW | NptLayout.LEAF4K);
        return g;
    }

    static long[] runAgain(NptLayout g) {
        SvmExit e = g.again(READ_BOTH);
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        return new long[] {g.h.q(V.RAX), g.h.cpu.state().gpr[Reg.RBX]};
    }

    /** 15.16.1: what each TLB_CONTROL value leaves of the guest's stale translations (reserved 2: as 1, DEVIATIONS.md). */
    @ParameterizedTest(name = "TLB_CONTROL {0}")
    @CsvSource({"0, false, false", "1, true, true", "3, true, true", "7, true, false", "2, true, true"})
    void tlbControl(int value, boolean nonGlobalNew, boolean globalNew) {
        NptLayout g = warmedThenRemapped();
        g.h.w(V.TLB_CONTROL, 1, value);
        long[] r = runAgain(g);
        assertThat(r[0]).isEqualTo(nonGlobalNew ? NptLayout.MARK_4K_NEW : NptLayout.MARK_4K);
        assertThat(r[1]).isEqualTo(globalNew ? NptLayout.MARK_G_NEW : NptLayout.MARK_G);
    }

    @Test
    void staleNestedMappingUntilInvlpgaOfThatPageAndAsid() {
        NptLayout g = warmedThenRemapped();
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K, NptLayout.MARK_G); // VMRUN/#VMEXIT keep it
        g.invlpga(NptLayout.L, 2);                                                      // another ASID
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K, NptLayout.MARK_G);
        g.invlpga(NptLayout.L + 0x3000, 1);                                             // another page
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K, NptLayout.MARK_G);
        g.invlpga(NptLayout.L + 0x123, 1);                                              // that page, that ASID
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K_NEW, NptLayout.MARK_G);
        g.invlpga(NptLayout.LG, 1);                                                     // global entries too
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K_NEW, NptLayout.MARK_G_NEW);
    }

    @Test
    void anotherAsidHasItsOwnTranslations() {
        NptLayout g = warmedThenRemapped();
        g.h.w(V.ASID, 4, 2);
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K_NEW, NptLayout.MARK_G_NEW);
        g.h.w(V.ASID, 4, 1);
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K, NptLayout.MARK_G);  // ASID 1 kept its own
        g.h.w(V.TLB_CONTROL, 1, 3);
        g.h.w(V.ASID, 4, 2);
        g.t.bus.write(NptLayout.N_PT1, 8, NptLayout.H4K | NptLayout.LEAF4K);          // move back; ASID 2 flushes
        assertThat(runAgain(g)[0]).isEqualTo(NptLayout.MARK_4K);
        g.h.w(V.TLB_CONTROL, 1, 0);
        g.h.w(V.ASID, 4, 1);
        assertThat(runAgain(g)).containsExactly(NptLayout.MARK_4K, NptLayout.MARK_G);  // ASID 1: still stale
    }

    /** A second VMRUN with TLB_CONTROL 0 walks nothing for pages the guest already used (no flush at the switch). */
    @Test
    void warmGuestMakesNoWalkReferences() {
        NptLayout g = new NptLayout(Size.SIZE_4K);
        g.run(READ_BOTH, 0);
        long refs = g.h.cpu.mmu().walkReferences();
        runAgain(g);
        assertThat(g.h.cpu.mmu().walkReferences()).isEqualTo(refs);
    }

    // ------------------------------------------------------------------ the host's context

    static final long HOST_X = 0x4000_0000L, OLD = 0x4000_0000L, NEW = 0x4020_0000L;
    static final String HOST_READ = "48 8b 04 25 00 00 00 40"; // mov rax, [0x40000000]

    /** Host (ASID 0) reads X, then moves its 2 MiB page X elsewhere without invalidating. */
    static SvmHarness hostStale() {
        SvmHarness h = new SvmHarness();
        h.t.bus.write(OLD, 8, 0x01d);
        h.t.bus.write(NEW, 8, 0x0e1);
        assertThat(h.t.reg(Reg.RAX, 0).code(HOST_READ).fault()).isNull();
        assertThat(h.t.reg(Reg.RAX)).isEqualTo(0x01d);
        h.t.bus.write(TestCpu.PAGING + 0x3000, 8, NEW | 0x87); // PD of the second GiB, entry 0
        h.w(V.MISC2, 4, 1 << V.M2_VMRUN | 1 << V.M2_VMMCALL);
        return h;
    }

    static long hostRead(SvmHarness h) {
        assertThat(h.t.reg(Reg.RAX, 0).code(HOST_READ).fault()).isNull();
        return h.t.reg(Reg.RAX);
    }

    /**
     * Guest MOV CR3, MOV CR4 and INVLPG of X invalidate the guest's ASID only: the host keeps its stale translation
     * of X after the #VMEXIT. TLB_CONTROL 3 does not touch ASID 0 either; TLB_CONTROL 1 does (all ASIDs).
     */
    @ParameterizedTest(name = "TLB_CONTROL {0}")
    @CsvSource({"0, false", "3, false", "7, false", "1, true"})
    void guestInvalidationsLeaveTheHostAlone(int tlbControl, boolean hostFlushed) {
        SvmHarness h = hostStale();
        h.w(V.TLB_CONTROL, 1, tlbControl);
        // mov rax, cr3; mov cr3, rax; mov rax, cr4; mov cr4, rax; invlpg [0x40000000]; mov rax, [0x40000000]; vmmcall
        SvmExit e = h.runGuest("0f 20 d8 0f 22 d8 0f 20 e0 0f 22 e0 0f 01 3c 25 00 00 00 40 "
                + "48 8b 04 25 00 00 00 40 0f 01 d9");
        assertThat(e.exitCode()).isEqualTo(ExitCode.VMMCALL);
        assertThat(h.q(V.RAX)).as("the guest sees the new mapping").isEqualTo(0x0e1);
        assertThat(hostRead(h)).isEqualTo(hostFlushed ? 0x0e1 : 0x01d);
    }

    @Test
    void invlpgaOfAsidZeroIsTheHosts() {
        SvmHarness h = hostStale();
        h.t.reg(Reg.RAX, HOST_X).reg(Reg.RCX, 1);
        assertThat(h.t.code(SvmHarness.INVLPGA).fault()).isNull();
        assertThat(hostRead(h)).isEqualTo(0x01d);
        h.t.reg(Reg.RAX, HOST_X).reg(Reg.RCX, 0);
        assertThat(h.t.code(SvmHarness.INVLPGA).fault()).isNull();
        assertThat(hostRead(h)).isEqualTo(0x0e1);
    }
}
