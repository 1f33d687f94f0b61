package dev.hvsim.machine.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.bus.Ram;
import dev.hvsim.machine.testing.ElfBuilder;
import org.junit.jupiter.api.Test;

class ElfLoaderTest {
    private final MemoryBus bus = new MemoryBus(Ram.ofMiB(16));

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void elf32SegmentsAreCopiedAndZeroFilled() throws LoadException {
        bus.write(0x200003, 1, 0x77); // stale byte inside the future .bss
        byte[] elf = ElfBuilder.elf32().entry(0x100000)
                .load(0x100000, bytes(0xf4, 0x90), 2)
                .load(0x200000, bytes(1, 2), 0x10)
                .build();
        LoadedImage img = ElfLoader.load(elf, bus);
        assertThat(img.format()).isEqualTo("elf32");
        assertThat(img.entry()).isEqualTo(0x100000);
        assertThat(img.mode()).isEqualTo(StartMode.PROTECTED_32);
        assertThat(img.segments()).hasSize(2);
        assertThat(bus.read(0x100000, 2)).isEqualTo(0x90f4);
        assertThat(bus.read(0x200000, 2)).isEqualTo(0x0201);
        assertThat(bus.read(0x200003, 1)).isZero();
    }

    @Test
    void elf64IsLoadedToo() throws LoadException {
        byte[] elf = ElfBuilder.elf64().entry(0x300010).load(0x300000, new byte[0x20], 0x20).build();
        LoadedImage img = ElfLoader.load(elf, bus);
        assertThat(img.format()).isEqualTo("elf64");
        assertThat(img.entry()).isEqualTo(0x300010);
    }

    @Test
    void theEntryIsTranslatedToThePhysicalAddress() throws LoadException {
        byte[] elf = ElfBuilder.elf32().entry(0xc0100004L)
                .segment(ElfLoader.PT_LOAD, 0xc0100000L, 0x100000, new byte[8], 8).build();
        assertThat(ElfLoader.load(elf, bus).entry()).isEqualTo(0x100004);
    }

    @Test
    void nonLoadHeadersAndEmptySegmentsAreIgnored() throws LoadException {
        byte[] elf = ElfBuilder.elf32().entry(0x100000)
                .segment(4, 0, 0x7fffffffL, new byte[4], 4) // PT_NOTE far outside RAM
                .load(0xf000000, new byte[0], 0)            // empty
                .load(0x100000, new byte[4], 4).build();
        assertThat(ElfLoader.load(elf, bus).segments()).hasSize(1);
    }

    @Test
    void notAnElf() {
        assertThatThrownBy(() -> ElfLoader.load("hello world".getBytes(), bus))
                .isInstanceOf(LoadException.class).hasMessageStartingWith("not an ELF file");
        assertThatThrownBy(() -> ElfLoader.load(new byte[0], bus)).hasMessageStartingWith("not an ELF file");
    }

    @Test
    void wrongClassEncodingMachineAndType() {
        byte[] elf = ElfBuilder.elf32().entry(0x100000).load(0x100000, new byte[4], 4).build();
        byte[] badClass = elf.clone();
        badClass[4] = 3;
        assertThatThrownBy(() -> ElfLoader.load(badClass, bus)).hasMessage(
                "unsupported ELF class 3 (expected 1 = ELF32 or 2 = ELF64)");
        byte[] bigEndian = ElfBuilder.elf32().dataEncoding(2).entry(0x100000).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(bigEndian, bus)).hasMessageContaining("little-endian");
        byte[] arm = ElfBuilder.elf32().machine(40).entry(0x100000).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(arm, bus)).hasMessage(
                "ELF machine 40 is not supported: an ELF32 guest must be EM_386 (3)");
        byte[] x32 = ElfBuilder.elf64().machine(3).entry(0x100000).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(x32, bus)).hasMessageContaining("EM_X86_64 (62)");
        byte[] dyn = ElfBuilder.elf32().type(3).entry(0x100000).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(dyn, bus)).hasMessage("ELF type 3 is not an executable (ET_EXEC = 2)");
    }

    @Test
    void segmentOutsideRam() {
        byte[] elf = ElfBuilder.elf32().entry(0x100000).load(0xfff000, new byte[4], 0x2000).build();
        assertThatThrownBy(() -> ElfLoader.load(elf, bus)).isInstanceOf(LoadException.class)
                .hasMessage("ELF segment 0 [0xfff000, +0x2000) is outside RAM (16 MiB)");
        byte[] high = ElfBuilder.elf64().entry(0x100000).load(0xffffffff00000000L, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(high, bus)).hasMessageContaining("is outside RAM");
    }

    @Test
    void truncatedFiles() {
        byte[] elf = ElfBuilder.elf64().entry(0x100000).load(0x100000, new byte[64], 64).build();
        assertThatThrownBy(() -> ElfLoader.load(ElfBuilder.truncate(elf, 10), bus))
                .hasMessage("truncated ELF file: the ELF identification needs 16 bytes, the file has 10");
        assertThatThrownBy(() -> ElfLoader.load(ElfBuilder.truncate(elf, 40), bus))
                .hasMessage("truncated ELF file: the ELF header needs 64 bytes, the file has 40");
        assertThatThrownBy(() -> ElfLoader.load(ElfBuilder.truncate(elf, 100), bus))
                .hasMessageStartingWith("truncated ELF file: program headers at 0x40");
        assertThatThrownBy(() -> ElfLoader.load(ElfBuilder.truncate(elf, elf.length - 1), bus))
                .hasMessageStartingWith("truncated ELF file: segment 0 needs bytes [0x78, +0x40)");
    }

    @Test
    void inconsistentHeaders() {
        byte[] fileBigger = ElfBuilder.elf32().entry(0x100000).load(0x100000, new byte[8], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(fileBigger, bus)).hasMessageContaining("larger than p_memsz");
        byte[] none = ElfBuilder.elf32().entry(0x100000).build();
        assertThatThrownBy(() -> ElfLoader.load(none, bus)).hasMessage("ELF file has no program headers");
        byte[] noLoad = ElfBuilder.elf32().entry(0x100000).segment(4, 0, 0, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(noLoad, bus)).hasMessage("ELF file has no loadable (PT_LOAD) segment");
        byte[] smallPh = ElfBuilder.elf32().phentsize(8).entry(0x100000).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(smallPh, bus)).hasMessageContaining("program header size 8");
    }

    @Test
    void entryPointChecks() {
        byte[] outside = ElfBuilder.elf32().entry(0x2000000).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(outside, bus)).hasMessage(
                "ELF entry point 0x2000000 is outside RAM (16 MiB)");
        byte[] above4g = ElfBuilder.elf64().entry(0x100000000L).load(0x100000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(above4g, bus)).hasMessageContaining("above 4 GiB");
    }

    @Test
    void aRejectedFileWritesNothing() {
        byte[] elf = ElfBuilder.elf32().entry(0x100000)
                .load(0x100000, bytes(1, 2, 3, 4), 4)
                .load(0x2000000, new byte[4], 4).build();
        assertThatThrownBy(() -> ElfLoader.load(elf, bus)).isInstanceOf(LoadException.class);
        assertThat(bus.read(0x100000, 4)).isZero();
        assertThat(bus.ram().allocatedPages()).isZero();
    }
}
