package dev.hvsim.conformance.vmentry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.conformance.gen.VmrunEvaluator;
import dev.hvsim.conformance.gen.VmrunMutators;
import dev.hvsim.svm.SvmExit;
import dev.hvsim.svm.SvmExtension;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.svm.VmrunRule;
import dev.hvsim.svm.VmrunRules;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * check-vmcb and actually executing VMRUN agree (APM Vol. 2 15.5.1, Vol. 3 VMRUN): random valid VMCBs and single-rule
 * mutants are written into a 64-bit host's memory (EFER.SVME, VM_HSAVE_PA set) and VMRUN executes with RAX = the VMCB.
 * Entered: the CPU is in the guest, or took a #VMEXIT other than VMEXIT_INVALID (an injected event meeting a random
 * guest IDT or an intercept). Failed: #VMEXIT(VMEXIT_INVALID) naming the same first rule. Host CR0 without paging
 * (SVM-VMRUN-NP-HOSTPG) cannot host a 64-bit VMRUN and is left to the checker.
 */
class VmrunAgreementTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);
    static final long HSAVE = 0x400000, VMCB = 0x401000;

    @Test
    void checkVmcbAgreesWithVmrun() {
        CpuProfile amd = CpuProfile.load("amd-zen");
        VmcbGenerator gen = new VmcbGenerator(amd);
        VmrunMutators mutators = new VmrunMutators(new VmrunEvaluator(amd));
        List<VmrunRule> rules = VmrunRules.ALL;
        List<String> problems = new ArrayList<>();
        int entered = 0, invalid = 0, inGuest = 0;
        for (int i = 0; i < 160; i++) {
            long seed = SEED * 17 + i;
            SplittableRandom r = new SplittableRandom(seed);
            VmcbCase c = gen.valid(r);
            if (i % 2 == 1) {
                Optional<VmcbCase> m = mutators.breakOnly(rules.get(i / 2 % rules.size()), c, r);
                if (m.isEmpty()) {
                    continue;
                }
                c = m.get();
            }
            if ((c.hostCr0() & Cpu.CR0_PG) == 0
                    || c.memory().keySet().stream().anyMatch(a -> a < 0x110000 || (a >= HSAVE && a < VMCB + 0x1000))) {
                continue;
            }
            VmrunOutcome expected = c.check();
            TestCpu t = TestCpu.long64("amd-zen");
            SvmExtension svm = (SvmExtension) t.cpu.extension();
            t.cpu.state().efer |= Cpu.EFER_SVME;
            svm.writeMsr(t.cpu, SvmExtension.VM_HSAVE_PA, HSAVE);
            t.bus.load(VMCB, c.image());
            c.memory().forEach((a, q) -> t.bus.write(a, 8, q));
            t.reg(Reg.RAX, VMCB);
            t.code("0f 01 d8").fault();                                           // VMRUN
            SvmExit exit = t.cpu.lastVmExit() instanceof SvmExit ? (SvmExit) t.cpu.lastVmExit() : null;
            String got = svm.inGuest() ? "in the guest" : exit == null ? "no #VMEXIT and not in the guest"
                    : exit.invalid() ? "VMEXIT_INVALID " + VmcbCase.ids(exit.violations())
                    : "#VMEXIT " + Long.toHexString(exit.exitCode());
            boolean ok;
            if (expected.kind() == VmrunOutcome.Kind.ENTERED) {
                entered++;
                inGuest += svm.inGuest() ? 1 : 0;
                ok = svm.inGuest() || (exit != null && !exit.invalid());
            } else {
                invalid++;
                ok = !svm.inGuest() && exit != null && exit.invalid()
                        && VmcbCase.ids(exit.violations()).get(0).equals(expected.violations().get(0).id());
            }
            if (!ok) {
                problems.add("seed " + seed + ": check-vmcb " + expected.kind() + " "
                        + VmcbCase.ids(expected.violations()) + ", VMRUN: " + got + "\n" + Repro.text(Repro.checkVmcb(c)));
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        assertThat(entered).isGreaterThan(50);
        assertThat(invalid).isGreaterThan(50);
        assertThat(inGuest).as("VMRUNs that stayed in the guest").isGreaterThan(10);
    }
}
