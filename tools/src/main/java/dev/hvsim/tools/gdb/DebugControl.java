package dev.hvsim.tools.gdb;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.MemoryWatch;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.decode.DecodedInsn;
import java.util.ArrayList;
import java.util.List;

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
    enum Hit { NONE, BREAKPOINT, WATCHPOINT, STEP, INTERRUPT }

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

    Hit hit = Hit.NONE;
    int hitKind;
    int hitCpu;
    long hitAddr;
    /** The CPU that ran last (the thread to report after an interrupt). */
    int lastCpu;

    @Override
    public void beforeInstruction(Cpu cpu, DecodedInsn insn) {
        int id = cpu.apicId();
        lastCpu = id;
        if (interrupt) {
            interrupt = false;
            stop(cpu, Hit.INTERRUPT, 0, 0);
            cpu.stopBeforeInstruction(StopReason.STOP_REQUESTED);
            return;
        }
        if (id == stepCpu && stepStarted) { // the stepped instruction faulted: the step ends at the handler
            stop(cpu, Hit.STEP, 0, 0);
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
        if (contains(sw, rip) || contains(hw, rip)) {
            stop(cpu, Hit.BREAKPOINT, contains(sw, rip) ? SW : HW, rip);
            cpu.stopBeforeInstruction(StopReason.BREAKPOINT);
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
        if (cpu.apicId() == stepCpu && hit == Hit.NONE) {
            stop(cpu, Hit.STEP, 0, 0);
            cpu.stopAfterInstruction(StopReason.STEP_DONE);
        }
    }

    private void stop(Cpu cpu, Hit h, int kind, long addr) {
        if (hit == Hit.NONE) {
            hit = h;
            hitKind = kind;
            hitCpu = cpu.apicId();
            hitAddr = addr;
        }
    }

    /** Prepares a run: step {@code stepCpu} (-1: continue), resuming {@code cpu} at {@code rip} without re-hitting a breakpoint there. */
    void resume(int stepCpu, int cpu, long rip) {
        hit = Hit.NONE;
        this.stepCpu = stepCpu;
        stepStarted = false;
        skipCpu = cpu;
        skipRip = rip;
        interrupt = false;
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
                return watches.remove(new Watch(kind, addr, len)) || true;
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
                stop(cpu, Hit.WATCHPOINT, w.kind, at);
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
