package dev.hvsim.guests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks that every guest was built and is a loadable ELF32 multiboot image (guests/DESIGN.md). */
class GuestsTest {
  /** Every guest this module must provide; a new guest is added here and in DESIGN.md. */
  static final List<String> EXPECTED =
      List.of(
          "hello", "bench", "bench-small", "modes", "paging", "pagefault", "privilege",
          "exceptions", "doublefault", "triplefault", "apic", "x2apic", "platform", "smp", "hello-c", "dev",
          "vmx-hv", "svm-hv", "vmx-exit-loop", "svm-exit-loop", "exits", "vmx-ept-walk", "svm-npt-walk");

  private static final int MULTIBOOT_MAGIC = 0x1BADB002;
  private static final long LOAD_BASE = 0x100000L;

  static List<String> expected() {
    return EXPECTED;
  }

  @Test
  void indexListsExactlyTheExpectedGuests() {
    assertThat(Guests.names()).containsExactlyInAnyOrderElementsOf(EXPECTED);
  }

  @ParameterizedTest
  @MethodSource("expected")
  void guestIsAnElf32MultibootImageLoadedAtOneMebibyte(String name) {
    ByteBuffer elf = ByteBuffer.wrap(Guests.bytes(name)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(elf.getInt(0)).as("ELF magic").isEqualTo(0x464C457F);
    assertThat(elf.get(4)).as("EI_CLASS (ELFCLASS32)").isEqualTo((byte) 1);
    assertThat(elf.get(5)).as("EI_DATA (little endian)").isEqualTo((byte) 1);
    assertThat(elf.getShort(16)).as("e_type (ET_EXEC)").isEqualTo((short) 2);
    assertThat(elf.getShort(18)).as("e_machine (EM_386)").isEqualTo((short) 3);
    long entry = Integer.toUnsignedLong(elf.getInt(24));
    int phoff = elf.getInt(28);
    int phentsize = Short.toUnsignedInt(elf.getShort(42));
    int phnum = Short.toUnsignedInt(elf.getShort(44));
    assertThat(phnum).as("program headers").isPositive();

    boolean entryLoaded = false;
    int loads = 0;
    for (int i = 0; i < phnum; i++) {
      int ph = phoff + i * phentsize;
      if (elf.getInt(ph) != 1) { // PT_LOAD
        continue;
      }
      loads++;
      long offset = Integer.toUnsignedLong(elf.getInt(ph + 4));
      long paddr = Integer.toUnsignedLong(elf.getInt(ph + 12));
      long filesz = Integer.toUnsignedLong(elf.getInt(ph + 16));
      long memsz = Integer.toUnsignedLong(elf.getInt(ph + 20));
      assertThat(paddr).as("PT_LOAD %d physical address", i).isGreaterThanOrEqualTo(LOAD_BASE);
      assertThat(memsz).as("PT_LOAD %d memsz", i).isGreaterThanOrEqualTo(filesz);
      assertThat(offset + filesz).as("PT_LOAD %d end in file", i).isLessThanOrEqualTo(elf.capacity());
      if (filesz > 0 && entry >= paddr && entry < paddr + filesz) {
        entryLoaded = true;
      }
    }
    assertThat(loads).as("PT_LOAD segments").isPositive();
    assertThat(entryLoaded).as("entry point 0x%x lies in a loaded segment", entry).isTrue();
    assertThat(multibootHeaderOffset(elf)).as("multiboot header in the first 8 KiB").isNotNegative();
  }

  @ParameterizedTest
  @MethodSource("expected")
  void flatImageStartsWithTheMultibootHeader(String name) {
    ByteBuffer bin = ByteBuffer.wrap(Guests.flatBytes(name)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(bin.capacity()).isGreaterThan(12);
    assertThat(bin.getInt(0)).isEqualTo(MULTIBOOT_MAGIC);
  }

  @Test
  void extractWritesTheElfToAFile() throws Exception {
    Path file = Guests.extract("hello");
    try {
      assertThat(Files.readAllBytes(file)).isEqualTo(Guests.bytes("hello"));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void unknownGuestIsAClearError() {
    assertThatThrownBy(() -> Guests.bytes("no-such-guest"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-such-guest");
    assertThatThrownBy(() -> Guests.extract("../hello"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../hello");
  }

  /** Offset of a valid multiboot header (magic, flags, checksum summing to 0) in the first 8 KiB. */
  private static int multibootHeaderOffset(ByteBuffer elf) {
    int limit = Math.min(8192, elf.capacity()) - 12;
    for (int off = 0; off <= limit; off += 4) {
      if (elf.getInt(off) == MULTIBOOT_MAGIC
          && elf.getInt(off) + elf.getInt(off + 4) + elf.getInt(off + 8) == 0) {
        return off;
      }
    }
    return -1;
  }
}
