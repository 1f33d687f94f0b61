package dev.hvsim.conformance.nativediff;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link IsaCase}s on the host CPU through the {@code harness.c} helper process: one
 * process per {@link #run} call, the whole batch streamed through its stdin/stdout in the
 * {@link BatchCodec} format. Thread-safe; holds no mutable state besides its configuration.
 */
public final class NativeExecutor implements IsaExecutor {
    /** Default directory for the compiled harness, relative to the working directory. */
    public static final Path DEFAULT_WORK_DIR = Path.of("target", "hvsim-native");

    private final Path harness;

    private NativeExecutor(Path harness) {
        this.harness = harness;
    }

    /** Builds (or reuses) the harness in {@code workDir}. */
    public static NativeExecutor create(Path workDir) {
        return new NativeExecutor(HarnessBuild.ensureBuilt(workDir));
    }

    /** Builds (or reuses) the harness in {@link #DEFAULT_WORK_DIR}. */
    public static NativeExecutor create() {
        return create(DEFAULT_WORK_DIR);
    }

    /** Path of the compiled harness binary. */
    public Path harness() {
        return harness;
    }

    @Override
    public List<IsaOutcome> run(List<IsaCase> cases) {
        Process p = start();
        CompletableFuture<String> stderr = background("stderr", () -> drain(p));
        CompletableFuture<String> feeder = background("feeder", () -> feed(p, cases));
        try {
            List<IsaOutcome> outcomes = collect(p, cases.size());
            feeder.join();
            awaitExit(p, stderr);
            return outcomes;
        } catch (IOException e) {
            p.destroyForcibly();
            throw new IllegalStateException("native harness failed: " + e.getMessage()
                    + "\nstderr: " + stderr.join(), e);
        }
    }

    private Process start() {
        try {
            return new ProcessBuilder(harness.toString()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + harness, e);
        }
    }

    /** Runs {@code task} on its own daemon thread (blocking pipe I/O must not share a pool). */
    private static CompletableFuture<String> background(String name, java.util.function.Supplier<String> task) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread t = new Thread(() -> result.complete(task.get()), "native-harness-" + name);
        t.setDaemon(true);
        t.start();
        return result;
    }

    private static String feed(Process p, List<IsaCase> cases) {
        try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 1 << 20)) {
            for (IsaCase c : cases) {
                BatchCodec.writeCase(out, c);
            }
            return "";
        } catch (IOException e) {
            return e.toString(); // the harness died; collect() reports it with its stderr
        }
    }

    private static List<IsaOutcome> collect(Process p, int count) throws IOException {
        List<IsaOutcome> outcomes = new ArrayList<>(count);
        try (DataInputStream in = new DataInputStream(
                new BufferedInputStream(p.getInputStream(), 1 << 20))) {
            BatchCodec.readHeader(in);
            for (int i = 0; i < count; i++) {
                outcomes.add(BatchCodec.readOutcome(in));
            }
        }
        return outcomes;
    }

    private static String drain(Process p) {
        try {
            return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    private static void awaitExit(Process p, CompletableFuture<String> stderr) throws IOException {
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("harness did not exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("harness exited with " + p.exitValue() + ": " + stderr.join());
        }
    }
}
