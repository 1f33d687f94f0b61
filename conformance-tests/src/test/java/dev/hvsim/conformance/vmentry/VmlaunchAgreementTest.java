package dev.hvsim.conformance.vmentry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.gen.VmcsGenerator;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.conformance.gen.VmxEvaluator;
import dev.hvsim.conformance.gen.VmxMutators;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.EntryRule;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.vmx.VmxExtension;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * check-vmcs and actually executing VMLAUNCH agree (SDM Vol. 3C 28.1-28.4, 31 VMLAUNCH): random valid states and
 * single-rule mutants of the intel-core profile are written into a current VMCS of a 64-bit root-mode CPU (VMXON,
 * VMPTRLD, VMWRITE through the VMCS layout), their memory into its physical memory, and VMLAUNCH executes. Entered:
 * the CPU is in VMX non-root operation with RIP, RSP, RFLAGS, CR0/CR3/CR4, CS/SS selectors and GDTR/IDTR bases as
 * the guest-state area says (the "loaded" half of the round trip), or a VM exit at the first instruction boundary
 * (not an entry failure: bit 31 of the exit reason clear) when "interrupt-window exiting" is on. VMfailValid(n): ZF and the VM-instruction error
 * field. Entry failure: the exit-reason field is (1 << 31) | 33 or 34 with the qualification, RIP = HOST_RIP.
 */
class VmlaunchAgreementTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);
    static final long VMXON_REGION = 0x400000, VMCS_REGION = 0x401000;

    @Test
    void checkVmcsAgreesWithVmlaunch() {
        VmxCpu cpu = VmxCpu.intelCore();
        VmcsGenerator gen = new VmcsGenerator(cpu);
        VmxMutators mutators = new VmxMutators(new VmxEvaluator(cpu));
        List<EntryRule> rules = EntryChecks.rules();
        List<String> problems = new ArrayList<>();
        int ran = 0, entered = 0, failed = 0;
        int[] inGuest = {0};
        for (int i = 0; i < 240; i++) {
            long seed = SEED * 31 + i;
            SplittableRandom r = new SplittableRandom(seed);
            VmxCase c = gen.valid(r).with("VM_ENTRY_INTR_INFO_FIELD", 0);   // no event delivered at entry
            if (i % 4 == 0) {
                // without "interrupt-window exiting" an IF = 1 guest stays in non-root operation after VMLAUNCH
                c = c.with("CPU_BASED_VM_EXEC_CONTROL", c.get("CPU_BASED_VM_EXEC_CONTROL") & ~(1L << 2));
            }
            if (i % 2 == 1) {
                Optional<VmxCase> m = mutators.breakOnly(rules.get(i / 2 % rules.size()), c, r);
                if (m.isEmpty()) {
                    continue;   // not isolable on this mode / capability set: the campaign covers it
                }
                c = m.get();
            }
            if (!c.processorLma() || overlapsHarness(c.memory())) {
                continue;
            }
            EntryOutcome expected = c.check();
            String problem = launch(c, expected, inGuest);
            ran++;
            if (expected.kind() == EntryOutcome.Kind.ENTERED) {
                entered++;
            } else {
                failed++;
            }
            if (problem != null) {
                problems.add("seed " + seed + ": " + problem + "\n" + Repro.text(Repro.checkVmcs(c)));
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        assertThat(ran).as("cases run").isGreaterThan(150);
        assertThat(entered).isGreaterThan(60);
        assertThat(failed).isGreaterThan(60);
        assertThat(inGuest[0]).as("entries compared field by field").isGreaterThan(30);
    }

    private static boolean overlapsHarness(Map<Long, Long> memory) {
        return memory.keySet().stream().anyMatch(a -> a < 0x110000 || (a >= VMXON_REGION && a < VMCS_REGION + 0x1000));
    }

    /**
     * Determinism: the same state launched twice on fresh CPUs gives the same outcome, registers, VMCS exit fields and
     * cycle count.
     */
    @Test
    void vmlaunchIsDeterministic() {
        VmxCpu cpu = VmxCpu.intelCore();
        VmcsGenerator gen = new VmcsGenerator(cpu);
        VmxMutators mutators = new VmxMutators(new VmxEvaluator(cpu));
        List<EntryRule> rules = EntryChecks.rules();
        int compared = 0;
        for (int i = 0; i < 40; i++) {
            SplittableRandom r = new SplittableRandom(SEED * 7 + i);
            VmxCase c = gen.valid(r);
            if (i % 2 == 1) {
                c = mutators.breakOnly(rules.get(r.nextInt(rules.size())), c, r).orElse(c);
            }
            if (!c.processorLma() || overlapsHarness(c.memory())) {
                continue;
            }
            String[] first = new String[1], second = new String[1];
            launch(c, c.check(), new int[1], first);
            launch(c, c.check(), new int[1], second);
            assertThat(second[0]).as("seed %d", SEED * 7 + i).isEqualTo(first[0]);
            compared++;
        }
        assertThat(compared).isGreaterThan(20);
    }

    private static String launch(VmxCase c, EntryOutcome expected, int[] inGuest) {
        return launch(c, expected, inGuest, new String[1]);
    }

    /** Runs VMLAUNCH on the case; null when the result agrees with {@code expected}, else what differs. */
    private static String launch(VmxCase c, EntryOutcome expected, int[] inGuest, String[] fingerprint) {
        TestCpu t = TestCpu.long64("intel-core");
        Cpu cpu = t.cpu;
        VmxExtension vmx = cpu.extension() instanceof VmxExtension ? (VmxExtension) cpu.extension()
                : VmxExtension.install(cpu);
        cpu.state().cr0 |= Cpu.CR0_NE;
        cpu.state().cr4 |= Cpu.CR4_VMXE;
        cpu.state().efer |= Cpu.EFER_NXE;           // VmcsChecker's processor: EFER 0xd01
        cpu.modeChanged();
        vmx.writeMsr(cpu, VmxExtension.IA32_FEATURE_CONTROL, VmxExtension.FC_LOCK | VmxExtension.FC_VMX_OUTSIDE_SMX);
        t.bus.write(VMXON_REGION, 4, VmcsLayout.HVSIM_REVISION_ID);
        t.bus.write(VMCS_REGION, 4, VmcsLayout.HVSIM_REVISION_ID);
        if (exec(t, "f3 0f c7 34 25 00 00 02 00", VMXON_REGION) || exec(t, "0f c7 34 25 00 00 02 00", VMCS_REGION)) {
            return "VMXON/VMPTRLD failed";
        }
        Vmcs v = vmx.currentVmcs();
        for (Map.Entry<VmcsField, Long> e : c.fields().entrySet()) {
            v.write(e.getKey(), e.getValue());
        }
        c.memory().forEach((a, q) -> t.bus.write(a, 8, q));
        t.code("0f 01 c2").fault();                 // VMLAUNCH
        var st = cpu.state();
        fingerprint[0] = String.format("nonroot %b rip %x rsp %x rflags %x cr0 %x cr3 %x cr4 %x cycles %d error %d "
                + "reason %x qual %x", vmx.inNonRoot(), st.rip, st.gpr[dev.hvsim.x86core.Reg.RSP], st.rflags(), st.cr0,
                st.cr3, st.cr4, cpu.cycles(), v.read("VM_INSTRUCTION_ERROR"), v.read("VM_EXIT_REASON"),
                v.read("EXIT_QUALIFICATION"));
        switch (expected.kind()) {
            case ENTERED:
                if (!vmx.inNonRoot() && (v.read("VM_EXIT_REASON") >>> 31) == 0 && cpu.state().rip == c.get("HOST_RIP")
                        && (cpu.state().rflags() & Flags.OSZAPC) == 0) {
                    return null;    // entered, then an exit at the first boundary (interrupt window, 7; 26.7.5)
                }
                String abort = cpu.shutdownReason();
                if (!vmx.inNonRoot() && abort != null && abort.startsWith("VMX abort")
                        && t.bus.read(VMCS_REGION + 4, 4) != 0) {
                    return null;    // entered; that first exit failed on its MSR-store/load areas: VMX abort (29.7)
                }
                if (!vmx.inNonRoot()) {
                    return "check-vmcs: entered; VMLAUNCH: still in root operation, rflags "
                            + Long.toHexString(cpu.state().rflags()) + ", error " + v.read("VM_INSTRUCTION_ERROR")
                            + ", exit reason " + Long.toHexString(v.read("VM_EXIT_REASON"));
                }
                inGuest[0]++;
                return loaded(c, cpu);
            case VMFAIL_VALID: {
                int n = ((EntryOutcome.VmFailValid) expected).error();
                boolean ok = !vmx.inNonRoot() && (cpu.state().rflags() & Flags.OSZAPC) == Flags.ZF
                        && v.read("VM_INSTRUCTION_ERROR") == n;
                return ok ? null : "check-vmcs: VMfailValid(" + n + "); VMLAUNCH: rflags "
                        + Long.toHexString(cpu.state().rflags()) + ", error " + v.read("VM_INSTRUCTION_ERROR");
            }
            case ENTRY_FAILURE: {
                EntryOutcome.EntryFailureExit f = (EntryOutcome.EntryFailureExit) expected;
                boolean ok = !vmx.inNonRoot() && v.read("VM_EXIT_REASON") == (1L << 31 | f.reason())
                        && v.read("EXIT_QUALIFICATION") == f.qualification() && cpu.state().rip == c.get("HOST_RIP");
                return ok ? null : "check-vmcs: entry failure " + f.reason() + "/" + f.qualification() + "; VMLAUNCH: "
                        + "exit reason " + Long.toHexString(v.read("VM_EXIT_REASON")) + ", qualification "
                        + v.read("EXIT_QUALIFICATION") + ", rip " + Long.toHexString(cpu.state().rip);
            }
            default:
                return "unexpected outcome " + expected;
        }
    }

    private static boolean exec(TestCpu t, String hex, long operand) {
        t.bus.write(TestCpu.DATA, 8, operand);
        return t.code(hex).fault() != null || (t.cpu.state().rflags() & Flags.OSZAPC) != 0;
    }

    /** The guest state VM entry loaded (28.3.2) against the guest-state area. */
    private static String loaded(VmxCase c, Cpu cpu) {
        var s = cpu.state();
        long[][] pairs = {
            {s.rip, c.get("GUEST_RIP")}, {s.gpr[dev.hvsim.x86core.Reg.RSP], c.get("GUEST_RSP")}, {s.rflags(), c.get("GUEST_RFLAGS")},
            {s.cr3, c.get("GUEST_CR3")}, {s.seg[dev.hvsim.x86core.Reg.CS].selector, c.get("GUEST_CS_SELECTOR")},
            {s.seg[dev.hvsim.x86core.Reg.SS].selector, c.get("GUEST_SS_SELECTOR")}, {s.gdtrBase, c.get("GUEST_GDTR_BASE")},
            {s.idtrBase, c.get("GUEST_IDTR_BASE")},
        };
        String[] names = {"RIP", "RSP", "RFLAGS", "CR3", "CS", "SS", "GDTR base", "IDTR base"};
        for (int i = 0; i < pairs.length; i++) {
            if (pairs[i][0] != pairs[i][1]) {
                return "entered, but " + names[i] + " is " + Long.toHexString(pairs[i][0]) + ", the VMCS says "
                        + Long.toHexString(pairs[i][1]);
            }
        }
        return null;
    }
}
