package dev.hvsim.tools.gdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.bus.Ram;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Vendor;
import dev.hvsim.x86core.VmTransition;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Differential test of machine snapshots against uninterrupted runs: a guest runs to random positions, is snapshotted
 * (incrementally, each snapshot against the one before), runs on, is restored to an earlier snapshot and re-runs;
 * every re-run must see exactly what the first run saw at the same position (RAM byte for byte, CpuState, cycles,
 * instruction counts, VM exits and entries, console output), and a run that went back and forth must end exactly as
 * an uninterrupted one.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SnapshotDifferentialTest {

    /** Console output that can be cut back to a length (what a restore un-writes in this test's bookkeeping). */
    private static final class Console extends OutputStream {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            out.write(b, off, len);
        }

        void truncate(int n) {
            byte[] b = out.toByteArray();
            out.reset();
            out.write(b, 0, n);
        }
    }

    /**
     * Records every VM transition with where it happened, and stops the machine before an instruction once
     * {@link #target} instructions were retired in all: the debugger's way of stopping (the machine remembers where
     * in a round of turns it stopped, so a stopped and resumed run is an uninterrupted one).
     */
    private static final class Transitions implements ExecutionListener {
        final List<String> seen = new ArrayList<>();
        Machine m;
        long target = Long.MAX_VALUE;

        @Override
        public void beforeInstruction(Cpu cpu, dev.hvsim.x86core.decode.DecodedInsn insn) {
            if (total(m) >= target) {
                cpu.stopBeforeInstruction(dev.hvsim.x86core.StopReason.STEP_DONE);
            }
        }

        private void add(Cpu cpu, VmTransition t) {
            if (seen.size() >= 1_000_000) { // a run gone astray (exits retiring no instruction): fail, do not exhaust the heap
                throw new AssertionError("more than a million VM transitions: the run went astray");
            }
            seen.add(cpu.apicId() + "@" + cpu.instructions() + "/" + cpu.cycles() + " " + t);
        }

        @Override public void onVmExit(Cpu cpu, VmTransition t) { add(cpu, t); }
        @Override public void onVmEntry(Cpu cpu, VmTransition t) { add(cpu, t); }
        @Override public void onVmEntryFailed(Cpu cpu, VmTransition t) { add(cpu, t); }
    }

    static long total(Machine m) {
        long n = 0;
        for (Cpu c : m.cpus()) {
            n += c.instructions();
        }
        return n;
    }

    /** Everything compared at a position. */
    private record Observation(List<String> cpus, byte[] ram, long vmExits, List<String> transitions, String console) {
        void assertSame(Observation o, String where) {
            assertThat(o.cpus).as("CPU state, cycles and instruction counts " + where).isEqualTo(cpus);
            assertThat(Arrays.equals(o.ram, ram)).as("RAM byte for byte " + where).isTrue();
            assertThat(o.vmExits).as("VM exits " + where).isEqualTo(vmExits);
            assertThat(o.transitions).as("VM transitions " + where).isEqualTo(transitions);
            assertThat(o.console).as("console " + where).isEqualTo(console);
        }
    }

    private static final class Run {
        final Console console = new Console();
        final Transitions transitions = new Transitions();
        final Machine m;

        Run(String guest, Vendor vendor, int cpus, String virt) throws Exception {
            m = new Machine(new MachineConfig(CpuProfile.forVendor(vendor), 64, console, cpus));
            if (!virt.equals("none")) {
                boolean nested = virt.endsWith("+nested"); // nested VMX, as hvsim run and gdb --virt vmx
                dev.hvsim.vmm.Vmm vmm = dev.hvsim.vmm.Vmm.attach(m, dev.hvsim.vmm.Virt.parse(virt.replace("+nested", "")),
                        dev.hvsim.vmm.InterceptPolicy.defaults());
                if (nested) {
                    vmm.enableNestedVirtualization();
                }
            }
            m.loadMultiboot(Guests.bytes(guest), guest, "", List.of(), -1);
            transitions.m = m;
            for (Cpu c : m.cpus()) {
                c.setListener(transitions);
            }
        }

        /** Runs until {@code total} instructions were retired in all (or the guest's end). */
        RunOutcome runTo(long total) {
            transitions.target = total;
            RunOutcome o = m.run(RunLimits.none());
            while (o instanceof RunOutcome.Stopped && ((RunOutcome.Stopped) o).reason()
                    == dev.hvsim.x86core.StopReason.VM_EXIT) {
                o = m.run(RunLimits.none());
            }
            return o;
        }

        long done() {
            return total(m);
        }

        Observation observe() {
            List<String> cpus = new ArrayList<>();
            for (Cpu c : m.cpus()) {
                cpus.add(c.state().byName() + " cycles=" + c.cycles() + " insns=" + c.instructions() + " cpl=" + c.cpl()
                        + " code=" + c.codeSize() + " tsc=" + c.tsc() + " walks=" + c.mmu().walks() + " nestedWalks="
                        + c.mmu().nestedWalks() + " walkRefs=" + c.mmu().walkReferences());
                // not compared: Mmu.tlbHits(), a statistic that also counts instruction fetches, which a restored
                // CPU makes again because its decode cache starts empty (tools/DEVIATIONS.md)
            }
            Ram ram = m.ram();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (long pa = 0; pa < ram.size(); pa += Ram.PAGE_SIZE) {
                byte[] p = ram.pageIfPresent(pa);
                if (p != null && !allZero(p)) {
                    bytes.write((int) (pa >>> 12));
                    bytes.write((int) (pa >>> 20));
                    bytes.write(p, 0, p.length);
                }
            }
            return new Observation(cpus, bytes.toByteArray(), m.vmExits(), List.copyOf(transitions.seen),
                    console.out.toString());
        }
    }

    private static boolean allZero(byte[] p) {
        for (byte b : p) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    @ParameterizedTest(name = "{0} on {1} with {2} CPU(s), Java VMM: {3}")
    @CsvSource({"platform, INTEL, 1, none", "smp, INTEL, 4, none", "vmx-hv, INTEL, 1, none", "svm-hv, AMD, 1, none",
        "vmx-ept-walk, INTEL, 1, none", "svm-npt-walk, AMD, 1, none", "modes, AMD, 1, none", "platform, INTEL, 1, vmx",
        "platform, AMD, 1, svm", "exits, INTEL, 1, vmx", "exits, AMD, 1, svm", "smp, INTEL, 2, vmx", "hello, AMD, 1, svm",
        "svm-hv, AMD, 1, svm", "svm-npt-walk, AMD, 1, svm", "vmx-hv, INTEL, 1, vmx+nested",
        "vmx-ept-walk, INTEL, 1, vmx+nested"})
    void restoredRunsRepeatTheUninterruptedRunExactly(String guest, Vendor vendor, int cpus, String virt)
            throws Exception {
        Run ref = new Run(guest, vendor, cpus, virt);
        RunOutcome end = ref.runTo(Long.MAX_VALUE);
        long length = ref.done();
        assertThat(length).as("the guest runs").isGreaterThan(1000);
        if (!virt.equals("none")) {
            assertThat(ref.m.vmExits()).as("the Java VMM handles exits").isGreaterThan(0);
        }
        Observation whole = ref.observe();

        for (long seed = 1; seed <= 3; seed++) {
            Random rnd = new Random(seed * 31 + guest.hashCode());
            long[] at = {1 + rnd.nextInt((int) Math.min(length - 2, Integer.MAX_VALUE)), 0, 0};
            at[1] = at[0] + 1 + rnd.nextInt((int) Math.max(1, Math.min(length - at[0] - 1, Integer.MAX_VALUE)));
            at[2] = Math.min(length, at[1] + 1 + rnd.nextInt(50_000));
            Run r = new Run(guest, vendor, cpus, virt);
            r.runTo(at[0]);
            Observation o1 = r.observe();
            Machine.MachineSnapshot s1 = r.m.snapshot(null);
            int console1 = r.console.out.size(), transitions1 = r.transitions.seen.size();
            r.runTo(at[1]);
            Observation o2 = r.observe();
            Machine.MachineSnapshot s2 = r.m.snapshot(s1);
            int console2 = r.console.out.size(), transitions2 = r.transitions.seen.size();
            r.runTo(at[2]);
            Observation o3 = r.observe();

            String where = " (seed " + seed + ", positions " + Arrays.toString(at) + ")";
            // back to the first snapshot: the same state, then the same run to the second and third positions
            s1.restore();
            r.console.truncate(console1);
            r.transitions.seen.subList(transitions1, r.transitions.seen.size()).clear();
            o1.assertSame(r.observe(), "right after restoring the first snapshot" + where);
            r.runTo(at[1]);
            o2.assertSame(r.observe(), "at the second position, re-run from the first snapshot" + where);
            r.runTo(at[2]);
            o3.assertSame(r.observe(), "at the third position, re-run from the first snapshot" + where);
            // to the second (incremental) snapshot, and on to the end: as the uninterrupted run
            s2.restore();
            r.console.truncate(console2);
            r.transitions.seen.subList(transitions2, r.transitions.seen.size()).clear();
            o2.assertSame(r.observe(), "right after restoring the second snapshot" + where);
            RunOutcome e = r.runTo(length + 100_000); // bounded: a run gone astray fails here, not running on
            assertThat(e.describe()).as("outcome" + where).isEqualTo(end.describe());
            whole.assertSame(r.observe(), "at the end" + where);
            assertThat(s2.ram().bytes()).as("the second snapshot copies only changed pages" + where)
                    .isLessThanOrEqualTo(s1.ram().bytes() + 64L * Ram.PAGE_SIZE);
        }
    }
}
