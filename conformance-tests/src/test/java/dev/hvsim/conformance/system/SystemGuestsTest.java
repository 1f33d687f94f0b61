package dev.hvsim.conformance.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.x86core.CpuProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * System tests as guest programs (guests/DESIGN.md): each guest checks one area of the system
 * architecture from the inside (mode switches, every paging mode, #PF error codes and CR2, privilege
 * checks at CPL 3, exception delivery with stack switches and IST, #DF, triple fault), prints a PASS or
 * FAIL line per check on the serial port and reports through the debug-exit port. Run on both vendor
 * profiles, with block translation on (the default) and off, which must give the same output, outcome,
 * instruction and cycle counts; the machine has 5 GiB of (sparse) RAM so PSE-36 and 1 GiB mappings above 4 GiB are real.
 */
class SystemGuestsTest {

    static Stream<Arguments> guests() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String profile : new String[] {"intel-core", "amd-zen"}) {
            for (String g : new String[] {"hello", "bench-small", "modes", "paging", "pagefault", "privilege",
                "exceptions", "doublefault"}) {
                b.add(Arguments.of(g, profile));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("guests")
    void guestPassesEveryCheck(String guest, String profile) throws LoadException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunOutcome o = run(guest, profile, out);
        String console = out.toString(StandardCharsets.ISO_8859_1);
        assertThat(console).as("%s on %s:%n%s", guest, profile, console).doesNotContain("FAIL");
        assertThat(o).as("%s on %s: %s%n%s", guest, profile, o.describe(), console)
                .isInstanceOf(RunOutcome.GuestExit.class);
        assertThat(((RunOutcome.GuestExit) o).status()).as("%s%n%s", o.describe(), console).isEqualTo(1);
        if (!guest.equals("hello") && !guest.startsWith("bench")) {
            assertThat(console).as(console).contains("PASS");
        }
        // the interpreter alone (block translation off) is the reference: same output, instructions, cycles
        ByteArrayOutputStream refOut = new ByteArrayOutputStream();
        RunOutcome ref = run(guest, profile, refOut, false);
        assertThat(refOut.toString(StandardCharsets.ISO_8859_1)).isEqualTo(console);
        assertThat(ref.describe()).isEqualTo(o.describe());
        assertThat(ref.stats().instructions()).isEqualTo(o.stats().instructions());
        assertThat(ref.stats().cycles()).isEqualTo(o.stats().cycles());
    }

    @ParameterizedTest(name = "triplefault on {0}")
    @MethodSource("profiles")
    void tripleFaultShutsDown(String profile) throws LoadException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunOutcome o = run("triplefault", profile, out);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).contains("about to triple fault");
        assertThat(o.kind()).as(o.describe()).isEqualTo(RunOutcome.Kind.SHUTDOWN);
    }

    static Stream<String> profiles() {
        return Stream.of("intel-core", "amd-zen");
    }

    private static RunOutcome run(String guest, String profile, ByteArrayOutputStream out) throws LoadException {
        return run(guest, profile, out, true);
    }

    private static RunOutcome run(String guest, String profile, ByteArrayOutputStream out, boolean jit)
            throws LoadException {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load(profile), out).withMemoryMiB(5 * 1024));
        m.loadElf(Guests.bytes(guest));
        m.cpus().forEach(c -> c.setJit(jit, 32)); // a low threshold translates more of each guest
        return m.run(RunLimits.instructions(50_000_000).withTimeout(Duration.ofSeconds(120)));
    }
}
