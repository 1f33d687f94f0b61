package dev.hvsim.tools.gdb;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.RunLimits;
import dev.hvsim.machine.RunOutcome;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.StopReason;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * A GDB remote-serial-protocol stub over a {@link Machine}: one connection on 127.0.0.1, one thread per vCPU
 * (thread id = APIC ID + 1), the guest stopped at its first instruction until gdb resumes it. Runs go through
 * {@link Machine#run} like {@code hvsim run}, with {@link DebugControl} attached to every CPU as its listener,
 * so stepping and continuing retire the same instructions and cycles as an undebugged run.
 *
 * <p>Packets: qSupported, QStartNoAckMode, qXfer:features:read (one fixed target description, see
 * {@link Registers}), ?, g/G, p/P, m/M/X, vCont?/vCont (c, C, s, S), c/C/s/S, H, T, qfThreadInfo/qsThreadInfo,
 * qC, qThreadExtraInfo, qAttached, Z0-Z4/z0-z4, qRcmd ({@link Monitor}), bs/bc (with a replay factory), D, k, vKill,
 * the interrupt byte. VM exits, entries and failed entries reach {@link DebugControl} through the listener SPI; a
 * {@code break-exit}/{@code break-entry}/{@code break-entry-fail} stop is a SIGTRAP with a console line naming it.
 * Anything else gets the empty "unsupported" reply; malformed packets get {@code E01}.
 */
public final class GdbStub {
    private Machine machine;
    private List<Cpu> cpus;
    private final DebugControl control = new DebugControl();
    private GuestMemory memory;
    private Monitor monitor;
    /** Builds the same machine afresh (loaded, at its first instruction) on a console; null: no reverse execution. */
    private final Function<OutputStream, Machine> replayFactory;
    private final OutputStream console;
    /** Where the guest is stopped, in the deterministic timeline (reverse execution replays to positions). */
    private DebugControl.Position here = new DebugControl.Position(0, 0, false);
    /** Registers or memory were changed through gdb: a replay from the start would not reproduce the state. */
    private boolean edited;
    /**
     * The periodic snapshots reverse execution restores (null when the machine cannot be snapshotted or there is no
     * reverse execution: then a reverse step rebuilds the machine with {@link #replayFactory} and replays from the
     * start).
     */
    private Snapshots snaps;
    /** gdb changed registers or memory since the last snapshot: the snapshots are replaced by one taken here. */
    private boolean rebase;
    private final ServerSocket server;
    private RspConnection conn;
    private Socket socket;
    /** The vCPU that g/G/p/P/m/M/X and monitor commands act on (gdb's Hg). */
    private int regCpu;
    private volatile Thread runner;
    /** The reply to '?': at the start SIGTRAP on vCPU 0 (thread 1), with the thread so gdb need not guess it. */
    private String lastStop = "T05thread:1;";
    /** Set when the session is over: the guest's status, or -1 for a detach (the guest runs on), -2 for kill. */
    private volatile Integer finished;
    private RunOutcome lastOutcome;

    /** Binds the listening socket on 127.0.0.1 ({@code port} 0: an ephemeral port). */
    public GdbStub(Machine machine, int port) throws IOException {
        this(machine, port, null, null);
    }

    /**
     * A stub with reverse execution: {@code replayFactory} builds the same machine as {@code machine} was built
     * (same configuration and image, at its first instruction) writing guest output to the stream it is given;
     * {@code console} is where guest output goes.
     */
    public GdbStub(Machine machine, int port, Function<OutputStream, Machine> replayFactory, OutputStream console)
            throws IOException {
        this(machine, port, replayFactory, console, Snapshots.DEFAULT_INTERVAL, Snapshots.DEFAULT_LIMIT);
    }

    /**
     * A stub with reverse execution by periodic snapshots: one every {@code snapshotInterval} steps of any vCPU
     * (0: only at the start and where gdb changed registers or memory), at most {@code snapshotLimitBytes} of them
     * (older ones are thinned past it). A machine that cannot be snapshotted ({@link Machine#snapshottable()})
     * replays from the start with {@code replayFactory} instead.
     */
    public GdbStub(Machine machine, int port, Function<OutputStream, Machine> replayFactory, OutputStream console,
            long snapshotInterval, long snapshotLimitBytes) throws IOException {
        this(machine, port, replayFactory, console, snapshotInterval, snapshotLimitBytes, true);
    }

    /** As above; {@code snapshots} false forces the replay from the start (tests of that fallback). */
    GdbStub(Machine machine, int port, Function<OutputStream, Machine> replayFactory, OutputStream console,
            long snapshotInterval, long snapshotLimitBytes, boolean snapshots) throws IOException {
        if (snapshotInterval < 0 || snapshotLimitBytes <= 0) {
            throw new IllegalArgumentException("snapshot interval must be >= 0 and the limit > 0");
        }
        this.replayFactory = replayFactory;
        this.console = console;
        use(machine);
        if (snapshots && replayFactory != null && machine.snapshottable()) {
            snaps = new Snapshots(snapshotInterval, snapshotLimitBytes);
            snaps.take(machine, control, here);
            armSnapshots();
        }
        this.server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
    }

    /** Where the next periodic snapshot is due: {@code interval} steps of any vCPU after the newest one. */
    private void armSnapshots() {
        Snapshots.Entry last = snaps == null ? null : snaps.newest();
        if (last == null || snaps.interval == 0) {
            control.snapshotAt = null;
            return;
        }
        long[] at = new long[last.ticks().length];
        for (int i = 0; i < at.length; i++) {
            at[i] = last.ticks()[i] + snaps.interval;
        }
        control.snapshotAt = at;
    }

    /** Registers, memory or RIP were changed through gdb (G, P, M, X, c ADDR). */
    private void changed() {
        edited = true;
        rebase = snaps != null;
    }

    /** Before a run: after a change through gdb, the snapshots give way to one taken here (the new timeline's start). */
    private void rebaseIfChanged() {
        if (rebase) {
            rebase = false;
            snaps.clear();
            snaps.take(machine, control, here);
            armSnapshots();
        }
    }

    /** The port the stub listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** What the session ended with. */
    public enum End { GUEST_EXITED, DETACHED, KILLED, DISCONNECTED }

    /**
     * Accepts one connection and serves it until gdb detaches, kills, the guest exits, or the connection drops.
     * The listening socket is closed when the session ends.
     */
    public End serve() throws IOException {
        try (Socket s = server.accept()) {
            server.close();
            s.setTcpNoDelay(true);
            socket = s;
            conn = new RspConnection(new BufferedInputStream(s.getInputStream()),
                    new BufferedOutputStream(s.getOutputStream()));
            attach();
            try {
                return loop();
            } finally {
                Thread r = runner;
                if (r != null) {
                    control.requestInterrupt();
                    join(r);
                }
                detach();
            }
        } finally {
            server.close();
        }
    }

    /** The machine being debugged (a reverse step replaces it with a replayed one). */
    public Machine machine() {
        return machine;
    }

    private void use(Machine m) {
        boolean phys = memory != null && memory.physical;
        machine = m;
        cpus = m.cpus();
        memory = new GuestMemory(m);
        memory.physical = phys;
        monitor = new Monitor(m, memory, control);
        monitor.snapshots = () -> snaps != null ? snaps.report() : replayFactory == null
                ? "no reverse execution in this session\n"
                : "no snapshots: this machine cannot be snapshotted; reverse execution replays from the start\n";
        regCpu = Math.min(regCpu, cpus.size() - 1);
    }

    /** The outcome of the last run (e.g. the guest's exit), or null. */
    public RunOutcome lastOutcome() {
        return lastOutcome;
    }

    /** Closes the listening socket (a stub that never got a connection). */
    public void close() throws IOException {
        server.close();
    }

    private void attach() {
        for (Cpu c : cpus) {
            c.setListener(control);
            c.setMemoryWatch(control.hasWatches() ? control : null);
        }
    }

    private void detach() {
        control.clearAll();
        for (Cpu c : cpus) {
            c.setListener(null);
            c.setMemoryWatch(null);
        }
    }

    private End loop() throws IOException {
        while (true) {
            byte[] p = conn.read();
            if (p == null) {
                Thread r = runner;
                if (r != null) {
                    control.requestInterrupt();
                    join(r);
                }
                return finished != null ? End.GUEST_EXITED : End.DISCONNECTED;
            }
            if (p == RspConnection.INTERRUPT) {
                if (runner != null) {
                    control.requestInterrupt();
                }
                continue;
            }
            Thread r = runner;
            if (r != null) {
                join(r); // all-stop: gdb waits for the stop reply before it sends more
            }
            if (finished != null) {
                return End.GUEST_EXITED;
            }
            if (p == RspConnection.TOO_LONG) {
                conn.send("E01");
                continue;
            }
            End e = handle(new String(p, StandardCharsets.ISO_8859_1), p);
            if (e != null) {
                return e;
            }
        }
    }

    private End handle(String cmd, byte[] raw) throws IOException {
        try {
            return dispatch(cmd, raw);
        } catch (RuntimeException e) { // a malformed packet (bad number, missing field): an error reply, never a crash
            conn.send("E01");
            return null;
        }
    }

    private End dispatch(String cmd, byte[] raw) throws IOException {
        char c = cmd.isEmpty() ? ' ' : cmd.charAt(0);
        switch (c) {
            case '?': conn.send(lastStop); return null;
            case 'g': conn.send(RspConnection.toHex(Registers.readAll(cpu()))); return null;
            case 'G': writeAll(cmd.substring(1)); return null;
            case 'p': readOne(cmd.substring(1)); return null;
            case 'P': writeOne(cmd.substring(1)); return null;
            case 'm': readMemory(cmd.substring(1)); return null;
            case 'M': writeMemoryHex(cmd.substring(1)); return null;
            case 'X': writeMemoryBinary(cmd, raw); return null;
            case 'H': setThread(cmd.substring(2), true); return null;
            case 'T': setThread(cmd.substring(1), false); return null;
            case 'Z': case 'z': breakpoint(cmd); return null;
            case 'c': case 's': case 'C': case 'S': simpleResume(cmd); return null;
            case 'b': reverse(cmd); return null;
            case 'D': conn.send("OK"); return End.DETACHED;
            case 'k': return End.KILLED;
            case 'v': return vPacket(cmd);
            case 'q': case 'Q': query(cmd); return null;
            default: conn.send(""); return null;
        }
    }

    private Cpu cpu() {
        return cpus.get(regCpu);
    }

    // ------------------------------------------------------------------ registers

    private void writeAll(String hex) throws IOException {
        byte[] b = RspConnection.fromHex(hex);
        if (b == null || b.length != Registers.G_BYTES) {
            conn.send("E01");
            return;
        }
        Registers.writeAll(cpu(), b);
        changed();
        conn.send("OK");
    }

    private void readOne(String arg) throws IOException {
        int r = Integer.parseInt(arg, 16);
        conn.send(r >= 0 && r < Registers.COUNT ? RspConnection.toHex(Registers.read(cpu(), r)) : "E00");
    }

    private void writeOne(String arg) throws IOException {
        int eq = arg.indexOf('=');
        int r = Integer.parseInt(arg.substring(0, eq), 16);
        byte[] b = RspConnection.fromHex(arg.substring(eq + 1));
        if (r < 0 || r >= Registers.COUNT || b == null || b.length != Registers.SIZE[r]) {
            conn.send("E01");
            return;
        }
        changed();
        conn.send(Registers.write(cpu(), r, b, 0) ? "OK" : "E01");
    }

    // ------------------------------------------------------------------ memory

    private void readMemory(String arg) throws IOException {
        int comma = arg.indexOf(',');
        long addr = Long.parseUnsignedLong(arg.substring(0, comma), 16);
        long len = Long.parseLong(arg.substring(comma + 1), 16);
        if (len < 0) {
            conn.send("E01");
            return;
        }
        byte[] b = memory.read(cpu(), addr, (int) Math.min(len, RspConnection.PACKET_SIZE / 2 - 16));
        conn.send(b == null ? "E14" : RspConnection.toHex(b));
    }

    private void writeMemoryHex(String arg) throws IOException {
        int comma = arg.indexOf(','), colon = arg.indexOf(':');
        long addr = Long.parseUnsignedLong(arg.substring(0, comma), 16);
        long len = Long.parseLong(arg.substring(comma + 1, colon), 16);
        byte[] b = RspConnection.fromHex(arg.substring(colon + 1));
        if (b == null || b.length != len) {
            conn.send("E01");
            return;
        }
        changed();
        conn.send(memory.write(cpu(), addr, b) ? "OK" : "E14");
    }

    private void writeMemoryBinary(String cmd, byte[] raw) throws IOException {
        int comma = cmd.indexOf(','), colon = cmd.indexOf(':');
        long addr = Long.parseUnsignedLong(cmd.substring(1, comma), 16);
        long len = Long.parseLong(cmd.substring(comma + 1, colon), 16);
        byte[] b = java.util.Arrays.copyOfRange(raw, colon + 1, raw.length);
        if (b.length != len) {
            conn.send("E01");
            return;
        }
        if (b.length > 0) {
            changed();
        }
        conn.send(b.length == 0 || memory.write(cpu(), addr, b) ? "OK" : "E14");
    }

    // ------------------------------------------------------------------ threads

    private void setThread(String id, boolean isH) throws IOException {
        int t = parseThread(id);
        if (t == -1 || t == 0) {
            conn.send("OK");
            return;
        }
        if (t < 1 || t > cpus.size()) {
            conn.send("E22");
            return;
        }
        if (isH) {
            regCpu = t - 1;
        }
        conn.send("OK");
    }

    private static int parseThread(String id) {
        if (id.startsWith("p")) {
            int dot = id.indexOf('.');
            id = dot < 0 ? "-1" : id.substring(dot + 1);
        }
        return id.equals("-1") ? -1 : (int) Long.parseLong(id, 16);
    }

    private String threadExtra(int t) {
        Cpu c = cpus.get(t - 1);
        String state = machine.waitingForSipi(t - 1) ? "waiting for SIPI" : c.state().halted ? "halted" : "running";
        return "vCPU " + (t - 1) + (t == 1 ? " (BSP)" : "") + ", " + state + ", " + c.codeSize() + "-bit code, CPL "
                + c.cpl();
    }

    // ------------------------------------------------------------------ breakpoints

    private void breakpoint(String cmd) throws IOException {
        String[] f = cmd.substring(1).split("[,;]");
        int type = Integer.parseInt(f[0]);
        long addr = Long.parseUnsignedLong(f[1], 16);
        long kind = Long.parseLong(f[2], 16);
        if (type < 0 || type > 4) {
            conn.send("");
            return;
        }
        boolean ok = cmd.charAt(0) == 'Z' ? control.insert(type, addr, kind) : control.remove(type, addr, kind);
        if (type >= DebugControl.WRITE) {
            for (Cpu c : cpus) {
                c.setMemoryWatch(control.hasWatches() ? control : null); // refills the TLB without watched pages
            }
        }
        conn.send(ok ? "OK" : "E01");
    }

    // ------------------------------------------------------------------ resuming

    private void simpleResume(String cmd) throws IOException {
        char k = cmd.charAt(0);
        String arg = cmd.substring(1);
        if (k == 'C' || k == 'S') {
            int semi = arg.indexOf(';');
            arg = semi < 0 ? "" : arg.substring(semi + 1);
        }
        if (!arg.isEmpty()) {
            cpu().state().rip = Long.parseUnsignedLong(arg, 16);
            changed();
        }
        resume(k == 's' || k == 'S' ? regCpu : -1);
    }

    private End vPacket(String cmd) throws IOException {
        if (cmd.equals("vCont?")) {
            conn.send("vCont;c;C;s;S");
        } else if (cmd.startsWith("vCont;")) {
            int step = -1;
            for (String a : cmd.substring(6).split(";")) {
                char k = a.charAt(0);
                if (k == 's' || k == 'S') {
                    int colon = a.indexOf(':');
                    int t = colon < 0 ? -1 : parseThread(a.substring(colon + 1));
                    step = t <= 0 ? regCpu : t - 1;
                } else if (k != 'c' && k != 'C') {
                    conn.send("E01");
                    return null;
                }
            }
            if (step >= cpus.size()) {
                conn.send("E22");
                return null;
            }
            resume(step);
        } else if (cmd.startsWith("vKill")) {
            conn.send("OK");
            return End.KILLED;
        } else {
            conn.send("");
        }
        return null;
    }

    /** Runs the machine on a runner thread until a stop; the runner sends the stop reply. */
    private void resume(int stepCpu) {
        rebaseIfChanged();
        Cpu c = stepCpu >= 0 ? cpus.get(stepCpu) : cpu();
        control.resume(stepCpu, c.apicId(), c.state().rip);
        Thread t = new Thread(this::runToStop, "hvsim-gdb-run");
        t.setDaemon(true);
        runner = t;
        t.start();
    }

    private void runToStop() {
        String reply;
        try {
            RunOutcome o = runMachine();
            lastOutcome = o;
            reply = stopReply(o);
        } catch (RuntimeException e) {
            reply = "O" + RspConnection.toHex(("hvsim: internal error: " + e + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                conn.send(reply);
            } catch (IOException ignored) {
                // the connection is gone; the session loop sees it
            }
            reply = "S06";
        }
        lastStop = reply.startsWith("W") ? lastStop : reply;
        try {
            conn.send(reply);
            if (finished != null) {
                socket.shutdownInput(); // the guest is gone: the session ends after its exit reply
            }
        } catch (IOException ignored) {
            // the connection is gone; the session loop ends
        } finally {
            runner = null;
        }
    }

    /**
     * Runs the machine until a stop that ends the run for gdb: a VM exit handed back to root-mode x86 code goes on
     * at the host's RIP, and a periodic snapshot stop takes the snapshot and goes on.
     */
    private RunOutcome runMachine() {
        while (true) {
            RunOutcome o = machine.run(RunLimits.none());
            while (o instanceof RunOutcome.Stopped && ((RunOutcome.Stopped) o).reason() == StopReason.VM_EXIT
                    && control.hit == DebugControl.Hit.NONE) {
                o = machine.run(RunLimits.none()); // root-mode x86 code took the exit: it goes on at the host's RIP
            }
            if (control.hit != DebugControl.Hit.SNAPSHOT) {
                return o;
            }
            int c = control.hitCpu;
            snaps.take(machine, control, new DebugControl.Position(c, control.ticks(cpus.get(c)), false));
            armSnapshots();
            control.continueAfterSnapshot();
        }
    }

    private String stopReply(RunOutcome o) throws RuntimeException {
        switch (o.kind()) {
            case GUEST_EXIT:
                finished = (int) ((RunOutcome.GuestExit) o).status();
                return String.format("W%02x", ((RunOutcome.GuestExit) o).status() & 0xff);
            case HALTED:
                control.hitAfter = true;
                console("hvsim: the guest halted for good (HLT and nothing can wake it)\n");
                return threadStop("05", "", 0);
            case SHUTDOWN:
                control.hitAfter = true;
                console("hvsim: " + o.describe() + "\n");
                return threadStop("0b", "", 0);
            default:
                break;
        }
        int cpu = control.hit == DebugControl.Hit.NONE ? control.lastCpu : control.hitCpu;
        switch (control.hit) {
            case BREAKPOINT:
                return threadStop("05", control.hitKind == DebugControl.SW ? "swbreak:;" : "hwbreak:;", cpu);
            case WATCHPOINT:
                String w = control.hitKind == DebugControl.WRITE ? "watch" : control.hitKind == DebugControl.READ
                        ? "rwatch" : "awatch";
                return threadStop("05", w + ":" + Long.toHexString(control.hitAddr) + ";", cpu);
            case INTERRUPT:
                return threadStop("02", "", cpu);
            case VM_EXIT:
            case VM_ENTRY:
            case VM_ENTRY_FAILED:
                console("hvsim: vCPU " + control.stoppedAt.cpu() + " stopped at " + VmNames.describe(control.stoppedAt.what())
                        + (control.hit == DebugControl.Hit.VM_ENTRY ? "\n"
                                : VmStructures.hvMode(cpus.get(cpu)) % 2 == 0 && VmStructures.hvMode(cpus.get(cpu)) > 0
                                ? "\nhvsim: the Java VMM handled it; the guest goes on here\n"
                                : "\nhvsim: the host goes on here\n"));
                return threadStop("05", "", cpu);
            case STEP:
                for (DebugControl.Transition t : control.seen) {
                    console("hvsim: the step took a " + VmNames.describe(t.what()) + "\n");
                }
                return threadStop("05", "", cpu);
            default:
                return threadStop("05", "", cpu);
        }
    }

    private String threadStop(String sig, String why, int cpu) {
        regCpu = cpu;
        here = new DebugControl.Position(cpu, control.ticks(cpus.get(cpu)), control.hitAfter);
        return "T" + sig + why + "thread:" + Integer.toHexString(cpu + 1) + ";";
    }

    private void console(String text) {
        try {
            conn.send("O" + RspConnection.toHex(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException ignored) {
            // reported by the session loop
        }
    }

    // ------------------------------------------------------------------ reverse execution

    /**
     * {@code bs} (reverse-stepi) and {@code bc} (reverse-continue) by deterministic re-execution from the start:
     * the machine is rebuilt and run to the position wanted, with its console muted up to there.
     */
    private void reverse(String cmd) throws IOException {
        if (replayFactory == null || !(cmd.equals("bs") || cmd.equals("bc"))) {
            conn.send("");
            return;
        }
        boolean toBreakpoint = cmd.equals("bc");
        if (snaps != null) {
            rebaseIfChanged();
            long n = control.ticks(cpus.get(regCpu));
            if (!toBreakpoint && n > 0 && snaps.nearest(new DebugControl.Position(regCpu, n - 1, false)) == null) {
                console("hvsim: reverse execution cannot go back past the point where registers or memory were"
                        + " changed through gdb\n");
                conn.send("E01");
                return;
            }
        } else if (edited) {
            console("hvsim: reverse execution is not available after registers or memory were changed through gdb\n");
            conn.send("E01");
            return;
        }
        DebugControl.Position from = here;
        Thread t = new Thread(() -> {
            String reply;
            try {
                reply = snaps != null ? (toBreakpoint ? reverseContinueFromSnapshots(from) : reverseStepFromSnapshot())
                        : toBreakpoint ? reverseContinue(from) : reverseStep(from);
            } catch (RuntimeException e) {
                console("hvsim: internal error during reverse execution: " + e + "\n");
                reply = "S06";
            }
            lastStop = reply;
            try {
                conn.send(reply);
            } catch (IOException ignored) {
                // the session loop sees the closed connection
            } finally {
                runner = null;
            }
        }, "hvsim-gdb-reverse");
        t.setDaemon(true);
        runner = t;
        t.start();
    }

    /** {@code bs} with snapshots: the newest snapshot before the current vCPU's previous step, then re-execution to it. */
    private String reverseStepFromSnapshot() {
        int t = regCpu;
        long n = control.ticks(cpus.get(t));
        if (n == 0) {
            return "T05replaylog:begin;thread:" + Integer.toHexString(t + 1) + ";";
        }
        DebugControl.Position target = new DebugControl.Position(t, n - 1, false);
        Snapshots.Entry e = snaps.nearest(target);
        snaps.restore(e, control);
        if (e.at().equals(target)) {
            return stoppedAtSnapshot(e, "");
        }
        return replayFromHere(target, DebugControl.Mode.REPLAY, "");
    }

    /**
     * {@code bc} with snapshots: going back one snapshot interval at a time, re-executes the interval recording the
     * breakpoint and watchpoint hits, and stops at the last hit of the newest interval that has one; with none, at the
     * oldest snapshot (the start, or where gdb last changed the state), reported as the beginning of the history.
     */
    private String reverseContinueFromSnapshots(DebugControl.Position from) {
        List<Snapshots.Entry> usable = snaps.usableFor(from);
        for (int k = usable.size() - 1; k >= 0; k--) {
            Snapshots.Entry e = usable.get(k);
            DebugControl.Position end = k + 1 < usable.size() ? usable.get(k + 1).at() : from;
            if (e.at().equals(end)) {
                continue;
            }
            snaps.restore(e, control);
            String r = replayFromHere(end, DebugControl.Mode.RECORD, "");
            if (control.hit != DebugControl.Hit.REPLAY_TARGET) {
                return r; // interrupted, or the re-execution went wrong (reported)
            }
            DebugControl.Recorded last = null;
            for (DebugControl.Recorded x : List.copyOf(control.recorded)) {
                if (!x.at().equals(from)) {
                    last = x;
                }
            }
            if (last != null) {
                snaps.restore(e, control);
                return replayFromHere(last.at(), DebugControl.Mode.REPLAY, why(last));
            }
        }
        Snapshots.Entry first = usable.isEmpty() ? snaps.newest() : usable.get(0);
        snaps.restore(first, control);
        stoppedAtSnapshot(first, "");
        return "T05replaylog:begin;thread:" + Integer.toHexString(first.at().cpu() + 1) + ";";
    }

    private static String why(DebugControl.Recorded last) {
        return last.hit() == DebugControl.Hit.BREAKPOINT ? (last.kind() == DebugControl.SW ? "swbreak:;" : "hwbreak:;")
                : (last.kind() == DebugControl.WRITE ? "watch" : last.kind() == DebugControl.READ ? "rwatch" : "awatch")
                        + ":" + Long.toHexString(last.addr()) + ";";
    }

    /** The machine was restored to exactly where snapshot {@code e} was taken: the stop reply for it. */
    private String stoppedAtSnapshot(Snapshots.Entry e, String why) {
        control.hit = DebugControl.Hit.NONE;
        control.hitAfter = e.at().after();
        regCpu = e.at().cpu();
        here = e.at();
        return "T05" + why + "thread:" + Integer.toHexString(e.at().cpu() + 1) + ";";
    }

    /** Re-executes the machine as restored, console muted, to {@code to}; the stop reply for where it stopped. */
    private String replayFromHere(DebugControl.Position to, DebugControl.Mode mode, String why) {
        machine.console().setMuted(true);
        control.replay(to, mode);
        RunOutcome o;
        try {
            o = runMachine();
        } finally {
            machine.console().setMuted(false);
        }
        lastOutcome = o;
        return replayStop(o, to, why);
    }

    private String reverseStep(DebugControl.Position from) {
        int t = regCpu;
        long n = control.ticks(cpus.get(t));
        if (n == 0) {
            return "T05replaylog:begin;thread:" + Integer.toHexString(t + 1) + ";";
        }
        return replayTo(new DebugControl.Position(t, n - 1, false), DebugControl.Mode.REPLAY, "");
    }

    private String reverseContinue(DebugControl.Position from) {
        String r = replayTo(from, DebugControl.Mode.RECORD, "");
        if (control.hit != DebugControl.Hit.REPLAY_TARGET) {
            return r; // interrupted
        }
        DebugControl.Recorded last = null;
        for (DebugControl.Recorded x : List.copyOf(control.recorded)) {
            if (!x.at().equals(from)) {
                last = x;
            }
        }
        if (last == null) {
            replayTo(new DebugControl.Position(0, 0, false), DebugControl.Mode.REPLAY, "");
            return "T05replaylog:begin;thread:1;";
        }
        String why = last.hit() == DebugControl.Hit.BREAKPOINT ? (last.kind() == DebugControl.SW ? "swbreak:;" : "hwbreak:;")
                : (last.kind() == DebugControl.WRITE ? "watch" : last.kind() == DebugControl.READ ? "rwatch" : "awatch")
                        + ":" + Long.toHexString(last.addr()) + ";";
        return replayTo(last.at(), DebugControl.Mode.REPLAY, why);
    }

    /** Rebuilds the machine and runs it to {@code to}; the stop reply for where it stopped. */
    private String replayTo(DebugControl.Position to, DebugControl.Mode mode, String why) {
        MutableOutput out = new MutableOutput(console == null ? OutputStream.nullOutputStream() : console);
        out.muted = true;
        Machine m = replayFactory.apply(out);
        for (Cpu c : machine.cpus()) {
            c.setListener(null);
            c.setMemoryWatch(null);
        }
        use(m);
        attach();
        control.resetTicks();
        control.replay(to, mode);
        RunOutcome o = runMachine();
        out.muted = false;
        lastOutcome = o;
        return replayStop(o, to, why);
    }

    /** The stop reply after a replay to {@code to} ended with {@code o}. */
    private String replayStop(RunOutcome o, DebugControl.Position to, String why) {
        DebugControl.Hit h = control.hit;
        control.endReplay();
        if (h == DebugControl.Hit.REPLAY_TARGET) {
            control.hitAfter = to.after();
            return threadStop("05", why, to.cpu());
        }
        if (h == DebugControl.Hit.INTERRUPT) {
            control.hitAfter = false;
            return threadStop("02", "", control.hitCpu);
        }
        console("hvsim: the replay did not reach the position (" + o.describe() + ")\n");
        control.hitAfter = true;
        return threadStop("05", "", control.lastCpu);
    }

    // ------------------------------------------------------------------ queries

    private void query(String cmd) throws IOException {
        if (cmd.startsWith("qSupported")) {
            conn.send("PacketSize=" + Integer.toHexString(RspConnection.PACKET_SIZE)
                    + ";qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+"
                    + (replayFactory != null ? ";ReverseStep+;ReverseContinue+" : ""));
        } else if (cmd.equals("QStartNoAckMode")) {
            conn.send("OK");
            conn.setNoAck(true);
        } else if (cmd.startsWith("qXfer:features:read:")) {
            xferFeatures(cmd.substring("qXfer:features:read:".length()));
        } else if (cmd.equals("qfThreadInfo")) {
            StringBuilder b = new StringBuilder("m");
            for (int i = 0; i < cpus.size(); i++) {
                b.append(i == 0 ? "" : ",").append(Integer.toHexString(i + 1));
            }
            conn.send(b.toString());
        } else if (cmd.equals("qsThreadInfo")) {
            conn.send("l");
        } else if (cmd.equals("qC")) {
            conn.send("QC" + Integer.toHexString(regCpu + 1));
        } else if (cmd.startsWith("qThreadExtraInfo,")) {
            int t = parseThread(cmd.substring(17));
            conn.send(t >= 1 && t <= cpus.size() ? RspConnection.toHex(threadExtra(t).getBytes(StandardCharsets.UTF_8))
                    : "E22");
        } else if (cmd.startsWith("qAttached")) {
            conn.send("1");
        } else if (cmd.startsWith("qRcmd,")) {
            byte[] text = RspConnection.fromHex(cmd.substring(6));
            if (text == null) {
                conn.send("E01");
                return;
            }
            String out = monitor.run(new String(text, StandardCharsets.UTF_8), cpu());
            conn.send(RspConnection.toHex(out.getBytes(StandardCharsets.UTF_8)));
        } else {
            conn.send("");
        }
    }

    private void xferFeatures(String arg) throws IOException {
        int colon = arg.indexOf(':');
        String annex = arg.substring(0, colon);
        String[] range = arg.substring(colon + 1).split(",");
        long off = Long.parseLong(range[0], 16), len = Long.parseLong(range[1], 16);
        if (!annex.equals("target.xml")) {
            conn.send("E00");
            return;
        }
        byte[] xml = Registers.targetXml().getBytes(StandardCharsets.UTF_8);
        if (off >= xml.length) {
            conn.send("l");
            return;
        }
        int n = (int) Math.min(len, Math.min(xml.length - off, RspConnection.PACKET_SIZE - 16));
        byte[] b = new byte[n + 1];
        b[0] = (byte) (off + n >= xml.length ? 'l' : 'm');
        System.arraycopy(xml, (int) off, b, 1, n);
        conn.send(b);
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
