package dev.hvsim.tools;

import picocli.CommandLine;

/** {@code --jit on|off} (also true/false): block translation of hot 64-bit code (x86-core jit). */
final class JitSwitch implements CommandLine.ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String value) {
        switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "on": case "true": return true;
            case "off": case "false": return false;
            default: throw new CommandLine.TypeConversionException("expected on or off, not '" + value + "'");
        }
    }
}
