package dev.hvsim.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The guests built by the guests module, by name: the classpath resource
 * {@code /dev/hvsim/guests/NAME.elf} (guests/DESIGN.md). A name without a resource is reported as
 * "guest NAME is not built".
 */
final class GuestImages {
    static final String ROOT = "/dev/hvsim/guests/";

    private GuestImages() {}

    /** True when the guest's ELF image is on the class path. */
    static boolean isBuilt(String name) {
        return validName(name) && GuestImages.class.getResource(ROOT + name + ".elf") != null;
    }

    /** The ELF image of guest {@code name}. */
    static byte[] elf(String name) throws BadInputException {
        if (!validName(name)) {
            throw new BadInputException("invalid guest name '" + name + "' (letters, digits, '-' and '_' only)");
        }
        try (InputStream in = GuestImages.class.getResourceAsStream(ROOT + name + ".elf")) {
            if (in == null) {
                throw new BadInputException("guest " + name + " is not built (no class-path resource " + ROOT + name
                        + ".elf; the guests module builds it with GNU binutils)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read guest " + name, e);
        }
    }

    private static boolean validName(String name) {
        return name != null && name.matches("[A-Za-z0-9_-]+");
    }
}
