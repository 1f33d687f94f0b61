package dev.hvsim.conformance.nativediff;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Compiles {@code harness.c} with {@code gcc -O1} into a work directory, once per source
 * version: the binary is named after the SHA-256 of the source, so an unchanged harness is
 * reused and an edited one is rebuilt. Concurrent builders are safe (atomic rename).
 */
public final class HarnessBuild {
    static final String RESOURCE = "/dev/hvsim/conformance/nativediff/harness.c";

    private HarnessBuild() {
    }

    /** Whether this JVM runs on Linux x86-64, the only host the harness supports. */
    public static boolean hostSupported() {
        String arch = System.getProperty("os.arch");
        return System.getProperty("os.name").toLowerCase().startsWith("linux")
                && ("amd64".equals(arch) || "x86_64".equals(arch));
    }

    /**
     * Returns the path of the compiled harness for the current source, compiling it if needed.
     *
     * @throws IllegalStateException if the host is unsupported, gcc is missing or fails
     */
    public static Path ensureBuilt(Path workDir) {
        if (!hostSupported()) {
            throw new IllegalStateException("the native harness needs Linux on x86-64, this is "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        }
        try {
            byte[] source = readSource();
            Path binary = workDir.resolve("harness-" + sha256(source).substring(0, 16));
            if (Files.isExecutable(binary)) {
                return binary;
            }
            Files.createDirectories(workDir);
            compile(source, binary);
            return binary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void compile(byte[] source, Path binary) throws IOException {
        Path src = Files.createTempFile(binary.getParent(), "harness", ".c");
        Path tmp = Path.of(src.toString().replace(".c", ".bin"));
        try {
            Files.write(src, source);
            runGcc(List.of("gcc", "-O1", "-std=gnu11", "-Wall", "-o", tmp.toString(), src.toString()));
            Files.move(tmp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(tmp);
        }
    }

    private static void runGcc(List<String> command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("gcc not found on PATH: the native-differential suite "
                    + "compiles its harness (" + RESOURCE + ") with gcc; install gcc (e.g. "
                    + "apt-get install gcc) or skip this module", e);
        }
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("gcc failed on the harness: " + command + "\n" + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while compiling the harness", e);
        }
    }

    private static byte[] readSource() throws IOException {
        try (InputStream in = HarnessBuild.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("resource missing: " + RESOURCE);
            }
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            StringBuilder sb = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(bytes)) {
                sb.append(String.format("%02x", b & 0xff));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
