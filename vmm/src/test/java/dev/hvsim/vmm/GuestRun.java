package dev.hvsim.vmm;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Runs a shipped guest bare or under the VMM (as {@code hvsim run} does: multiboot load) and keeps what it said. */
final class GuestRun {
    final String console;
    final RunOutcome outcome;
    final Vmm vmm;
    final byte[] trace;

    private GuestRun(String console, RunOutcome outcome, Vmm vmm, byte[] trace) {
        this.console = console;
        this.outcome = outcome;
        this.vmm = vmm;
        this.trace = trace;
    }

    static int cpusFor(String guest) {
        return guest.equals("smp") ? 4 : guest.equals("x2apic") ? 2 : 1;
    }

    static GuestRun run(String guest, String profile, Virt virt) throws Exception {
        return run(guest, profile, virt, InterceptPolicy.defaults(), null);
    }

    static GuestRun run(String guest, String profile, Virt virt, InterceptPolicy policy, ExitHandler h) throws Exception {
        return run(guest, profile, virt, policy, h, false);
    }

    /** Under VMX with nested virtualization enabled ({@link Vmm#enableNestedVirtualization()}). */
    static GuestRun nested(String guest) throws Exception {
        return run(guest, "intel-core", Virt.VMX, InterceptPolicy.defaults(), null, true);
    }

    static GuestRun run(String guest, String profile, Virt virt, InterceptPolicy policy, ExitHandler h, boolean nested)
            throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream trace = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(profile), out).withCpus(cpusFor(guest)));
        Vmm vmm = null;
        if (virt != Virt.NONE) {
            vmm = Vmm.attach(m, virt, policy);
            if (nested) {
                vmm.enableNestedVirtualization();
            }
            vmm.setHandler(h);
            vmm.traceTo(trace);
            vmm.collectStats(true);
        }
        m.loadMultiboot(Guests.bytes(guest), guest + ".elf", "", List.of(), -1);
        RunOutcome o = m.run(RunLimits.instructions(400_000_000L).withTimeout(Duration.ofSeconds(120)));
        if (vmm != null) {
            vmm.flush();
        }
        return new GuestRun(out.toString(StandardCharsets.ISO_8859_1), o, vmm, trace.toByteArray());
    }
}
