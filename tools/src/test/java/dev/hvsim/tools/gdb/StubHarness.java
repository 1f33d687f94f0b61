package dev.hvsim.tools.gdb;

import dev.hvsim.guests.Guests;
import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A machine with a guest loaded and a stub on an ephemeral port, served on a background thread. */
final class StubHarness implements AutoCloseable {
    final Machine machine;
    final GdbStub stub;
    /** Where the stub writes guest output of machines it rebuilds for a replay from the start. */
    final ByteArrayOutputStream console;
    final CompletableFuture<GdbStub.End> end = new CompletableFuture<>();

    StubHarness(Machine machine) throws IOException {
        this(machine, null);
    }

    StubHarness(Machine machine, java.util.function.Function<java.io.OutputStream, Machine> replay) throws IOException {
        this(machine, replay, Reverse.DEFAULT);
    }

    /**
     * How reverse execution works in a harness: snapshots every {@link GdbStub} default interval, snapshots every
     * {@link #SMALL_INTERVAL} steps (so that reverse steps restore periodic snapshots, not only the start), or no
     * snapshots (the replay from the start that machines without snapshots get).
     */
    enum Reverse { DEFAULT, SMALL_INTERVAL, REPLAY_FROM_START }

    static final long SMALL_INTERVAL = 97;

    StubHarness(Machine machine, java.util.function.Function<java.io.OutputStream, Machine> replay, Reverse how)
            throws IOException {
        this(machine, new ByteArrayOutputStream(), replay, how == Reverse.SMALL_INTERVAL ? SMALL_INTERVAL
                : Snapshots.DEFAULT_INTERVAL, Snapshots.DEFAULT_LIMIT, how != Reverse.REPLAY_FROM_START);
    }

    /** Snapshots every {@code interval} steps within {@code limitBytes}. */
    StubHarness(Machine machine, java.util.function.Function<java.io.OutputStream, Machine> replay, long interval,
            long limitBytes) throws IOException {
        this(machine, new ByteArrayOutputStream(), replay, interval, limitBytes, true);
    }

    private StubHarness(Machine machine, ByteArrayOutputStream console,
            java.util.function.Function<java.io.OutputStream, Machine> replay, long interval, long limitBytes,
            boolean snapshots) throws IOException {
        this.machine = machine;
        this.console = console;
        this.stub = new GdbStub(machine, 0, replay, replay == null ? null : console, interval, limitBytes, snapshots);
        Thread t = new Thread(() -> {
            try {
                end.complete(stub.serve());
            } catch (Throwable e) {
                end.completeExceptionally(e);
            }
        }, "stub-under-test");
        t.setDaemon(true);
        t.start();
    }

    /** The named shipped guest on an Intel machine with {@code cpus} CPUs. */
    static StubHarness guest(String name, int cpus) throws Exception {
        return new StubHarness(machine(name, cpus, new ByteArrayOutputStream()));
    }

    /** The named shipped guest with reverse execution (a replay factory building the same machine). */
    static StubHarness reversible(String name, int cpus) throws Exception {
        return new StubHarness(machine(name, cpus, new ByteArrayOutputStream()), out -> {
            try {
                return machine(name, cpus, out);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The named shipped guest with reverse execution on a machine of {@code vendor}'s profile. */
    static StubHarness reversible(String name, int cpus, Vendor vendor) throws Exception {
        return reversible(name, cpus, vendor, Reverse.DEFAULT);
    }

    /** The named shipped guest with reverse execution done {@code how}. */
    static StubHarness reversible(String name, int cpus, Vendor vendor, Reverse how) throws Exception {
        return new StubHarness(machine(name, cpus, new ByteArrayOutputStream(), vendor), out -> {
            try {
                return machine(name, cpus, out, vendor);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, how);
    }

    /** The named shipped guest under the Java VMM ({@code virt}), with reverse execution. */
    static StubHarness underVmm(String name, dev.hvsim.vmm.Virt virt) throws Exception {
        return underVmm(name, virt, Reverse.DEFAULT);
    }

    /** The named shipped guest under the Java VMM ({@code virt}), with reverse execution done {@code how}. */
    static StubHarness underVmm(String name, dev.hvsim.vmm.Virt virt, Reverse how) throws Exception {
        Vendor vendor = virt == dev.hvsim.vmm.Virt.SVM ? Vendor.AMD : Vendor.INTEL;
        java.util.function.Function<java.io.OutputStream, Machine> build = out -> {
            try {
                Machine m = machine(name, 1, out, vendor);
                dev.hvsim.vmm.Vmm.attach(m, virt, dev.hvsim.vmm.InterceptPolicy.defaults());
                return m;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        return new StubHarness(build.apply(new ByteArrayOutputStream()), build, how);
    }

    static Machine machine(String name, int cpus, java.io.OutputStream console) throws Exception {
        return machine(name, cpus, console, Vendor.INTEL);
    }

    static Machine machine(String name, int cpus, java.io.OutputStream console, Vendor vendor) throws Exception {
        Machine m = new Machine(new MachineConfig(CpuProfile.forVendor(vendor), 128, console, cpus));
        m.loadMultiboot(Guests.bytes(name), name, "", java.util.List.of(), -1);
        return m;
    }

    RspClient connect() throws IOException {
        return new RspClient(stub.port());
    }

    GdbStub.End awaitEnd() throws Exception {
        return end.get(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        stub.close();
    }
}
