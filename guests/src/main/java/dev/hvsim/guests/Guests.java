package dev.hvsim.guests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Access to the guest programs built by this module (see guests/DESIGN.md).
 *
 * <p>Each guest {@code NAME} is a classpath resource {@code /dev/hvsim/guests/NAME.elf}: an ELF32
 * multiboot image linked at 0x100000, plus {@code NAME.bin}, the flat image of its loaded
 * sections (offset 0 = address 0x100000). {@code /dev/hvsim/guests/index.txt} lists every
 * guest name. A guest reports on COM1 and ends by writing v to the debug-exit port 0xf4, which
 * gives the exit status {@code (v << 1) | 1}; v = 0 means every check passed.
 */
public final class Guests {
  /** Exit status of a guest run in which every check passed (v = 0 written to port 0xf4). */
  public static final int PASS_STATUS = 1;

  private static final String ROOT = "/dev/hvsim/guests/";

  private Guests() {}

  /** The names of all built guests, sorted, from the build's index. */
  public static List<String> names() {
    String index = new String(resource("index.txt", "guest index"), StandardCharsets.US_ASCII);
    return index.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * The ELF image of the guest {@code name} (e.g. {@code "hello"}).
   *
   * @throws IllegalArgumentException if there is no such guest
   */
  public static byte[] bytes(String name) {
    return resource(checkName(name) + ".elf", "guest '" + name + "'");
  }

  /**
   * The flat image of the guest {@code name}: its loaded sections from 0x100000 on, without
   * .bss (which the guest zeroes itself).
   *
   * @throws IllegalArgumentException if there is no such guest
   */
  public static byte[] flatBytes(String name) {
    return resource(checkName(name) + ".bin", "guest '" + name + "' (flat image)");
  }

  /**
   * Writes the ELF image of guest {@code name} to a new temporary file {@code NAME*.elf} and
   * returns its path; the caller deletes it.
   *
   * @throws IllegalArgumentException if there is no such guest
   */
  public static Path extract(String name) {
    byte[] elf = bytes(name);
    try {
      Path file = Files.createTempFile(name + "-", ".elf");
      Files.write(file, elf);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract guest '" + name + "'", e);
    }
  }

  private static String checkName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException("invalid guest name: '" + name + "'");
    }
    return name;
  }

  private static byte[] resource(String file, String what) {
    try (InputStream in = Guests.class.getResourceAsStream(ROOT + file)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "no " + what + ": resource " + ROOT + file + " is missing (known guests are listed in "
                + ROOT + "index.txt)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + ROOT + file, e);
    }
  }
}
