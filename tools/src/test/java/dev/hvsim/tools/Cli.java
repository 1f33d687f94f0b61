package dev.hvsim.tools;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs {@code hvsim} in-process with captured streams. */
final class Cli {
    final int status;
    final String out;
    final String err;

    private Cli(int status, String out, String err) {
        this.status = status;
        this.out = out;
        this.err = err;
    }

    static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Writes the shipped guest {@code name} as {@code DIR/name.elf} and returns that path (a file for the CLI). */
    static String guestFile(java.nio.file.Path dir, String name) throws java.io.IOException {
        java.nio.file.Path p = dir.resolve(name + ".elf");
        java.nio.file.Files.write(p, dev.hvsim.guests.Guests.bytes(name));
        return p.toString();
    }

    /** stderr is exactly one line starting "hvsim: " and no stack trace. */
    boolean oneErrorLine() {
        return err.startsWith("hvsim: ") && err.endsWith("\n") && err.indexOf('\n') == err.length() - 1
                && !err.contains("Exception") && !err.contains("\tat ");
    }

    @Override
    public String toString() {
        return "status " + status + ", out [" + out + "], err [" + err + "]";
    }
}
