package dev.hvsim.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Guest code under the Java VMM runs through the core's fast loop and block translation (x86-core DESIGN.md "Block
 * translation"), as bare code does; only instructions with an intercept point take the full step. Translation must
 * not change the timeline: with translation on and off the same guest gives the same exits (the whole exit trace,
 * cycles included), instructions, cycles, output and end.
 */
class TranslationUnderVmmTest {
    private record Result(String console, String outcome, long instructions, long cycles, long exits, byte[] trace) {}

    private static Result run(String guest, Virt virt, boolean jit) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), trace = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(virt == Virt.VMX ? "intel-core" : "amd-zen"), out));
        Vmm vmm = Vmm.attach(m, virt, InterceptPolicy.defaults());
        if (virt == Virt.VMX) {
            vmm.enableNestedVirtualization();
        }
        vmm.traceTo(trace);
        m.loadMultiboot(Guests.bytes(guest), guest + ".elf", "", List.of(), -1);
        for (Cpu c : m.cpus()) {
            c.setJit(jit);
        }
        RunOutcome o = m.run(RunLimits.instructions(400_000_000L));
        vmm.flush();
        assertThat(vmm.failure()).isNull();
        return new Result(out.toString(StandardCharsets.ISO_8859_1), o.kind() + " " + o.describe(),
                m.cpu().instructions(), m.cpu().cycles(), vmm.exits(), trace.toByteArray());
    }

    @ParameterizedTest(name = "{0} under {1}")
    @CsvSource({"bench-small, VMX", "bench-small, SVM", "paging, VMX", "paging, SVM", "modes, VMX", "modes, SVM",
        "vmx-ept-walk, VMX", "svm-npt-walk, SVM"})
    void translationOnAndOffGiveTheSameRun(String guest, Virt virt) throws Exception {
        Result on = run(guest, virt, true), off = run(guest, virt, false);
        assertThat(on.exits).as("the guest exits").isPositive();
        assertThat(on.console).isEqualTo(off.console).isNotEmpty();
        assertThat(on.outcome).isEqualTo(off.outcome);
        assertThat(on.instructions).isEqualTo(off.instructions);
        assertThat(on.cycles).isEqualTo(off.cycles);
        assertThat(on.exits).isEqualTo(off.exits);
        assertThat(java.util.Arrays.equals(on.trace, off.trace)).as("the exit traces, byte for byte").isTrue();
    }
}
