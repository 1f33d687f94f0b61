package dev.hvsim.tools.gdb;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.MemoryWatch;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.VmTransition;
import dev.hvsim.x86core.decode.DecodedInsn;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The debugger's view inside the step loop, attached to every CPU while a debugger is connected (and only
 * then): breakpoints checked before an instruction executes (no INT3 is ever written into guest memory,
 * so the guest reads its own bytes), single steps, the interrupt request (Ctrl-C), and data watchpoints
 * through {@link MemoryWatch} (watched pages miss the TLB fast path). Breakpoint addresses are RIP values,
 * as gdb's {@code $pc}.
 */
final class DebugControl implements ExecutionListener, MemoryWatch {

    /** gdb's breakpoint and watchpoint kinds (the Z packet's type). */
    static final int SW = 0, HW = 1, WRITE = 2, READ = 3, ACCESS = 4;

    /** Why the last run stopped, as far as this control saw it. */
    enum Hit { NONE, BREAKPOINT, WATCHPOINT, STEP, INTERRUPT, REPLAY_TARGET, VM_EXIT, VM_ENTRY, VM_ENTRY_FAILED, SNAPSHOT }

    /** What breakpoints and watchpoints do: stop (normal), nothing (replaying), or get recorded (reverse-continue). */
    enum Mode { NORMAL, REPLAY, RECORD }

    /**
     * A point in a deterministic run: just before vCPU {@code cpu} takes its step number {@code count} (its
     * {@code count} earlier steps done), or just after its {@code count}-th. A step is a retired instruction or a
     * transition to the host that retired none (a VM exit, an entry-failure exit: {@link #ticks}), so the guest's
     * exiting instruction and the host's first instruction after the exit are different positions.
     */
    record Position(int cpu, long count, boolean after) {}

    /** A breakpoint or watchpoint hit seen while recording. */
    record Recorded(Position at, Hit hit, int kind, long addr) {}

    private record Watch(int kind, long addr, long len) {
        boolean covers(long a, int size) {
            return Long.compareUnsigned(a, addr + len) < 0 && Long.compareUnsigned(addr, a + size) < 0;
        }
    }

    private long[] sw = new long[0];
    private long[] hw = new long[0];
    private final List<Watch> watches = new ArrayList<>();
    private volatile boolean interrupt;
    private int stepCpu = -1;
    private boolean stepStarted;
    private int skipCpu = -1;
    private long skipRip;

    Mode mode = Mode.NORMAL;
    /** Where a replay stops, or null. */
    Position target;
    final List<Recorded> recorded = new ArrayList<>();
    Hit hit = Hit.NONE;
    /** The last stop came after an instruction (a step, a watchpoint), not before one. */
    boolean hitAfter;
    int hitKind;
    int hitCpu;
    long hitAddr;
    /** The CPU that ran last (the thread to report after an interrupt). */
    int lastCpu;

    /** A VM exit, entry or failed entry seen, with where it happened. */
    record Transition(int cpu, long tick, VmTransition what) {}

    /** How many exits {@link #history} keeps. */
    static final int HISTORY = 1024;
    /** Transitions to the host per vCPU (APIC ID) since the machine started: part of {@link #ticks}. */
    private long[] hostTransitions = new long[1];
    /** The last {@link #HISTORY} VM exits (and entry failures), oldest first. */
    final java.util.ArrayDeque<Transition> history = new java.util.ArrayDeque<>();
    /** Which VM exits stop a run (monitor break-exit), or null for none. */
    Predicate<VmTransition> breakExit;
    boolean breakEntry;
    boolean breakEntryFail;
    /** A VM stop waiting for the vCPU's next instruction boundary (the host's or guest's first instruction). */
    private Transition pending;
    /** The VM transitions of the last run, for the stop report (at most a few are kept). */
    final List<Transition> seen = new ArrayList<>();

    /** The vCPU's steps so far: retired instructions plus transitions to the host (see {@link Position}). */
    long ticks(Cpu cpu) {
        int id = cpu.apicId();
        return cpu.instructions() + (id < hostTransitions.length ? hostTransitions[id] : 0);
    }

    /**
     * Per vCPU (APIC ID): the step count at which a run stops for a periodic snapshot (before that vCPU's next
     * instruction), or null when no snapshots are taken. Only continuing runs and replays stop for one, never a
     * single step.
     */
    long[] snapshotAt;

    /** The timeline state a snapshot must carry besides the machine: transitions to the host so far, the exit history. */
    Object saveTimeline() {
        return new Object[] {hostTransitions.clone(), new java.util.ArrayList<>(history)};
    }

    @SuppressWarnings("unchecked")
    void restoreTimeline(Object saved) {
        Object[] t = (Object[]) saved;
        hostTransitions = ((long[]) t[0]).clone();
        history.clear();
        history.addAll((List<Transition>) t[1]);
        pending = null;
    }

    /** After a snapshot stop: the run goes on as before it (same mode, target, step), without re-checking this instruction. */
    void continueAfterSnapshot() {
        hit = Hit.NONE;
    }

    /** A new machine starts (a replay from the start): no transitions yet. */
    void resetTicks() {
        hostTransitions = new long[1];
        history.clear();
        pending = null;
    }

    @Override
    public void onVmExit(Cpu cpu, VmTransition exit) {
        transition(cpu, exit, breakExit != null && breakExit.test(exit), Hit.VM_EXIT);
    }

    @Override
    public void onVmEntry(Cpu cpu, VmTransition entry) {
        transition(cpu, entry, breakEntry, Hit.VM_ENTRY);
    }

    @Override
    public void onVmEntryFailed(Cpu cpu, VmTransition failure) {
        transition(cpu, failure, breakEntryFail, Hit.VM_ENTRY_FAILED);
    }

    private void transition(Cpu cpu, VmTransition t, boolean stops, Hit h) {
        int id = cpu.apicId();
        Transition x = new Transition(id, ticks(cpu), t);
        if (t.toHost()) {
            if (id >= hostTransitions.length) {
                hostTransitions = java.util.Arrays.copyOf(hostTransitions, id + 1);
            }
            hostTransitions[id]++;
        }
        if (t.kind() != VmTransition.Kind.ENTRY) {
            if (history.size() == HISTORY) {
                history.removeFirst();
            }
            history.addLast(x);
        }
        if (seen.size() < 8) {
            seen.add(x);
        }
        if (stops) {
            pending = x;
            pendingHit = h;
        }
    }

    private Hit pendingHit;

    /** The transition the last stop was for (a VM stop), or null. */
    Transition stoppedAt;

    @Override
    public void beforeInstruction(Cpu cpu, DecodedInsn insn) {
        int id = cpu.apicId();
        lastCpu = id;
        if (interrupt) {
            interrupt = false;
            stop(cpu, Hit.INTERRUPT, 0, 0, false);
            cpu.stopBeforeInstruction(StopReason.STOP_REQUESTED);
            return;
        }
        if (pending != null && pending.cpu() == id) {
            Transition p = pending;
            pending = null;
            if (mode == Mode.RECORD) {
                recorded.add(new Recorded(new Position(id, ticks(cpu), false), pendingHit, 0, 0));
            } else if (mode == Mode.NORMAL) {
                stoppedAt = p;
                stop(cpu, pendingHit, 0, 0, false);
                cpu.stopBeforeInstruction(StopReason.BREAKPOINT);
                return;
            }
        }
        if (id == stepCpu && stepStarted) { // the stepped instruction faulted: the step ends at the handler
            stop(cpu, Hit.STEP, 0, 0, false);
            cpu.stopBeforeInstruction(StopReason.STEP_DONE);
            return;
        }
        if (target != null && id == target.cpu() && ticks(cpu) >= target.count()) {
            stop(cpu, Hit.REPLAY_TARGET, 0, 0, false);
            cpu.stopBeforeInstruction(StopReason.STEP_DONE);
            return;
        }
        long rip = cpu.state().rip;
        if (id == skipCpu) {
            skipCpu = -1;
            if (rip == skipRip) { // resuming from this address: the breakpoint here was reported already
                markStep(id);
                return;
            }
        }
        if (mode != Mode.NORMAL && (contains(sw, rip) || contains(hw, rip))) {
            if (mode == Mode.RECORD) {
                recorded.add(new Recorded(new Position(id, ticks(cpu), false), Hit.BREAKPOINT,
                        contains(sw, rip) ? SW : HW, rip));
            }
        } else if (contains(sw, rip) || contains(hw, rip)) {
            stop(cpu, Hit.BREAKPOINT, contains(sw, rip) ? SW : HW, rip, false);
            cpu.stopBeforeInstruction(StopReason.BREAKPOINT);
            return;
        }
        long[] at = snapshotAt;
        if (at != null && stepCpu < 0 && skipCpu < 0 && hit == Hit.NONE && id < at.length && ticks(cpu) >= at[id]) {
            // a periodic snapshot is due: stop before this instruction (its breakpoints were checked already, so
            // resuming skips them, as after a breakpoint stop); GdbStub takes the snapshot and runs on
            stop(cpu, Hit.SNAPSHOT, 0, 0, false);
            skipCpu = id;
            skipRip = rip;
            cpu.stopBeforeInstruction(StopReason.STEP_DONE);
            return;
        }
        markStep(id);
    }

    private void markStep(int id) {
        if (id == stepCpu) {
            stepStarted = true;
        }
    }

    @Override
    public void afterInstruction(Cpu cpu, DecodedInsn insn) {
        if (target != null && target.after() && cpu.apicId() == target.cpu() && ticks(cpu) >= target.count()
                && hit == Hit.NONE) {
            stop(cpu, Hit.REPLAY_TARGET, 0, 0, true);
            cpu.stopAfterInstruction(StopReason.STEP_DONE);
            return;
        }
        if (cpu.apicId() == stepCpu && hit == Hit.NONE) {
            Transition p = pending;
            if (p != null && p.cpu() == cpu.apicId()) { // the stepped VMLAUNCH/VMRESUME/VMRUN entered or failed
                pending = null;
                stoppedAt = p;
                stop(cpu, pendingHit, 0, 0, true);
            } else {
                stop(cpu, Hit.STEP, 0, 0, true);
            }
            cpu.stopAfterInstruction(StopReason.STEP_DONE);
        }
    }

    private void stop(Cpu cpu, Hit h, int kind, long addr, boolean after) {
        if (hit == Hit.NONE) {
            hit = h;
            hitAfter = after;
            hitKind = kind;
            hitCpu = cpu.apicId();
            hitAddr = addr;
        }
    }

    /** Prepares a run: step {@code stepCpu} (-1: continue), resuming {@code cpu} at {@code rip} without re-hitting a breakpoint there. */
    void resume(int stepCpu, int cpu, long rip) {
        hit = Hit.NONE;
        stoppedAt = null;
        seen.clear();
        mode = Mode.NORMAL;
        target = null;
        this.stepCpu = stepCpu;
        stepStarted = false;
        skipCpu = cpu;
        skipRip = rip;
        interrupt = false;
    }

    /** Prepares a replay run that stops at {@code to}, with breakpoints ignored ({@link Mode#REPLAY}) or recorded. */
    void replay(Position to, Mode m) {
        hit = Hit.NONE;
        stoppedAt = null;
        seen.clear();
        mode = m;
        target = to;
        stepCpu = -1;
        skipCpu = -1;
        recorded.clear();
        interrupt = false;
    }

    /** Ends a replay: the hit and the recorded hits stay readable. */
    void endReplay() {
        pending = null; // a stop the replay passed over is not taken again when going forward from its end
        mode = Mode.NORMAL;
        target = null;
    }

    /** Ctrl-C: stop at the next instruction boundary; safe from any thread. */
    void requestInterrupt() {
        interrupt = true;
    }

    // ------------------------------------------------------------------ breakpoints and watchpoints

    /** Inserts a breakpoint or watchpoint; false if the kind is unknown. */
    boolean insert(int kind, long addr, long len) {
        switch (kind) {
            case SW: sw = add(sw, addr); return true;
            case HW: hw = add(hw, addr); return true;
            case WRITE: case READ: case ACCESS:
                if (len <= 0 || len > 1L << 20) {
                    return false;
                }
                watches.add(new Watch(kind, addr, len));
                return true;
            default: return false;
        }
    }

    boolean remove(int kind, long addr, long len) {
        switch (kind) {
            case SW: sw = del(sw, addr); return true;
            case HW: hw = del(hw, addr); return true;
            case WRITE: case READ: case ACCESS:
                watches.remove(new Watch(kind, addr, len)); // removing one that is not set is not an error
                return true;
            default: return false;
        }
    }

    boolean hasWatches() {
        return !watches.isEmpty();
    }

    void clearAll() {
        sw = new long[0];
        hw = new long[0];
        watches.clear();
    }

    @Override
    public boolean watchesPage(long lpn) {
        for (Watch w : watches) {
            long first = w.addr >>> 12, last = (w.addr + w.len - 1) >>> 12;
            if (Long.compareUnsigned(lpn, first) >= 0 && Long.compareUnsigned(lpn, last) <= 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void accessed(Cpu cpu, long lin, int size, boolean write) {
        for (Watch w : watches) {
            boolean kindMatches = w.kind == ACCESS || (w.kind == WRITE) == write;
            if (kindMatches && w.covers(lin, size)) {
                long at = Long.compareUnsigned(lin, w.addr) < 0 ? w.addr : lin;
                if (mode == Mode.RECORD) {
                    recorded.add(new Recorded(new Position(cpu.apicId(), ticks(cpu) + 1, true), Hit.WATCHPOINT,
                            w.kind, at));
                    return;
                }
                if (mode == Mode.REPLAY) {
                    return;
                }
                stop(cpu, Hit.WATCHPOINT, w.kind, at, true);
                cpu.stopAfterInstruction(StopReason.BREAKPOINT);
                return;
            }
        }
    }

    private static boolean contains(long[] a, long v) {
        for (long x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static long[] add(long[] a, long v) {
        if (contains(a, v)) {
            return a;
        }
        long[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    private static long[] del(long[] a, long v) {
        return java.util.Arrays.stream(a).filter(x -> x != v).toArray();
    }
}
