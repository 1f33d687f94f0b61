package dev.hvsim.tools;

import dev.hvsim.guests.Guests;
import java.util.List;

/**
 * The guests built by the guests module, by name, through {@link Guests} (class-path resources
 * {@code /dev/hvsim/guests/NAME.elf}, guests/DESIGN.md), with the CLI's one-line errors.
 */
final class GuestImages {
    private GuestImages() {}

    /** True when the guest's ELF image is on the class path. */
    static boolean isBuilt(String name) {
        return validName(name) && Guests.class.getResource("/dev/hvsim/guests/" + name + ".elf") != null;
    }

    /** The ELF image of guest {@code name}. */
    static byte[] elf(String name) throws BadInputException {
        if (!validName(name)) {
            throw new BadInputException("invalid guest name '" + name + "' (letters, digits, '-' and '_' only)");
        }
        if (!isBuilt(name)) {
            throw new BadInputException("guest " + name + " is not built (" + known() + ")");
        }
        return Guests.bytes(name);
    }

    private static String known() {
        try {
            List<String> names = Guests.names();
            return names.isEmpty() ? "no guests are built" : "built guests: " + String.join(", ", names);
        } catch (IllegalArgumentException e) { // no index: the guests module was not built at all
            return "the guests module has not built any guest; it needs GNU binutils";
        }
    }

    private static boolean validName(String name) {
        return name != null && name.matches("[A-Za-z0-9_-]+");
    }
}
