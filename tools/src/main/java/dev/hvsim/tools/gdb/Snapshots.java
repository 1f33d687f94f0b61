package dev.hvsim.tools.gdb;

import dev.hvsim.machine.Machine;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * The debugger's periodic machine snapshots (tools/DESIGN.md "Reverse execution"): one at the start (or where gdb
 * last changed registers or memory), then one whenever some vCPU has taken {@link #interval} steps since the newest
 * ({@link DebugControl} stops the run there, before an instruction). Reverse execution restores the newest snapshot
 * at or before the position it wants and re-executes from there.
 *
 * <p>Memory: RAM is copied incrementally (a page equal to its copy in the previous snapshot shares it), so a
 * snapshot costs the pages that changed since the one before plus the CPUs' and devices' state (mostly the TLBs).
 * Past {@link #limitBytes} the store thins itself: it drops, one at a time, the snapshot (never the first or the
 * newest) whose neighbours are closest together, so the snapshots stay spread over the whole run and the replay
 * distance grows where they were dropped.
 */
final class Snapshots {
    /** Default steps between snapshots (any one vCPU's): a replay re-executes at most this many steps per vCPU. */
    static final long DEFAULT_INTERVAL = 1_000_000;
    /** Default memory bound: 256 MiB. */
    static final long DEFAULT_LIMIT = 256L << 20;

    /** One snapshot: where it was taken, every vCPU's step count there, the debugger's timeline, the machine. */
    record Entry(DebugControl.Position at, long[] ticks, Object timeline, Machine.MachineSnapshot machine) {
        long total() {
            long n = 0;
            for (long t : ticks) {
                n += t;
            }
            return n;
        }
    }

    final long interval;
    final long limitBytes;
    private final List<Entry> entries = new ArrayList<>();
    /** Snapshots taken, dropped to stay under the limit, and restored so far. */
    long taken, thinned, restores;
    /** The last restore: the snapshot used and the steps re-executed after it (for monitor snapshots). */
    Entry lastRestored;

    Snapshots(long interval, long limitBytes) {
        this.interval = interval;
        this.limitBytes = limitBytes;
    }

    /** Takes a snapshot of {@code m} at {@code at}; {@code ticks} are every vCPU's steps there. */
    Entry take(Machine m, DebugControl control, DebugControl.Position at) {
        Entry prev = entries.isEmpty() ? null : entries.get(entries.size() - 1);
        long[] ticks = new long[m.cpus().size()];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = control.ticks(m.cpus().get(i));
        }
        Entry e = new Entry(at, ticks, control.saveTimeline(), m.snapshot(prev == null ? null : prev.machine()));
        entries.add(e);
        taken++;
        while (entries.size() > 2 && bytes() > limitBytes) {
            thin();
        }
        return e;
    }

    private void thin() {
        int best = -1;
        long gap = Long.MAX_VALUE;
        for (int i = 1; i < entries.size() - 1; i++) {
            long g = entries.get(i + 1).total() - entries.get(i - 1).total();
            if (g < gap) {
                gap = g;
                best = i;
            }
        }
        entries.remove(best);
        thinned++;
    }

    /** Drops every snapshot (gdb changed the state: the timeline they belong to is gone). */
    void clear() {
        entries.clear();
        lastRestored = null;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The newest snapshot, or null. */
    Entry newest() {
        return entries.isEmpty() ? null : entries.get(entries.size() - 1);
    }

    /**
     * The snapshots from which a deterministic run reaches {@code target} (taken exactly there, or before it: the
     * target vCPU had fewer steps then), oldest first.
     */
    List<Entry> usableFor(DebugControl.Position target) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.at().equals(target) || (target.cpu() < e.ticks().length && e.ticks()[target.cpu()] < target.count())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The newest snapshot usable for {@code target}, or null. */
    Entry nearest(DebugControl.Position target) {
        List<Entry> u = usableFor(target);
        return u.isEmpty() ? null : u.get(u.size() - 1);
    }

    /** Restores {@code e} into its machine and the debugger's timeline. */
    void restore(Entry e, DebugControl control) {
        e.machine().restore();
        control.restoreTimeline(e.timeline());
        restores++;
        lastRestored = e;
    }

    /** Heap bytes held: every distinct RAM page copy once, plus each snapshot's CPU, device and VMM state. */
    long bytes() {
        long[] b = breakdown();
        return b[0] + b[1];
    }

    /** {RAM page copies, everything else (CPU state and TLBs, devices, VMX/SVM, the Java VMM's memory)} in bytes. */
    private long[] breakdown() {
        IdentityHashMap<byte[], Boolean> pages = new IdentityHashMap<>();
        long ram = 0, state = 0;
        for (Entry e : entries) {
            state += e.machine().stateBytes() + 24L * e.ticks().length + 64;
            for (byte[] p : e.machine().ram().pageCopies()) {
                if (pages.put(p, Boolean.TRUE) == null) {
                    ram += p.length + 16;
                }
            }
            ram += 8L * e.machine().ram().pageCopies().size();
        }
        return new long[] {ram, state};
    }

    /** The {@code monitor snapshots} report. */
    String report() {
        StringBuilder s = new StringBuilder();
        long[] b = breakdown();
        s.append(String.format("snapshots: %d, %s, memory %.1f MiB of %d MiB%n", entries.size(),
                interval == 0 ? "periodic snapshots off" : "every " + interval + " steps of any vCPU",
                (b[0] + b[1]) / 1048576.0, limitBytes >> 20));
        s.append(String.format("memory: RAM pages %.1f MiB (changed pages only), CPU/TLB/device/VMM state %.1f MiB%n",
                b[0] / 1048576.0, b[1] / 1048576.0));
        s.append(String.format("taken %d, dropped to stay under the limit %d, restored %d%n", taken, thinned, restores));
        for (int i = 0; i < entries.size(); i++) {
            if (entries.size() > 8 && i == 4) {
                s.append(String.format("  ... %d more ...%n", entries.size() - 8));
                i = entries.size() - 4;
            }
            Entry e = entries.get(i);
            s.append(String.format("  vCPU %d step %d%s (steps per vCPU %s)%n", e.at().cpu(), e.at().count(),
                    e.at().after() ? " (after)" : "", java.util.Arrays.toString(e.ticks())));
        }
        if (lastRestored != null) {
            s.append(String.format("last reverse execution restored the snapshot at vCPU %d step %d%n",
                    lastRestored.at().cpu(), lastRestored.at().count()));
        }
        return s.toString();
    }
}
