package dev.hvsim.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.machine.load.LoadedImage;
import dev.hvsim.machine.load.StartMode;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.io.OutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The loader against real binutils output: every guest the guests module built loads, starts in the
 * boot-protocol state at its entry, and runs to a defined outcome (whatever the core implements yet).
 */
class ShippedGuestsTest {

    @Test
    void everyShippedGuestLoadsAndRunsToADefinedOutcome() throws LoadException {
        for (String name : Guests.names()) {
            Machine m = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), OutputStream.nullOutputStream()));
            LoadedImage img = m.loadElf(Guests.bytes(name));
            assertThat(img.format()).as(name).isEqualTo("elf32");
            assertThat(img.mode()).isEqualTo(StartMode.PROTECTED_32);
            assertThat(img.segments()).as(name).allSatisfy(s -> assertThat(s.address()).isGreaterThanOrEqualTo(0x100000));
            assertThat(m.cpu().state().rip).as(name).isEqualTo(img.entry());
            RunOutcome o = m.run(RunLimits.instructions(2_000_000).withTimeout(Duration.ofSeconds(20)));
            assertThat(o.kind()).as(name + ": " + o.describe()).isNotEqualTo(RunOutcome.Kind.STOPPED);
        }
    }

    @Test
    void theFlatImageMatchesTheElfSegments() throws LoadException {
        Machine elf = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), OutputStream.nullOutputStream()));
        Machine flat = new Machine(MachineConfig.of(CpuProfile.forVendor(Vendor.INTEL), OutputStream.nullOutputStream()));
        elf.loadElf(Guests.bytes("hello"));
        byte[] bin = Guests.flatBytes("hello");
        flat.loadFlat(bin, 0x100000, -1);
        assertThat(elf.ram().read(0x100000, bin.length)).isEqualTo(bin);
    }
}
