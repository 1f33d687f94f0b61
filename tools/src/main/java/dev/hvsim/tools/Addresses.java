package dev.hvsim.tools;

import picocli.CommandLine;

/** Parses addresses and counts given on the command line: {@code 0x}-prefixed hex or decimal, non-negative. */
final class Addresses implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
        try {
            return parse(text);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not an address (0x-prefixed hex or decimal)");
        }
    }

    /** The value of {@code text}; throws NumberFormatException when it is not a non-negative number. */
    static long parse(String text) {
        String t = text.trim().toLowerCase();
        long v = t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        if (v < 0 || t.startsWith("-") || t.startsWith("+") || t.startsWith("0x-") || t.startsWith("0x+")) {
            throw new NumberFormatException(text);
        }
        return v;
    }
}
