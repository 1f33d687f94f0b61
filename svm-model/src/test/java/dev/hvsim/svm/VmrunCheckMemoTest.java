package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * VMRUN on one CPU remembers the inputs of its last passing check ({@code VmrunCheckMemo}) and copies only part of
 * the VMCB into its snapshot: neither may change an outcome. Every VMRUN here is compared with the pure
 * {@link VmrunChecks#check} on a whole-page snapshot of the same VMCB in the same context (APM Vol. 2 15.5.1: each
 * VMRUN checks the guest state it loads), after VMRUNs that entered with the same or other inputs.
 */
class VmrunCheckMemoTest {

    /** The guest exits at once: VMMCALL intercepted, every exception intercepted (a fetch #PF of a paged guest). */
    private static SvmHarness harness() {
        SvmHarness h = new SvmHarness();
        h.t.mem(SvmHarness.GUEST_CODE, SvmHarness.VMMCALL);
        exitQuickly(h);
        return h;
    }

    private static void exitQuickly(SvmHarness h) {
        h.w(V.MISC2, 4, h.r(V.MISC2, 4) | 2);
        h.w(V.EXCEPTIONS, 4, 0xffffffffL);
    }

    /** VMRUN at CODE; when it entered, runs the guest to its #VMEXIT. Returns the failed rules (empty: entered). */
    private static List<String> vmrun(SvmHarness h) {
        h.t.code(SvmHarness.VMRUN);
        h.t.reg(Reg.RAX, SvmHarness.VMCB);
        StopReason r = h.cpu.run(1, Long.MAX_VALUE);
        if (r == StopReason.VM_EXIT) {
            assertThat(h.svm.inGuest()).isFalse();
            return h.lastExit().violations().stream().map(VmrunViolation::id).collect(Collectors.toList());
        }
        assertThat(h.svm.inGuest()).as("entered").isTrue();
        assertThat(h.svm.lastVmrunOutcome().kind()).isEqualTo(VmrunOutcome.Kind.ENTERED);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(h.lastExit().exitCode()).isNotEqualTo(ExitCode.INVALID);
        return List.of();
    }

    /** What VMRUN must find: the pure checks on a fresh whole-page snapshot, in this CPU's context now. */
    private static List<String> expected(SvmHarness h) {
        VmcbSnapshot whole = VmcbSnapshot.read(h.t.bus, SvmHarness.VMCB);
        VmrunContext fresh = new VmrunContext(h.cpu.profile().maxPhysAddr(), h.svm.vmrunContext().eferAllowed(),
                h.svm.vmrunContext().cr4Allowed(), (pa, size) -> h.t.bus.read(pa, (int) size), h.cpu.state().cr0);
        return VmrunChecks.check(whole, fresh).violations().stream().map(VmrunViolation::id)
                .collect(Collectors.toList());
    }

    @Test
    void eachRuleStillFailsAfterTheSameVmcbEntered() {
        for (var a : VmrunRulesTest.rules().collect(Collectors.toList())) {
            String rule = (String) a.get()[0];
            @SuppressWarnings("unchecked")
            Consumer<SvmHarness> mutate = (Consumer<SvmHarness>) a.get()[1];
            if (rule.equals("SVM-VMRUN-NP-HOSTPG")) {
                continue; // below: the host changes, not the VMCB
            }
            SvmHarness h = harness();
            assertThat(vmrun(h)).as("base enters").isEmpty();
            assertThat(vmrun(h)).as("base enters again (remembered)").isEmpty();
            mutate.accept(h);
            exitQuickly(h);
            if (rule.equals("SVM-VMRUN-INTERCEPT")) {
                h.w(V.MISC2, 4, 2); // VMMCALL intercepted, VMRUN not
            }
            assertThat(vmrun(h)).as(rule).containsExactly(rule);
            assertThat(vmrun(h)).as(rule + " again").containsExactly(rule);
        }
    }

    /** SVM-VMRUN-NP-HOSTPG (15.25.3) depends on the host's CR0, not on the VMCB: a memo keyed on the VMCB alone would miss it. */
    @Test
    void nestedPagingNeedsHostPagingAtEveryVmrun() {
        SvmHarness h = harness();
        h.identityNpt();
        assertThat(vmrun(h)).isEmpty();
        assertThat(vmrun(h)).isEmpty();
        VmrunRulesTest.pagingOffHost(h);
        assertThat(vmrun(h)).containsExactly("SVM-VMRUN-NP-HOSTPG");
    }

    /** SVM-VMRUN-PAE-PDPTE reads memory, not the VMCB: a PDPTE broken between two VMRUNs of one VMCB fails the second. */
    @Test
    void legacyPaePdptesAreCheckedAtEveryVmrun() {
        SvmHarness h = harness();
        VmrunRulesTest.legacyPae(h);
        h.t.bus.write(SvmHarness.PDPT, 8, 0x1001);
        assertThat(vmrun(h)).isEmpty();
        assertThat(vmrun(h)).isEmpty();
        h.t.bus.write(SvmHarness.PDPT + 8, 8, 0x2001 | 1L << 60); // P = 1, bit 60 beyond MAXPHYADDR 48
        assertThat(vmrun(h)).containsExactly("SVM-VMRUN-PAE-PDPTE");
        h.t.bus.write(SvmHarness.PDPT + 8, 8, 0);
        assertThat(vmrun(h)).isEmpty();
    }

    /**
     * Random walks over the rule mutations, valid changes and restores of the base, one CPU: every VMRUN's outcome is
     * the pure checks' (every violated rule, in order), whatever VMRUNs came before.
     */
    @Test
    void randomSequencesAgreeWithThePureChecks() {
        var cases = VmrunRulesTest.rules().filter(a -> !a.get()[0].equals("SVM-VMRUN-NP-HOSTPG"))
                .collect(Collectors.toList());
        Random rnd = new Random(0x5eed_5171L);
        SvmHarness h = harness();
        int entered = 0, failed = 0;
        for (int i = 0; i < 600; i++) {
            int roll = rnd.nextInt(100);
            if (roll < 20) {
                h.baseVmcb();
            } else if (roll < 45) {
                @SuppressWarnings("unchecked")
                Consumer<SvmHarness> mutate = (Consumer<SvmHarness>) cases.get(rnd.nextInt(cases.size())).get()[1];
                mutate.accept(h);
            } else if (roll < 60) {
                h.w(V.RAX, 8, rnd.nextLong()); // not checked
            } else if (roll < 70) {
                h.w(V.TSC_OFFSET, 8, rnd.nextLong());
            } else if (roll < 80) {
                h.w(V.ASID, 4, 1 + rnd.nextInt(3));
            } else if (roll < 85) {
                h.identityNpt();
            } else if (roll < 90) {
                h.w(V.EVENTINJ, 8, 0); // undo a bad EVENTINJ
            } // else: the same VMCB again
            exitQuickly(h);
            if ((h.r(V.MISC2, 4) & 1) == 0 && rnd.nextBoolean()) {
                h.w(V.MISC2, 4, 3);
            }
            List<String> want = expected(h);
            List<String> got = vmrun(h);
            assertThat(got).as("VMRUN %d", i).isEqualTo(want);
            if (got.isEmpty()) {
                entered++;
            } else {
                failed++;
            }
        }
        assertThat(entered).isGreaterThan(50);
        assertThat(failed).isGreaterThan(50);
    }

    /** Every VMCB field svm-model reads (the offsets of V) lies in the bytes VMRUN's snapshot copies. */
    @Test
    void theSnapshotCopiesEveryFieldTheModelReads() throws Exception {
        int checked = 0;
        for (Field f : V.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class || f.getName().startsWith("M1_")
                    || f.getName().startsWith("M2_")) {
                continue;
            }
            f.setAccessible(true);
            int off = f.getInt(null);
            int end = off + (f.getName().equals("INSN_BYTES") ? 16 : f.getName().matches("ES|CS|SS|DS|FS|GS|GDTR"
                    + "|LDTR|IDTR|TR") ? 16 : 8);
            assertThat(VmcbSnapshot.copied(off, end)).as(f.getName()).isTrue();
            checked++;
        }
        assertThat(checked).isGreaterThan(50);
    }

    /** The partial snapshot reads the same values as a whole-page one for every field in the copied ranges. */
    @Test
    void partialRefillMatchesAWholePageCopy() {
        SvmHarness h = harness();
        Random rnd = new Random(7);
        for (int i = 0; i < 4096; i += 8) {
            h.t.bus.write(SvmHarness.VMCB + i, 8, rnd.nextLong());
        }
        VmcbSnapshot part = VmcbSnapshot.perCpu();
        assertThat(part.refill(h.t.bus, SvmHarness.VMCB)).isNotNull();
        VmcbSnapshot whole = VmcbSnapshot.read(h.t.bus, SvmHarness.VMCB);
        for (int off = 0; off < VmcbSnapshot.CONTROL_END; off += 8) {
            assertThat(part.q(off)).isEqualTo(whole.q(off));
        }
        for (int off = VmcbSnapshot.SAVE_START; off < VmcbSnapshot.SAVE_END; off += 8) {
            assertThat(part.q(off)).isEqualTo(whole.q(off));
        }
        for (int off = VmcbSnapshot.SAVE_END; off < VmcbSnapshot.SIZE; off += 8) {
            assertThat(part.q(off)).as("not copied: %x", off).isZero();
        }
        assertThat(whole.get(0x4cb, 1)).isEqualTo(h.t.bus.read(SvmHarness.VMCB + 0x4cb, 1));
        assertThat(whole.get(0x412, 2)).isEqualTo(h.t.bus.read(SvmHarness.VMCB + 0x412, 2));
        assertThat(whole.get(0x414, 4)).isEqualTo(h.t.bus.read(SvmHarness.VMCB + 0x414, 4));
    }

    /**
     * A CPU snapshot taken in the guest of one VMCB and restored after VMRUNs of another: the restored guest's #VMEXIT
     * writes its own VMCB (the page VMRUN found is part of the SVM state a snapshot restores), not the other one.
     */
    @Test
    void restoredGuestExitsIntoItsOwnVmcb() {
        SvmHarness h = harness();
        long other = SvmHarness.VMCB + 0x10000;
        for (int i = 0; i < 4096; i += 8) {
            h.t.bus.write(other + i, 8, h.t.bus.read(SvmHarness.VMCB + i, 8));
        }
        h.t.code(SvmHarness.VMRUN);
        h.t.reg(Reg.RAX, SvmHarness.VMCB);
        assertThat(h.cpu.run(1, Long.MAX_VALUE)).isNotEqualTo(StopReason.VM_EXIT);
        assertThat(h.svm.inGuest()).isTrue();
        var inGuest = h.cpu.snapshot();
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        h.t.code(SvmHarness.VMRUN);
        h.t.reg(Reg.RAX, other);
        h.cpu.run(1, Long.MAX_VALUE);
        assertThat(h.svm.vmcbPa()).isEqualTo(other);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        h.t.bus.write(SvmHarness.VMCB + V.EXITCODE, 8, 0);
        h.t.bus.write(other + V.EXITCODE, 8, 0);
        inGuest.restore();
        assertThat(h.svm.vmcbPa()).isEqualTo(SvmHarness.VMCB);
        assertThat(h.cpu.run(100, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(h.t.bus.read(SvmHarness.VMCB + V.EXITCODE, 8)).isEqualTo(ExitCode.VMMCALL);
        assertThat(h.t.bus.read(other + V.EXITCODE, 8)).isZero();
    }
}
