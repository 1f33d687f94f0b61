package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One case per implemented VMRUN consistency check (AMD APM Vol. 2 15.5.1, 15.20; svm-misc.csv): the valid base
 * enters; break exactly that rule, VMRUN is #VMEXIT(VMEXIT_INVALID) with exactly that rule and the host state
 * (RIP after VMRUN, RSP, CPL 0) restored; restore the field, VMRUN enters.
 */
class VmrunRulesTest {

    static Stream<Arguments> rules() {
        return Stream.of(
                c("SVM-VMRUN-EFER-SVME", h -> h.w(V.EFER, 8, h.q(V.EFER) & ~Cpu.EFER_SVME)),
                c("SVM-VMRUN-CR0-CDNW", h -> h.w(V.CR0, 8, h.q(V.CR0) & ~Cpu.CR0_CD | Cpu.CR0_NW)),
                c("SVM-VMRUN-CR0-HI", h -> h.w(V.CR0, 8, h.q(V.CR0) | 1L << 32)),
                c("SVM-VMRUN-CR3-MBZ", h -> h.w(V.CR3, 8, h.q(V.CR3) | 1L << 60)),
                c("SVM-VMRUN-CR4-MBZ", h -> h.w(V.CR4, 8, h.q(V.CR4) | 1L << 40)),
                c("SVM-VMRUN-DR6-HI", h -> h.w(V.DR6, 8, h.q(V.DR6) | 1L << 32)),
                c("SVM-VMRUN-DR7-HI", h -> h.w(V.DR7, 8, h.q(V.DR7) | 1L << 32)),
                c("SVM-VMRUN-EFER-MBZ", h -> h.w(V.EFER, 8, h.q(V.EFER) | 1L << 40)),
                c("SVM-VMRUN-LME-PG-NOPAE", h -> h.w(V.CR4, 8, h.q(V.CR4) & ~Cpu.CR4_PAE)),
                c("SVM-VMRUN-LME-PG-NOPE", h -> h.w(V.CR0, 8, h.q(V.CR0) & ~Cpu.CR0_PE)),
                c("SVM-VMRUN-LONG-CS-LD", h -> h.w(V.CS + 2, 2, h.r(V.CS + 2, 2) | VmrunRules.ATTR_DB)),
                c("SVM-VMRUN-INTERCEPT", h -> h.w(V.MISC2, 4, 0)),
                c("SVM-VMRUN-BITMAP-PA", h -> h.w(V.MSRPM_BASE, 8, (1L << 48) - 0x1000)),
                c("SVM-VMRUN-ASID0", h -> h.w(V.ASID, 4, 0)),
                c("SVM-VMRUN-EVENTINJ", h -> h.w(V.EVENTINJ, 8, 0x80000302L)),
                c("SVM-VMRUN-NP-HOSTPG", h -> {
                    h.identityNpt();
                    pagingOffHost(h);
                }),
                c("SVM-VMRUN-NP-GPAT", h -> {
                    h.identityNpt();
                    h.w(V.G_PAT, 8, SvmHarness.DEFAULT_PAT & ~0xff00L | 0x0200L); // PA1 = 2 (reserved)
                }),
                c("SVM-VMRUN-NP-NCR3", h -> {
                    h.identityNpt();
                    h.w(V.N_CR3, 8, SvmHarness.NPT | 1L << 48); // MAXPHYADDR 48
                }),
                c("SVM-VMRUN-PAE-PDPTE", h -> {
                    legacyPae(h);
                    h.t.bus.write(SvmHarness.PDPT, 8, 0x21); // P = 1 with reserved bit 5
                }));
    }

    /** A legacy PAE guest (EFER.LME = 0, CR0.PG, CR4.PAE) whose PDPT is at {@link SvmHarness#PDPT}. */
    static void legacyPae(SvmHarness h) {
        h.w(V.EFER, 8, Cpu.EFER_SVME);
        h.w(V.CR3, 8, SvmHarness.PDPT);
        h.w(V.CS + 2, 2, h.r(V.CS + 2, 2) & ~VmrunRules.ATTR_L | VmrunRules.ATTR_DB);
    }

    /** The host executing VMRUN is in 32-bit protected mode with paging off (EFER.SVME still set). */
    static void pagingOffHost(SvmHarness h) {
        var s = h.cpu.state();
        s.cr0 = Cpu.CR0_PE | Cpu.CR0_ET;
        s.cr4 = 0;
        s.efer = Cpu.EFER_SVME;
        s.seg[dev.hvsim.x86core.Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | dev.hvsim.x86core.Segment.ATTR_G
                | dev.hvsim.x86core.Segment.ATTR_DB);
        h.cpu.modeChanged();
        h.cpu.mmu().flushAll();
    }

    static Arguments c(String rule, Consumer<SvmHarness> mutate) {
        return Arguments.of(rule, mutate);
    }

    @Test
    void everyRuleHasACaseAndTheBaseEnters() {
        List<String> cases = rules().map(a -> (String) a.get()[0]).collect(Collectors.toList());
        assertThat(cases).containsExactlyElementsOf(VmrunRules.ALL.stream().map(VmrunRule::id).collect(
                Collectors.toList()));
        SvmHarness h = new SvmHarness();
        assertThat(h.vmrun()).isNull();
        assertThat(h.svm.inGuest()).isTrue();
        assertThat(h.cpu.state().rip).isEqualTo(SvmHarness.GUEST_CODE);
        assertThat(h.svm.lastVmrunOutcome().kind()).isEqualTo(VmrunOutcome.Kind.ENTERED);
    }

    @Test
    void everyRuleIsARowOfSvmMiscCsv() throws Exception {
        String csv = new String(VmrunRules.class.getResourceAsStream("/dev/hvsim/svm/reference/svm-misc.csv")
                .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        for (VmrunRule r : VmrunRules.ALL) {
            assertThat(csv).contains("VMRUN-check," + r.id() + ",");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void breakOneRule(String rule, Consumer<SvmHarness> mutate) {
        SvmHarness h = new SvmHarness();
        long hostRsp = h.cpu.state().gpr[dev.hvsim.x86core.Reg.RSP];
        mutate.accept(h);
        assertThat(h.vmrun()).isNull();
        SvmExit e = h.lastExit();
        assertThat(e.exitCode()).isEqualTo(-1L);
        assertThat(e.violations()).extracting(VmrunViolation::id).containsExactly(rule);
        assertThat(h.q(V.EXITCODE)).isEqualTo(-1L);
        assertThat(h.svm.inGuest()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(TestCpu.CODE + 3);
        assertThat(h.cpu.state().gpr[dev.hvsim.x86core.Reg.RSP]).isEqualTo(hostRsp);
        assertThat(h.cpu.cpl()).isZero();
        assertThat(h.cpu.longMode()).isEqualTo(!rule.equals("SVM-VMRUN-NP-HOSTPG"));
        // restore
        SvmHarness ok = new SvmHarness();
        if (rule.equals("SVM-VMRUN-PAE-PDPTE")) {
            legacyPae(ok);
            ok.t.bus.write(SvmHarness.PDPT, 8, 0x1001);
        }
        if (rule.startsWith("SVM-VMRUN-NP-")) {
            ok.identityNpt(); // valid nested paging from a 64-bit host with paging
        }
        assertThat(ok.vmrun()).isNull();
        assertThat(ok.svm.lastVmrunOutcome().kind()).isEqualTo(VmrunOutcome.Kind.ENTERED);
        assertThat(ok.svm.inGuest()).isTrue();
    }
}
