package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestImages;
import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.vmcs.LaunchState;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.x86core.Reg;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Property (c) of issue 9, the stateful VMX instruction protocol: random sequences of VMXON, VMCLEAR, VMPTRLD,
 * VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, VMXOFF and VMCALL, with valid and invalid operands, executed by a
 * root-mode CPU ({@link VmxHarness}), agree step by step with a small reference model of SDM Vol. 3C 31.2-31.4 (and
 * 24.11.3, the launch state): VMX operation on or off, the VMXON pointer, the current-VMCS pointer, every VMCS's
 * launch state and the values of the fields the sequence touches. Each step compares the outcome (success,
 * VMfailInvalid, VMfailValid(n) with the VM-instruction error field, #UD), the current-VMCS pointer and the launch
 * state of every VMCS in the pool.
 *
 * <p>The pool: the VMXON region, two VMCSs prepared with a valid guest whose first instruction is VMCALL (so VMLAUNCH
 * and VMRESUME enter and come back with exit reason 18), one blank VMCS (VM entry fails the control checks: error 7,
 * 28.2.1.1 — the all-zero controls miss their default-1 bits), one region with a wrong revision identifier, a
 * misaligned address and one beyond MAXPHYADDR. After VMXOFF a VMCS that was left launched is in an undefined state
 * (24.11.1: software must VMCLEAR it first; error 6 is the hardware's report of it); the sequence VMCLEARs such a VMCS
 * before it launches or resumes it (DEVIATIONS.md).
 */
public final class VmxProtocol {
    static final long VMXON = VmxHarness.VMXON_REGION, P1 = 0x401000, P2 = 0x402000, BLANK = 0x403000,
            BAD_REV = 0x404000, MISALIGNED = 0x402010, BEYOND = 1L << 52 | 0x2000;
    static final long[] POINTERS = {VMXON, P1, P2, BLANK, BAD_REV, MISALIGNED, BEYOND};
    static final long[] VMCSES = {P1, P2, BLANK};
    static final long NONE = -1L;
    /** Fields VMWRITE may change without making the prepared guest invalid, read back by VMREAD. */
    static final String[] FIELDS = {"CR0_READ_SHADOW", "CR4_READ_SHADOW", "TSC_OFFSET", "GUEST_SYSENTER_CS",
        "EXCEPTION_BITMAP"};
    static final long UNSUPPORTED = 0x7ffeL, HIGH_BITS = 1L << 32 | 0x4004;   // no such component; bits 63:32 set

    /** The reference model. */
    static final class Ref {
        boolean vmx;
        long vmxon = NONE;
        long current = NONE;

        long vmxonPointer() {
            return vmxon;
        }

        Map<String, Long> values(long p) {
            return values.computeIfAbsent(p, k -> new HashMap<>());
        }
        final Map<Long, LaunchState> launch = new HashMap<>();
        final Set<Long> undefined = new HashSet<>();
        final Map<Long, Map<String, Long>> values = new HashMap<>();
    }

    /** What an instruction did: 0 success, 1 VMfailInvalid, 2 VMfailValid, 3 #UD, 4 entered and exited with VMCALL. */
    record Outcome(int kind, long error) {
        @Override
        public String toString() {
            return new String[] {"success", "VMfailInvalid", "VMfailValid(" + error + ")", "#UD", "entered+VMCALL exit"}[kind];
        }
    }

    private VmxProtocol() {
    }

    /** The prepared guest: the long-mode base made runnable with VMCALL at RIP, host state of the harness. */
    static VmxCase prepared(VmxCpu cpu, SplittableRandom r) {
        VmxCase c = GuestImages.place(VmxCase.ofBase(cpu, GuestMode.LONG_64), VmxHarness.VMCALL, r).vmxCase();
        return c.with("HOST_CR3", VmxHarness.PAGING).with("HOST_GDTR_BASE", VmxHarness.GDT)
                .with("HOST_IDTR_BASE", VmxHarness.IDT);
    }

    /** Runs one random sequence of {@code steps} instructions; null when every step agreed, else the log. */
    public static String check(VmxCpu cpu, SplittableRandom r, int steps) {
        return check(cpu, r, steps, new java.util.TreeMap<>());
    }

    /**
     * As {@link #check(VmxCpu, SplittableRandom, int)}, counting each "INSTRUCTION -> outcome" pair that agreed in
     * {@code seen} (the protocol's coverage).
     */
    public static String check(VmxCpu cpu, SplittableRandom r, int steps, Map<String, Integer> seen) {
        long setup = r.nextLong();
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            seeds.add(r.nextLong());
        }
        List<String> log = new ArrayList<>();
        Failed f = run(cpu, setup, seeds, seen, log);
        if (f == null) {
            return null;
        }
        List<Long> small = shrink(cpu, setup, seeds.subList(0, f.index() + 1), f.signature());
        return f.problem() + "\nsequence:\n  " + String.join("\n  ", log) + "\nshrunk to " + small.size()
                + " step(s), replay with VmxProtocol.replay:\n" + text(setup, small);
    }

    /** A failed step: its index, the problem with the sequence so far, and what "fails the same way" compares. */
    public record Failed(int index, String problem, String signature) {
    }

    /**
     * Runs the sequence whose set-up (the guest image of the two prepared VMCSs) is drawn from {@code setup} and whose
     * step {@code i} draws its instruction and operands from {@code seeds[i]} alone, so that steps can be dropped
     * without changing the others; null when every step agreed. {@code log} gets one line per step.
     */
    public static Failed run(VmxCpu cpu, long setup, List<Long> seeds, Map<String, Integer> seen, List<String> log) {
        VmxHarness h = new VmxHarness(cpu.profile());
        VmxCase guest = prepared(cpu, new SplittableRandom(setup));
        Ref ref = new Ref();
        // set-up: both prepared VMCSs hold the guest, every VMCS is clear, then VMX operation is left
        h.bus.write(BAD_REV, 4, dev.hvsim.vmcs.VmcsLayout.HVSIM_REVISION_ID + 1);
        for (long p : VMCSES) {
            h.bus.write(p, 4, dev.hvsim.vmcs.VmcsLayout.HVSIM_REVISION_ID);
        }
        if (h.exec(VmxHarness.VMXON, VMXON) != 0) {
            return new Failed(0, "set-up VMXON failed", "set-up");
        }
        for (long p : VMCSES) {
            h.exec(VmxHarness.VMCLEAR, p);
            Map<String, Long> vals = new HashMap<>();
            if (p != BLANK) {
                h.exec(VmxHarness.VMPTRLD, p);
                h.load(guest);
                for (String f : FIELDS) {
                    vals.put(f, guest.get(f));
                }
                h.exec(VmxHarness.VMCLEAR, p);
            }
            ref.values.put(p, vals);
            ref.launch.put(p, LaunchState.CLEAR);
        }
        h.exec(VmxHarness.VMXOFF, 0);
        for (int i = 0; i < seeds.size(); i++) {
            String problem = step(h, ref, cpu, new SplittableRandom(seeds.get(i)), log);
            String last = log.get(log.size() - 1);
            String op = last.substring(0, last.indexOf(' ') < 0 ? last.length() : last.indexOf(' '));
            if (problem == null) {
                seen.merge(op + " -> " + last.substring(last.indexOf(" -> ") + 4), 1, Integer::sum);
            } else {
                return new Failed(i, "step " + i + ": " + problem,
                        op + ": " + problem.replaceAll("0x[0-9a-f]+|\\b[0-9a-f]{4,}\\b", "#"));
            }
        }
        return null;
    }

    /**
     * Shrinks a failing sequence to a 1-minimal one ({@link SvmProtocol#shrink}): steps are dropped while the
     * shortened sequence still fails with the same {@code signature} (the instruction and the problem with the
     * numbers left out).
     */
    public static List<Long> shrink(VmxCpu cpu, long setup, List<Long> failing, String signature) {
        return SvmProtocol.shrink(failing, t -> {
            Failed f = run(cpu, setup, t, new java.util.TreeMap<>(), new ArrayList<>());
            return f != null && f.signature().equals(signature);
        });
    }

    /** The replayable text of a sequence: {@code setup SEED} then one step seed a line. */
    public static String text(long setup, List<Long> seeds) {
        StringBuilder b = new StringBuilder("setup " + setup + "\n");
        seeds.forEach(s -> b.append("step ").append(s).append('\n'));
        return b.toString();
    }

    /** Replays the text of {@link #text} on {@code cpu}; null when every step agreed, else the failure. */
    public static String replay(VmxCpu cpu, String text) {
        String[] lines = text.trim().split("\n");
        if (!lines[0].startsWith("setup ")) {
            throw new IllegalArgumentException("a replay starts with 'setup SEED' (got '" + lines[0] + "')");
        }
        long setup = Long.parseLong(lines[0].substring(6).trim());
        List<Long> seeds = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (!lines[i].startsWith("step ")) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected 'step SEED', got '" + lines[i] + "'");
            }
            seeds.add(Long.parseLong(lines[i].substring(5).trim()));
        }
        List<String> log = new ArrayList<>();
        Failed f = run(cpu, setup, seeds, new java.util.TreeMap<>(), log);
        return f == null ? null : f.problem();
    }

    private static String step(VmxHarness h, Ref ref, VmxCpu cpu, SplittableRandom r, List<String> log) {
        int op = r.nextInt(11);
        long drawn = r.nextInt(3) == 0 ? VMCSES[r.nextInt(VMCSES.length)]   // more valid pointers
                : POINTERS[r.nextInt(POINTERS.length)];
        if ((op == 6 || op == 7) && ref.current != NONE && ref.undefined.contains(ref.current)) {
            op = 1;   // VMCLEAR the VMCS left launched across VMXOFF before entering with it
            drawn = ref.current;
        }
        final long ptr = drawn;
        String name;
        Outcome expected;
        Outcome actual;
        String extra = null;
        switch (op) {
            case 0: {
                name = "VMXON " + hex(ptr);
                expected = vmxon(ref, ptr);
                actual = outcome(h, h.exec(VmxHarness.VMXON, ptr));
                break;
            }
            case 1:
                name = "VMCLEAR " + hex(ptr);
                expected = pointerOp(ref, ptr, 2, 3, () -> {
                    ref.launch.put(ptr, LaunchState.CLEAR);
                    ref.undefined.remove(ptr);
                    if (ptr == ref.current) {
                        ref.current = NONE;
                    }
                });
                actual = outcome(h, h.exec(VmxHarness.VMCLEAR, ptr));
                break;
            case 2:
                name = "VMPTRLD " + hex(ptr);
                expected = ptr == BAD_REV && ref.vmx ? fail(ref, 11) : pointerOp(ref, ptr, 9, 10, () -> ref.current = ptr);
                actual = outcome(h, h.exec(VmxHarness.VMPTRLD, ptr));
                break;
            case 3: {
                name = "VMPTRST";
                expected = ref.vmx ? new Outcome(0, 0) : new Outcome(3, 0);
                actual = outcome(h, h.exec(VmxHarness.VMPTRST, 0x5555));
                long stored = h.bus.read(VmxHarness.DATA, 8);
                if (ref.vmx && stored != ref.current) {
                    extra = "VMPTRST stored " + hex(stored) + ", reference " + hex(ref.current);
                }
                break;
            }
            case 4: {
                String[] choices = {FIELDS[r.nextInt(FIELDS.length)], "VM_INSTRUCTION_ERROR", "VM_EXIT_REASON", null};
                String f = choices[r.nextInt(choices.length)];
                long enc = f == null ? (r.nextBoolean() ? UNSUPPORTED : HIGH_BITS) : VmxCase.field(f).encodingValue();
                name = "VMREAD " + (f == null ? hex(enc) : f);
                expected = !ref.vmx ? new Outcome(3, 0) : ref.current == NONE ? new Outcome(1, 0)
                        : f == null ? fail(ref, 12) : new Outcome(0, 0);
                actual = outcome(h, h.execRegs(VmxHarness.VMREAD_RAX_RCX, enc, 0));
                if (expected.kind() == 0 && actual.kind() == 0) {
                    long want = ref.values(ref.current).getOrDefault(f, 0L);
                    long got = h.cpu.state().gpr[Reg.RAX];
                    if (got != want) {
                        extra = "VMREAD " + f + " returned " + hex(got) + ", reference " + hex(want);
                    }
                }
                break;
            }
            case 5: {
                String[] choices = {FIELDS[r.nextInt(FIELDS.length)], "VM_EXIT_REASON", null};
                String f = choices[r.nextInt(choices.length)];
                long enc = f == null ? (r.nextBoolean() ? UNSUPPORTED : HIGH_BITS) : VmxCase.field(f).encodingValue();
                long value = r.nextLong();
                name = "VMWRITE " + (f == null ? hex(enc) : f) + ", " + hex(value);
                boolean readOnly = f != null && VmxCase.field(f).readOnly() && !cpu.caps().misc().vmwriteAnyField();
                expected = !ref.vmx ? new Outcome(3, 0) : ref.current == NONE ? new Outcome(1, 0)
                        : f == null ? fail(ref, 12) : readOnly ? fail(ref, 13) : new Outcome(0, 0);
                if (expected.kind() == 0) {
                    VmcsField fd = VmxCase.field(f);
                    ref.values(ref.current).put(f, value & fd.valueMask());
                }
                actual = outcome(h, h.execRegs(VmxHarness.VMWRITE_RCX_RAX, enc, value));
                break;
            }
            case 6:
            case 7: {
                boolean launch = op == 6;
                name = launch ? "VMLAUNCH" : "VMRESUME";
                expected = enter(ref, launch);
                actual = outcome(h, h.exec(launch ? VmxHarness.VMLAUNCH : VmxHarness.VMRESUME, 0));
                if (actual.kind() == 4) {
                    Vmcs v = h.vmx.currentVmcs();
                    if (h.vmx.inNonRoot() || v.read("VM_EXIT_REASON") != 18) {
                        extra = "the guest's VMCALL did not exit with reason 18 (non-root " + h.vmx.inNonRoot()
                                + ", reason " + v.read("VM_EXIT_REASON") + ")";
                    }
                }
                break;
            }
            case 8:
                name = "VMXOFF";
                expected = ref.vmx ? new Outcome(0, 0) : new Outcome(3, 0);
                if (ref.vmx) {
                    ref.vmx = false;
                    ref.current = NONE;
                    ref.launch.forEach((p, s) -> {
                        if (s == LaunchState.LAUNCHED) {
                            ref.undefined.add(p);
                        }
                    });
                }
                actual = outcome(h, h.exec(VmxHarness.VMXOFF, 0));
                break;
            default:
                name = "VMCALL";
                expected = ref.vmx ? fail(ref, 1) : new Outcome(3, 0);
                actual = outcome(h, h.exec(VmxHarness.VMCALL, 0));
                break;
        }
        log.add(name + " -> " + actual);
        if (!expected.equals(actual)) {
            return name + ": model " + actual + ", reference " + expected;
        }
        if (extra != null) {
            return extra;
        }
        return compareState(h, ref);
    }

    private static Outcome vmxon(Ref ref, long ptr) {
        if (ref.vmx) {
            return fail(ref, 15);
        }
        if (ptr == MISALIGNED || ptr == BEYOND || ptr == BAD_REV) {
            return new Outcome(1, 0);   // VMfailInvalid (31.3 VMXON)
        }
        ref.vmx = true;
        ref.vmxon = ptr;
        ref.current = NONE;
        return new Outcome(0, 0);
    }

    /** VMCLEAR / VMPTRLD operand checks (31.3): #UD outside VMX operation, VMfail(invalid), VMfail(isVmxon). */
    private static Outcome pointerOp(Ref ref, long ptr, int invalid, int isVmxon, Runnable effect) {
        if (!ref.vmx) {
            return new Outcome(3, 0);
        }
        if (ptr == MISALIGNED || ptr == BEYOND) {
            return fail(ref, invalid);
        }
        if (ptr == ref.vmxonPointer()) {
            return fail(ref, isVmxon);
        }
        effect.run();
        return new Outcome(0, 0);
    }

    /** VMLAUNCH / VMRESUME (31.3, 28.1-28.2): the basic checks, then the blank VMCS's control checks fail (7). */
    private static Outcome enter(Ref ref, boolean launch) {
        if (!ref.vmx) {
            return new Outcome(3, 0);
        }
        if (ref.current == NONE) {
            return new Outcome(1, 0);
        }
        LaunchState s = ref.launch.getOrDefault(ref.current, LaunchState.CLEAR);
        if (launch && s != LaunchState.CLEAR) {
            return fail(ref, 4);
        }
        if (!launch && s != LaunchState.LAUNCHED) {
            return fail(ref, 5);
        }
        if (ref.current != P1 && ref.current != P2) {   // the blank VMCS, or the VMXON region of an earlier VMXON
            return fail(ref, 7);
        }
        ref.launch.put(ref.current, LaunchState.LAUNCHED);
        ref.values(ref.current).put("VM_EXIT_REASON", 18L);
        return new Outcome(4, 0);
    }

    /** VMfail(n) (31.2): VMfailValid(n), recorded in the current VMCS, or VMfailInvalid without one. */
    private static Outcome fail(Ref ref, int n) {
        if (ref.current == NONE) {
            return new Outcome(1, 0);
        }
        ref.values(ref.current).put("VM_INSTRUCTION_ERROR", (long) n);
        return new Outcome(2, n);
    }

    private static Outcome outcome(VmxHarness h, long flags) {
        if (flags < 0) {
            return new Outcome(h.event.vector == 6 ? 3 : 100 + h.event.vector, 0);
        }
        if (h.vmx.inNonRoot()) {
            h.cpu.run(1, Long.MAX_VALUE);   // the guest's VMCALL
            return new Outcome(4, 0);
        }
        if (h.cpu.state().rip != VmxHarness.CODE + 3 && h.cpu.state().rip != VmxHarness.CODE + 8
                && h.cpu.state().rip != VmxHarness.CODE + 9 && h.cpu.state().rip != VmxHarness.CODE + 2) {
            return new Outcome(5, h.cpu.state().rip);   // left the root code without an event: an unexpected exit
        }
        if (flags == dev.hvsim.x86core.Flags.CF) {
            return new Outcome(1, 0);
        }
        if (flags == dev.hvsim.x86core.Flags.ZF) {
            return new Outcome(2, h.vmx.currentVmcs().read("VM_INSTRUCTION_ERROR"));
        }
        return flags == 0 ? new Outcome(0, 0) : new Outcome(6, flags);
    }

    private static String compareState(VmxHarness h, Ref ref) {
        long cur = h.vmx.inNonRoot() || !ref.vmx ? NONE : h.vmx.currentVmcsPointer();
        if (ref.vmx && cur != ref.current) {
            return "current-VMCS pointer " + hex(cur) + ", reference " + hex(ref.current);
        }
        for (long p : VMCSES) {
            if (ref.undefined.contains(p)) {
                continue;
            }
            LaunchState s = new Vmcs(h.bus, p, h.vmx.layout()).launchState();
            if (s != ref.launch.get(p)) {
                return "launch state of " + hex(p) + " is " + s + ", reference " + ref.launch.get(p);
            }
        }
        return null;
    }

    static String hex(long v) {
        return Long.toHexString(v);
    }
}
