package dev.hvsim.tools;

/**
 * The {@code --load} option: {@code auto} (multiboot when the file has a multiboot header, else ELF when
 * it starts with the ELF magic, else a flat image at 0x100000), {@code multiboot}, {@code elf}, or
 * {@code flat@ADDR}.
 *
 * @param kind    how to load
 * @param address the load address of a flat image
 */
record LoadSpec(Kind kind, long address) {
    /** Where {@code auto} puts a file that is not an ELF: the guests' link address. */
    static final long DEFAULT_FLAT_ADDRESS = 0x100000;

    enum Kind { AUTO, ELF, FLAT, MULTIBOOT }

    static LoadSpec parse(String text) throws BadInputException {
        String t = text.trim().toLowerCase();
        if (t.equals("auto")) {
            return new LoadSpec(Kind.AUTO, DEFAULT_FLAT_ADDRESS);
        }
        if (t.equals("multiboot")) {
            return new LoadSpec(Kind.MULTIBOOT, 0);
        }
        if (t.equals("elf")) {
            return new LoadSpec(Kind.ELF, 0);
        }
        if (t.startsWith("flat@")) {
            try {
                return new LoadSpec(Kind.FLAT, Addresses.parse(t.substring(5)));
            } catch (NumberFormatException e) {
                throw new BadInputException("bad --load address in '" + text + "' (0x-prefixed hex or decimal)");
            }
        }
        throw new BadInputException("bad --load value '" + text + "': expected auto, multiboot, elf or flat@ADDR");
    }
}
