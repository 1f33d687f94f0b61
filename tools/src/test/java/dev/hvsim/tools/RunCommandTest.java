package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.machine.testing.ElfBuilder;
import dev.hvsim.machine.testing.GuestCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir
    Path dir;

    private String file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p.toString();
    }

    private String hiElf(int v) throws IOException {
        return file("hi.elf", ElfBuilder.elf32().entry(0x100000).load(0x100000, GuestCode.hiThenExit32(v), 0x100).build());
    }

    @Test
    void guestExitGivesStatusVShiftedOrOne() throws IOException {
        Cli r = Cli.run("run", hiElf(42));
        assertThat(r.status).as(r.toString()).isEqualTo(85);
        assertThat(r.out).isEqualTo("hi");
        assertThat(r.err).isEmpty();
    }

    @Test
    void guestExitStatusKeepsTheLowEightBitsLikeQemu() throws IOException {
        assertThat(Cli.run("run", hiElf(0)).status).isEqualTo(1);
        assertThat(Cli.run("run", hiElf(0x80)).status).isEqualTo(1);
        assertThat(Cli.run("run", hiElf(0x7f)).status).isEqualTo(255);
    }

    @Test
    void bothVendorsRunTheGuest() throws IOException {
        String elf = hiElf(1);
        assertThat(Cli.run("run", "--vendor", "amd", elf).status).isEqualTo(3);
        assertThat(Cli.run("run", "--vendor", "INTEL", "--profile", "intel-core", elf).status).isEqualTo(3);
        assertThat(Cli.run("run", "--profile", "amd-zen", elf).status).isEqualTo(3);
    }

    @Test
    void flatImagesLoadInRealModeBelow1MiBAndAutoDetectsFlat() throws IOException {
        Cli real = Cli.run("run", "--load", "flat@0x7c00", file("hi16.bin", GuestCode.hiThenExit16(2)));
        assertThat(real.status).as(real.toString()).isEqualTo(5);
        assertThat(real.out).isEqualTo("hi");
        Cli auto = Cli.run("run", file("hi32.bin", GuestCode.hiThenExit32(2)));
        assertThat(auto.status).as(auto.toString()).isEqualTo(5);
    }

    @Test
    void entryOverridesTheStartAddress() throws IOException {
        byte[] code = new byte[0x20];
        code[0] = (byte) 0xeb; // jmp $ at the load address; hlt at +0x10
        code[1] = (byte) 0xfe;
        code[0x10] = (byte) 0xf4;
        Cli r = Cli.run("run", "--load", "flat@0x200000", "--entry", "0x200010", "--max-insns", "100",
                file("e.bin", code));
        assertThat(r.status).as(r.toString()).isZero();
    }

    @Test
    void haltedGuestExitsZero() throws IOException {
        Cli r = Cli.run("run", file("hlt.bin", GuestCode.hlt()));
        assertThat(r.status).isZero();
        assertThat(r.err).isEmpty();
    }

    @Test
    void tripleFaultExitsTwoWithTheReason() throws IOException {
        Cli r = Cli.run("run", file("ud.bin", GuestCode.ud2()));
        assertThat(r.status).isEqualTo(2);
        assertThat(r.err).startsWith("hvsim: guest shut down: ");
        assertThat(r.oneErrorLine()).isTrue();
    }

    @Test
    void instructionLimitAndTimeoutExitFour() throws IOException {
        String spin = file("spin.bin", GuestCode.spin());
        Cli limit = Cli.run("run", "--max-insns", "1000", "--stats", spin);
        assertThat(limit.status).isEqualTo(4);
        assertThat(limit.err).contains("hvsim: instruction limit of 1000 reached")
                .contains("hvsim stats: instructions=1000 cycles=").contains("mips=");
        Cli time = Cli.run("run", "--timeout", "0.2", spin);
        assertThat(time.status).isEqualTo(4);
        assertThat(time.err).startsWith("hvsim: timeout of 0.2 s expired");
    }

    @Test
    void jitOffAndOnRunTheSameGuestAlike() throws IOException {
        for (String mode : new String[] {"on", "off"}) {
            Cli r = Cli.run("run", "--jit", mode, "--stats", hiElf(0));
            assertThat(r.out).as(mode).isEqualTo("hi");
            assertThat(r.err).as(mode).startsWith("hvsim stats: instructions=6 ");
        }
    }

    @Test
    void statsGoToStderr() throws IOException {
        Cli r = Cli.run("run", "--stats", hiElf(0));
        assertThat(r.out).isEqualTo("hi");
        assertThat(r.err).matches("hvsim stats: instructions=6 cycles=\\d+ wall=[0-9.]+s mips=[0-9.]+\\n");
    }

    @Test
    void badInputIsOneLineAndStatusSix() throws IOException {
        String elf = hiElf(0);
        String txt = file("notes.txt", "hello".getBytes());
        String[][] cases = {
            {"run", dir.resolve("missing.elf").toString()},
            {"run", dir.toString()},
            {"run", "--load", "elf", txt},
            {"run", "--load", "zip", elf},
            {"run", "--load", "flat@zz", elf},
            {"run", "--load", "flat@0x90000000", txt},
            {"run", "--mem", "abc", elf},
            {"run", "--mem", "0", elf},
            {"run", "--profile", "pentium", elf},
            {"run", "--vendor", "amd", "--profile", "intel-core", elf},
            {"run", "--vendor", "arm", elf},
            {"run", "--entry", "0x90000000", elf},
            {"run", "--entry", "xyz", elf},
            {"run", "--max-insns", "0", elf},
            {"run", "--timeout", "-1", elf},
            {"run", "--bogus", elf},
            {"run", "--jit", "maybe", elf},
            {"run"},
            {"frobnicate"},
            {},
        };
        for (String[] args : cases) {
            Cli r = Cli.run(args);
            assertThat(r.status).as(String.join(" ", args) + " -> " + r).isEqualTo(ExitStatus.BAD_INPUT);
            assertThat(r.oneErrorLine()).as(String.join(" ", args) + " -> " + r).isTrue();
        }
    }

    @Test
    void specificMessages() throws IOException {
        assertThat(Cli.run("run", dir.resolve("missing.elf").toString()).err).contains("no such file");
        assertThat(Cli.run("run", "--load", "elf", file("t.txt", "text".getBytes())).err)
                .isEqualTo("hvsim: not an ELF file (no \\x7fELF magic at offset 0)\n");
        assertThat(Cli.run("run", "--vendor", "amd", "--profile", "intel-core", hiElf(0)).err)
                .isEqualTo("hvsim: --profile intel-core is an Intel profile but --vendor amd was given\n");
        assertThat(Cli.run("frobnicate").err).contains("'frobnicate'");
    }
}
