package dev.hvsim.machine.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Multiboot 0.6.96 loading: header search, ELF and a.out-kludge images, the information structure. */
class MultibootTest {
    private final Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), new ByteArrayOutputStream()));

    private String string(long pa) {
        StringBuilder sb = new StringBuilder();
        for (long a = pa; m.memory().read(a, 1) != 0; a++) {
            sb.append((char) m.memory().read(a, 1));
        }
        return sb.toString();
    }

    @Test
    void elfKernelWithModules() throws LoadException {
        byte[] mod = new byte[5000];
        mod[0] = 0x42;
        LoadedImage img = m.loadMultiboot(Guests.bytes("hello"), "hello.elf", "a b",
                List.of(new Multiboot.Module(mod, "m1 x"), new Multiboot.Module(new byte[1], "m2")), -1);
        long info = m.bootInfo();
        var s = m.cpu().state();
        assertThat(s.gpr[Reg.RAX]).isEqualTo(0x2BADB002L);
        assertThat(s.gpr[Reg.RBX]).isEqualTo(info);
        assertThat(s.fcw).isEqualTo(0x37f);
        long end = img.segments().stream().mapToLong(g -> g.address() + g.memSize()).max().orElseThrow();
        assertThat(info).isGreaterThanOrEqualTo(end).isGreaterThan(0xfff);
        assertThat(m.memory().read(info, 4) & 0x4d).isEqualTo(0x4dL);
        assertThat(m.memory().read(info + 4, 4)).isEqualTo(640L);
        assertThat(m.memory().read(info + 8, 4)).isEqualTo((128L << 10) - 1024);
        assertThat(string(m.memory().read(info + 16, 4))).isEqualTo("hello.elf a b");
        assertThat(m.memory().read(info + 20, 4)).isEqualTo(2L);
        long mods = m.memory().read(info + 24, 4);
        long m0 = m.memory().read(mods, 4);
        assertThat(m0 & 0xfff).isZero();
        assertThat(m0).isGreaterThanOrEqualTo(end);
        assertThat(m.memory().read(m0, 1)).isEqualTo(0x42L);
        assertThat(m.memory().read(mods + 4, 4) - m0).isEqualTo(5000L);
        assertThat(string(m.memory().read(mods + 8, 4))).isEqualTo("m1 x");
        assertThat(m.memory().read(mods + 16, 4)).isGreaterThanOrEqualTo(m0 + 5000);
        // memory map: 24-byte entries, the 4th is RAM from 1 MiB, the 5th the reserved APIC hole below 4 GiB
        long mmap = m.memory().read(info + 48, 4);
        assertThat(m.memory().read(info + 44, 4)).isEqualTo(5 * 24L);
        assertThat(m.memory().read(mmap + 3 * 24 + 4, 8)).isEqualTo(0x100000L);
        assertThat(m.memory().read(mmap + 3 * 24 + 20, 4)).isEqualTo(1L);
        assertThat(m.memory().read(mmap + 4 * 24 + 4, 8)).isEqualTo(0xfec00000L);
        assertThat(m.memory().read(mmap + 4 * 24 + 12, 8)).isEqualTo(0x01400000L);
        assertThat(m.memory().read(mmap + 4 * 24 + 20, 4)).isEqualTo(2L);
    }

    @Test
    void aoutKludge() throws LoadException {
        // header at file offset 0 with address fields: load the file at 0x200000, 0x100 bytes of BSS
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        int flags = 0x10000;
        b.putInt(Multiboot.HEADER_MAGIC).putInt(flags).putInt(-(Multiboot.HEADER_MAGIC + flags));
        b.putInt(0x200000).putInt(0x200000).putInt(0).putInt(0x200100).putInt(0x200020);
        b.put(32, (byte) 0xf4); // HLT at the entry
        LoadedImage img = m.loadMultiboot(b.array(), "k", "", List.of(), -1);
        assertThat(img.entry()).isEqualTo(0x200020L);
        assertThat(m.memory().read(0x200020, 1)).isEqualTo(0xf4L);
        assertThat(img.segments().get(0).memSize()).isEqualTo(0x100L);
    }

    @Test
    void kernelWithoutHeaderIsRefused() {
        assertThatThrownBy(() -> m.loadMultiboot(new byte[100], "k", "x", List.of(), -1))
                .isInstanceOf(LoadException.class).hasMessageContaining("no multiboot header");
        byte[] bad = "xxxxxxxxxxxx".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Multiboot.findHeader(bad)).isNull();
    }

    @Test
    void unsupportedFlagsAreRefused() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        int flags = 0x8;
        b.putInt(Multiboot.HEADER_MAGIC).putInt(flags).putInt(-(Multiboot.HEADER_MAGIC + flags));
        assertThatThrownBy(() -> m.loadMultiboot(b.array(), "k", "", List.of(), -1))
                .isInstanceOf(LoadException.class).hasMessageContaining("unsupported");
    }
}
