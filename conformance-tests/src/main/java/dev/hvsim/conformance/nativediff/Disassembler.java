package dev.hvsim.conformance.nativediff;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Optional real disassembly for failure reports, through GNU objdump
 * ({@code objdump -D -b binary -mi386:x86-64 -M intel --insn-width=15}). Empty when objdump is missing or fails.
 */
public final class Disassembler {
    private Disassembler() {
    }

    /** objdump's listing of {@code code}, instruction lines only. */
    public static Optional<String> objdump(byte[] code) {
        Path file = null;
        try {
            file = Files.createTempFile("hvsim-code", ".bin");
            Files.write(file, code);
            Process p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel",
                    "--insn-width=15", file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
            return Optional.of(instructionLines(out));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            deleteQuietly(file);
        }
    }

    private static String instructionLines(String listing) {
        StringBuilder sb = new StringBuilder();
        for (String line : listing.split("\n")) {
            if (line.matches("\\s+[0-9a-f]+:\t.*")) {
                sb.append(line.replace('\t', ' ')).append('\n');
            }
        }
        return sb.toString().stripTrailing();
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // temp file; nothing else to do
            }
        }
    }
}
