package dev.hvsim.conformance.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.machine.load.Multiboot;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The PC platform from the inside (guests/DESIGN.md): the guests apic (local APIC registers, IPIs to self,
 * the timer in each mode, CR8), x2apic (x2APIC mode: MSR interface, SELF IPI, timer, IPIs through the 64-bit
 * ICR to the other CPUs, #GP(0) rules and IA32_APIC_BASE transitions), platform (multiboot information, fw_cfg, PCI, CMOS, 8259, IOAPIC with
 * pc-testdev, 8254), smp (INIT/SIPI start-up of every AP, IPIs by ID and broadcast) and hello-c (compiled
 * C) boot through the multiboot loader on 1, 2 and 4 CPUs and both profiles, and end through port 0xf4 with
 * status 1 (no failed check). Runs are deterministic: the same guest gives the same cycles and output.
 */
class PlatformGuestsTest {

    static Stream<Arguments> runs() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String profile : new String[] {"intel-core", "amd-zen"}) {
            for (String g : new String[] {"apic", "x2apic", "platform", "smp", "hello-c"}) {
                for (int cpus : new int[] {1, 2, 4}) {
                    b.add(Arguments.of(g, profile, cpus));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} on {1} with {2} CPUs")
    @MethodSource("runs")
    void guestPassesEveryCheck(String guest, String profile, int cpus) throws LoadException {
        Run r = run(guest, profile, cpus, "", List.of());
        assertThat(r.console).as("%s:%n%s", r.outcome.describe(), r.console).doesNotContain("FAIL").contains("PASS");
        assertThat(r.outcome).as("%s%n%s", r.outcome.describe(), r.console).isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) r.outcome).status()).as(r.console).isEqualTo(1);
    }

    @Test
    void smpGuestSeesEveryCpu() throws LoadException {
        assertThat(run("smp", "intel-core", 4, "", List.of()).console).contains("INFO smp: cpus=0x00000004");
    }

    @Test
    void multibootCommandLineAndModuleReachTheGuest() throws LoadException {
        byte[] module = "hello module".getBytes(StandardCharsets.ISO_8859_1);
        Run r = run("platform", "intel-core", 1, "console=ttyS0 x=1",
                List.of(new Multiboot.Module(module, "env.txt a=b")));
        assertThat(r.console).contains("INFO cmdline=platform.elf console=ttyS0 x=1")
                .contains("INFO mods_count=0x00000001 mod0=env.txt a=b size=0x0000000c first-word=0x6c6c6568")
                .contains("INFO fw_cfg ram=0x08000000").contains("INFO mem_upper=0x0001fc00");
    }

    @Test
    void x2apicGuestReachesEveryCpuThroughTheMsrInterface() throws LoadException {
        Run r = run("x2apic", "intel-core", 2, "", List.of());
        assertThat(r.console).contains("PASS every AP started through the x2APIC ICR")
                .contains("PASS ipi by 32-bit id: replies to the BSP").contains("PASS logical cluster ipi reaches every AP")
                .contains("PASS apic_base x2APIC -> xAPIC: #GP(0)");
    }

    @Test
    void runsAreDeterministic() throws LoadException {
        Run a = run("smp", "intel-core", 4, "", List.of());
        Run b = run("smp", "intel-core", 4, "", List.of());
        assertThat(b.console).isEqualTo(a.console);
        assertThat(b.outcome.stats().cycles()).isEqualTo(a.outcome.stats().cycles());
        assertThat(b.outcome.stats().instructions()).isEqualTo(a.outcome.stats().instructions());
    }

    @Test
    void hltWithATimerPendingSkipsAheadInModelledTime() throws LoadException {
        // apic waits in HLT for a 1,000,000-count one-shot and 3 x 50,000-count periodic interrupts:
        // far more cycles pass than instructions run
        Run r = run("apic", "intel-core", 1, "", List.of());
        assertThat(r.outcome.stats().cycles()).isGreaterThan(1_000_000 + 150_000);
        assertThat(r.outcome.stats().instructions()).isLessThan(200_000);
    }

    private record Run(RunOutcome outcome, String console) {}

    private static Run run(String guest, String profile, int cpus, String args, List<Multiboot.Module> mods)
            throws LoadException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(profile), out).withCpus(cpus));
        m.loadMultiboot(Guests.bytes(guest), guest + ".elf", args, mods, -1);
        RunOutcome o = m.run(RunLimits.instructions(50_000_000).withTimeout(Duration.ofSeconds(120)));
        return new Run(o, out.toString(StandardCharsets.ISO_8859_1));
    }
}
