package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.testing.ElfBuilder;
import dev.hvsim.machine.testing.GuestCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hvsim run --append --initrd --smp}: multiboot kernels as with QEMU's -kernel, and bad input. */
class MultibootCliTest {
    @TempDir
    Path dir;

    private String file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p.toString();
    }

    @Test
    void multibootKernelGetsCommandLineModulesAndCpus() throws IOException {
        String kernel = file("platform.elf", Guests.bytes("platform"));
        String env = file("env", "ENV=1\n".getBytes(StandardCharsets.ISO_8859_1));
        Cli r = Cli.run("run", "--append", "hello world", "--initrd", env + " x", "--smp", "2", "--mem", "64",
                kernel);
        assertThat(r.status).as(r.toString()).isEqualTo(1);
        assertThat(r.out).contains("INFO cmdline=" + kernel + " hello world")
                .contains("mods_count=0x00000001 mod0=" + env + " x").contains("INFO fw_cfg cpus=0x00000002")
                .contains("INFO fw_cfg ram=0x04000000").doesNotContain("FAIL");
    }

    @Test
    void smpGuestOnFourCpus() throws IOException {
        Cli r = Cli.run("run", "--smp", "4", file("smp.elf", Guests.bytes("smp")));
        assertThat(r.status).as(r.toString()).isEqualTo(1);
        assertThat(r.out).contains("INFO smp: cpus=0x00000004");
    }

    @Test
    void appendNeedsAMultibootKernel() throws IOException {
        String elf = file("hi.elf", ElfBuilder.elf32().entry(0x100000).load(0x100000, GuestCode.hiThenExit32(1), 0x100)
                .build());
        Cli r = Cli.run("run", "--append", "x", elf);
        assertThat(r.status).isEqualTo(6);
        assertThat(r.err).startsWith("hvsim: ").contains("multiboot").doesNotContain("Exception").hasLineCount(1);
        assertThat(Cli.run("run", elf).status).isEqualTo(3); // without --append it still runs as an ELF
    }

    @Test
    void missingInitrdAndBadSmpAreBadInput() throws IOException {
        String kernel = file("hello.elf", Guests.bytes("hello"));
        Cli missing = Cli.run("run", "--initrd", dir.resolve("nope").toString(), kernel);
        assertThat(missing.status).isEqualTo(6);
        assertThat(missing.err).contains("cannot read initrd").hasLineCount(1);
        for (String n : new String[] {"0", "65", "-1", "x"}) {
            Cli r = Cli.run("run", "--smp", n, kernel);
            assertThat(r.status).as(n + ": " + r).isEqualTo(6);
            assertThat(r.err).startsWith("hvsim: ").hasLineCount(1);
        }
    }

    @Test
    void loadMultibootRefusesAFileWithoutHeader() throws IOException {
        Cli r = Cli.run("run", "--load", "multiboot", file("x.bin", new byte[64]));
        assertThat(r.status).isEqualTo(6);
        assertThat(r.err).contains("no multiboot header").hasLineCount(1);
    }
}
