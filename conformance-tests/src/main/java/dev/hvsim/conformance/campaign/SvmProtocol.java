package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.NptImages;
import dev.hvsim.conformance.gen.VmcbCase;
import dev.hvsim.conformance.gen.VmcbGenerator;
import dev.hvsim.svm.SvmExit;
import dev.hvsim.svm.SvmExtension;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Property (c) of issue 9 for SVM, the instruction protocol: random sequences of VMRUN, VMLOAD, VMSAVE, CLGI, STGI,
 * VMMCALL, INVLPGA and WRMSR of VM_HSAVE_PA and of EFER (SVME set or cleared), at CPL 0 or 3, with valid and invalid
 * operands (a prepared VMCB whose guest exits with VMMCALL, a blank VMCB, a data page, a misaligned address, one at
 * or above 2^MAXPHYADDR), executed by a 64-bit host ({@link SvmHostHarness}), agree step by step with a small reference
 * model of AMD APM Vol. 2 15.4 (enabling SVM), 15.5 (VMRUN), 15.5.2 (VMLOAD/VMSAVE), 15.6 (#VMEXIT), 15.17 (GIF),
 * 15.30.4 (VM_HSAVE_PA) and the Vol. 3 instruction pages:
 * <ul>
 * <li>the outcome: success, #UD (EFER.SVME = 0; VMMCALL outside a guest; STGI only when CPUID lacks SKINIT, 15.4),
 * #GP(0) (CPL &gt; 0; rAX not 4 KiB aligned or at/above 2^MAXPHYADDR; a bad VM_HSAVE_PA value), #VMEXIT(VMMCALL) from
 * the prepared guest or #VMEXIT(VMEXIT_INVALID) from the blank VMCB (EXITCODE written to that VMCB);</li>
 * <li>GIF (CLGI 0, STGI 1, 0 after every #VMEXIT), EFER.SVME, VM_HSAVE_PA;</li>
 * <li>VMLOAD / VMSAVE copy exactly FS, GS, TR, LDTR (selector, attributes, limit, base), KernelGsBase, STAR, LSTAR,
 * CSTAR, SFMASK, SYSENTER_CS/ESP/EIP between the CPU and the VMCB (15.5.2): the CPU's values equal the reference's
 * after every step, and every byte of the pool's pages equals the reference's (VMSAVE writes those fields and no
 * other byte; VMRUN and #VMEXIT write none of them);</li>
 * <li>nothing else of the host changes: after a VMRUN the host state is the state at the VMRUN (restored from
 * VM_HSAVE_PA, whichever page it names), with RIP after the VMRUN, DR7 400H, and the guest's CR2/DR6 after an entry
 * (not in the host save area, Vol. 3 "VMRUN"); after any other instruction, every register and MSR but those it
 * writes is unchanged.</li>
 * </ul>
 * A sequence is data ({@link Step}); a failing one is shrunk to the fewest steps that still fail the same way and
 * printed as replayable text ({@link #replay}).
 */
public final class SvmProtocol {
    static final long P1 = SvmHostHarness.VMCB, BLANK = 0x402000, DATA = 0x403000, H1 = SvmHostHarness.HSAVE,
            H2 = 0x404000, MISALIGNED = 0x402040, BEYOND = 1L << 52 | 0x2000, HSAVE_UNALIGNED = 0x404800;
    static final long[] PAGES = {P1, BLANK, DATA};
    static final long[] VMRUN_OPERANDS = {P1, P1, BLANK, MISALIGNED, BEYOND};
    static final long[] LOADSAVE_OPERANDS = {P1, BLANK, DATA, DATA, MISALIGNED, BEYOND};
    static final long[] HSAVE_VALUES = {H1, H2, HSAVE_UNALIGNED, BEYOND & ~0xfffL};

    /** The VMLOAD/VMSAVE state (15.5.2): four segments of 16 bytes, then eight MSRs, by state-save-area offset. */
    static final int[] SEG_OFFSETS = {0x440, 0x450, 0x490, 0x470};   // FS, GS, TR, LDTR
    static final String[] SEG_NAMES = {"FS", "GS", "TR", "LDTR"};
    static final int[] MSR_OFFSETS = {0x620, 0x600, 0x608, 0x610, 0x618, 0x628, 0x630, 0x638};
    static final long[] MSRS = {Msr.IA32_KERNEL_GS_BASE, Msr.IA32_STAR, Msr.IA32_LSTAR, Msr.IA32_CSTAR, Msr.IA32_FMASK,
        Msr.IA32_SYSENTER_CS, Msr.IA32_SYSENTER_ESP, Msr.IA32_SYSENTER_EIP};
    static final String[] MSR_NAMES = {"KernelGsBase", "STAR", "LSTAR", "CSTAR", "SFMASK", "SYSENTER_CS",
        "SYSENTER_ESP", "SYSENTER_EIP"};

    /** The instructions of a sequence. */
    public enum Op { VMRUN, VMLOAD, VMSAVE, CLGI, STGI, VMMCALL, INVLPGA, WRMSR_HSAVE, WRMSR_EFER_SVME }

    /**
     * One step: {@code op} at CPL {@code cpl} with {@code operand} (rAX for VMRUN/VMLOAD/VMSAVE/INVLPGA, the value for
     * WRMSR VM_HSAVE_PA, 1/0 to set/clear EFER.SVME). Text form {@code "VMRUN 401000 cpl0"} ({@link #parse}).
     */
    public record Step(Op op, long operand, int cpl) {
        @Override
        public String toString() {
            return op + " " + Long.toHexString(operand) + " cpl" + cpl;
        }

        public static Step parse(String line) {
            String[] p = line.trim().split("\\s+");
            if (p.length != 3 || !p[2].startsWith("cpl")) {
                throw new IllegalArgumentException("not a step (\"VMRUN 401000 cpl0\"): '" + line + "'");
            }
            return new Step(Op.valueOf(p[0]), Long.parseUnsignedLong(p[1], 16), Integer.parseInt(p[2].substring(3)));
        }
    }

    /** What an instruction did. */
    record Outcome(String kind, int vector, int error) {
        static final Outcome OK = new Outcome("success", -1, 0), UD = new Outcome("#UD", 6, -1),
                GP = new Outcome("#GP(0)", 13, 0), VMMCALL_EXIT = new Outcome("#VMEXIT(VMMCALL)", -1, 0),
                INVALID = new Outcome("#VMEXIT(VMEXIT_INVALID)", -1, 0);

        @Override
        public String toString() {
            return kind;
        }
    }

    static final CpuProfile AMD = CpuProfile.load("amd-zen");

    private SvmProtocol() {
    }

    /** A random sequence of {@code n} steps (CPL 3 one time in eight). */
    public static List<Step> steps(SplittableRandom r, int n) {
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Op op = Op.values()[r.nextInt(Op.values().length)];
            if (r.nextInt(4) == 0) {
                op = Op.VMRUN;   // the transitions are what the protocol is about
            }
            long operand;
            switch (op) {
                case VMRUN: operand = VMRUN_OPERANDS[r.nextInt(VMRUN_OPERANDS.length)]; break;
                case VMLOAD:
                case VMSAVE: operand = LOADSAVE_OPERANDS[r.nextInt(LOADSAVE_OPERANDS.length)]; break;
                case INVLPGA: operand = r.nextLong() & 0x00007ffffffff000L; break;
                case WRMSR_HSAVE: operand = HSAVE_VALUES[r.nextInt(HSAVE_VALUES.length)]; break;
                case WRMSR_EFER_SVME: operand = r.nextInt(3) == 0 ? 0 : 1; break;
                default: operand = 0;
            }
            out.add(new Step(op, operand, r.nextInt(8) == 0 ? 3 : 0));
        }
        return out;
    }

    /**
     * Runs a random sequence of {@code n} steps; null when every step agreed, else the failure with the shrunk
     * sequence as replayable text. {@code seen} counts "OP -> outcome" pairs that agreed.
     */
    public static String check(SplittableRandom r, int n, Map<String, Integer> seen) {
        long setup = r.nextLong();
        List<Step> steps = steps(r, n);
        Failed f = run(setup, steps, seen);
        if (f == null) {
            return null;
        }
        List<Step> small = shrink(setup, steps);
        return "step " + f.index + " (" + steps.get(f.index) + "): " + f.problem + "\nshrunk to " + small.size()
                + " step(s), replay with SvmProtocol.replay:\n" + text(setup, small);
    }

    /** The replayable text of a sequence: {@code setup SEED} then one step a line. */
    public static String text(long setup, List<Step> steps) {
        StringBuilder b = new StringBuilder("setup " + setup + "\n");
        steps.forEach(s -> b.append(s).append('\n'));
        return b.toString();
    }

    /** Replays the text of {@link #text}; null when every step agreed, else the failure. */
    public static String replay(String text) {
        String[] lines = text.trim().split("\n");
        if (!lines[0].startsWith("setup ")) {
            throw new IllegalArgumentException("a replay starts with 'setup SEED' (got '" + lines[0] + "')");
        }
        long setup = Long.parseLong(lines[0].substring(6).trim());
        List<Step> steps = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            steps.add(Step.parse(lines[i]));
        }
        Failed f = run(setup, steps, new TreeMap<>());
        return f == null ? null : "step " + f.index + " (" + steps.get(f.index) + "): " + f.problem;
    }

    /** A failed step: its index, the problem, and what "fails the same way" compares (the op and the category). */
    public record Failed(int index, String problem, String signature) {
    }

    /**
     * Shrinks a failing sequence: removes chunks of steps (halves, quarters, ... single steps) while the shortened
     * sequence still fails with the same signature, until no single step can be removed (1-minimal).
     */
    public static List<Step> shrink(long setup, List<Step> failing) {
        Failed f0 = run(setup, failing, new TreeMap<>());
        if (f0 == null) {
            return failing;
        }
        String sig = f0.signature;
        List<Step> cur = new ArrayList<>(failing.subList(0, f0.index + 1));
        return shrink(cur, c -> {
            Failed f = run(setup, c, new TreeMap<>());
            return f != null && f.signature.equals(sig);
        });
    }

    /** Delta-debugging removal of steps while {@code stillFails}; generic over the step type. */
    public static <T> List<T> shrink(List<T> failing, java.util.function.Predicate<List<T>> stillFails) {
        List<T> cur = new ArrayList<>(failing);
        for (int chunk = Math.max(1, cur.size() / 2); chunk >= 1; chunk = chunk == 1 ? 0 : Math.max(1, chunk / 2)) {
            boolean removed = true;
            while (removed) {
                removed = false;
                for (int at = 0; at + chunk <= cur.size(); ) {
                    List<T> t = new ArrayList<>(cur.subList(0, at));
                    t.addAll(cur.subList(at + chunk, cur.size()));
                    if (!t.isEmpty() && stillFails.test(t)) {
                        cur = t;
                        removed = true;
                    } else {
                        at += chunk;
                    }
                }
            }
        }
        return cur;
    }

    /** The reference model's state. */
    static final class Ref {
        boolean svme = true, gif = true;
        long hsave = H1;
        /** The VMLOAD/VMSAVE state of the CPU: per segment {selector, attrib, limit, base}, then the MSRs. */
        final long[][] segs = new long[4][];
        final long[] msrs = new long[8];
        final Map<Long, byte[]> pages = new HashMap<>();
        /** The last step's outcome (for the coverage count), and the svm-misc.csv row of a VMRUN #UD/#GP. */
        String last, instructionRule;
    }

    /** Runs the sequence on a fresh host set up from {@code setup}; null when every step agreed. */
    public static Failed run(long setup, List<Step> steps, Map<String, Integer> seen) {
        SplittableRandom r = new SplittableRandom(setup);
        CpuProfile amd = AMD;
        SvmHostHarness h = new SvmHostHarness(amd);
        VmcbCase guest = NptImages.place(new VmcbGenerator(amd).valid(r), SvmHostHarness.VMMCALL, r, false).vmcbCase();
        guest.memory().forEach((a, q) -> h.bus.write(a, 8, q));
        Ref ref = new Ref();
        byte[] p1 = guest.image();
        for (long p : PAGES) {
            byte[] img = p == P1 ? p1 : new byte[4096];
            randomLoadSaveFields(img, r);
            h.bus.load(p, img);
            ref.pages.put(p, img.clone());
        }
        // the CPU's own VMLOAD state: TR stays a usable TSS for the #GP of CPL-3 steps; the rest random
        var s = h.cpu.state();
        s.seg[Reg.FS].set(r.nextInt(0x10000), canonical(r), r.nextInt() & 0xffffffffL, coreAttr(r.nextInt(0x1000)));
        s.seg[Reg.GS].set(r.nextInt(0x10000), canonical(r), r.nextInt() & 0xffffffffL, coreAttr(r.nextInt(0x1000)));
        s.ldtr.set(r.nextInt(0x10000), canonical(r), r.nextInt() & 0xffffffffL, coreAttr(0x82 | r.nextInt(2) << 7));
        for (int i = 0; i < MSRS.length; i++) {
            s.msr.put(MSRS[i], msrValue(i, r));
        }
        readCpu(h, ref);
        for (int i = 0; i < steps.size(); i++) {
            Step st = steps.get(i);
            String problem = step(h, ref, st, amd);
            if (problem != null) {
                int bar = problem.indexOf('|');
                return new Failed(i, problem.replace('|', ' '), st.op + " " + problem.substring(0, bar < 0 ? problem.length() : bar));
            }
            seen.merge(st.op + " -> " + ref.last, 1, Integer::sum);
            if (st.op == Op.VMRUN && ref.instructionRule != null) {
                seen.merge(ref.instructionRule, 1, Integer::sum);
            }
        }
        return null;
    }

    private static String step(SvmHostHarness h, Ref ref, Step st, CpuProfile amd) {
        var s = h.cpu.state();
        byte[] insn;
        Outcome expected;
        int cpl = st.cpl;
        long maxPa = 1L << amd.maxPhysAddr();
        boolean badAddress = (st.operand & 0xfff) != 0 || Long.compareUnsigned(st.operand, maxPa) >= 0;
        boolean skinit = h.cpu.has(dev.hvsim.x86core.decode.Feature.SKINIT);
        switch (st.op) {
            case VMRUN:
            case VMLOAD:
            case VMSAVE:
                insn = st.op == Op.VMRUN ? SvmHostHarness.VMRUN : st.op == Op.VMLOAD ? SvmHostHarness.VMLOAD : SvmHostHarness.VMSAVE;
                s.gpr[Reg.RAX] = st.operand;
                expected = !ref.svme ? Outcome.UD : cpl > 0 || badAddress ? Outcome.GP
                        : st.op != Op.VMRUN ? Outcome.OK : st.operand == P1 ? Outcome.VMMCALL_EXIT : Outcome.INVALID;
                ref.instructionRule = !ref.svme ? "rule SVM-VMRUN-UD" : cpl > 0 ? "rule SVM-VMRUN-CPL"
                        : badAddress ? "rule SVM-VMRUN-RAX" : null;
                break;
            case CLGI:
            case STGI:
                insn = st.op == Op.CLGI ? SvmHostHarness.CLGI : SvmHostHarness.STGI;
                expected = !ref.svme && !(st.op == Op.STGI && skinit) ? Outcome.UD : cpl > 0 ? Outcome.GP : Outcome.OK;
                break;
            case VMMCALL:
                insn = SvmHostHarness.VMMCALL;
                expected = Outcome.UD;   // not in a guest: #UD whatever EFER.SVME (Vol. 3 "VMMCALL")
                break;
            case INVLPGA:
                insn = SvmHostHarness.INVLPGA;
                s.gpr[Reg.RAX] = st.operand;
                s.gpr[Reg.RCX] = 1;
                expected = !ref.svme ? Outcome.UD : cpl > 0 ? Outcome.GP : Outcome.OK;
                break;
            case WRMSR_HSAVE:
                insn = SvmHostHarness.WRMSR;
                s.gpr[Reg.RCX] = SvmExtension.VM_HSAVE_PA;
                s.gpr[Reg.RAX] = st.operand & 0xffffffffL;
                s.gpr[Reg.RDX] = st.operand >>> 32;
                expected = cpl > 0 || badAddress ? Outcome.GP : Outcome.OK;
                break;
            default: {   // WRMSR EFER with SVME = operand, the other bits kept
                insn = SvmHostHarness.WRMSR;
                long efer = st.operand != 0 ? s.efer | Cpu.EFER_SVME : s.efer & ~Cpu.EFER_SVME;
                s.gpr[Reg.RCX] = Msr.IA32_EFER;
                s.gpr[Reg.RAX] = efer & 0xffffffffL;
                s.gpr[Reg.RDX] = efer >>> 32;
                expected = cpl > 0 ? Outcome.GP : Outcome.OK;
            }
        }
        h.prepare(insn, cpl);
        Map<String, Long> before = h.state();
        Object previousExit = h.cpu.lastVmExit();
        long flags = h.step();
        if (st.op == Op.VMRUN && h.svm.inGuest()) {
            h.runGuest(1);
        }
        Outcome actual;
        SvmExit exit = h.cpu.lastVmExit() != previousExit && h.cpu.lastVmExit() instanceof SvmExit
                ? (SvmExit) h.cpu.lastVmExit() : null;
        if (flags < 0) {
            actual = h.event.vector == 6 ? Outcome.UD : h.event.vector == 13 && h.event.error == 0 ? Outcome.GP
                    : new Outcome("exception " + h.event.vector + " error " + h.event.error, h.event.vector, h.event.error);
        } else if (h.svm.inGuest()) {
            actual = new Outcome("still in the guest at " + Long.toHexString(s.rip), -1, 0);
        } else if (st.op == Op.VMRUN && s.rip == SvmHostHarness.CODE + 3 && exit != null && exit.exitCode() == 0x81) {
            actual = Outcome.VMMCALL_EXIT;
        } else if (st.op == Op.VMRUN && s.rip == SvmHostHarness.CODE + 3 && exit != null && exit.invalid()) {
            actual = Outcome.INVALID;
        } else if (s.rip == SvmHostHarness.CODE + insn.length) {
            actual = Outcome.OK;
        } else {
            actual = new Outcome("RIP " + Long.toHexString(s.rip) + " without an event", -1, 0);
        }
        ref.last = actual.toString();
        if (!actual.equals(expected)) {
            return "outcome|model " + actual + ", reference " + expected;
        }
        // the reference's effects
        Map<String, Long> want = new TreeMap<>(before);
        boolean fault = expected == Outcome.GP || expected == Outcome.UD;
        if (!fault) {
            want.put("RIP", SvmHostHarness.CODE + insn.length);
        }
        switch (st.op) {
            case VMRUN:
                if (expected == Outcome.VMMCALL_EXIT || expected == Outcome.INVALID) {
                    ref.gif = false;
                    want.put("RIP", SvmHostHarness.CODE + 3);
                    want.put("DR7", 0x400L);
                    if (expected == Outcome.VMMCALL_EXIT) {
                        byte[] v = ref.pages.get(P1);
                        want.put("CR2", get(v, 0x640, 8));
                        want.put("DR6", get(v, 0x568, 8));
                    }
                    String e = expectExitCode(h, st.operand, expected == Outcome.VMMCALL_EXIT ? 0x81 : -1);
                    if (e != null) {
                        return e;
                    }
                }
                break;
            case VMLOAD:
                if (expected == Outcome.OK) {
                    byte[] v = ref.pages.get(st.operand);
                    for (int i = 0; i < 4; i++) {
                        int o = SEG_OFFSETS[i];
                        ref.segs[i] = new long[] {get(v, o, 2), get(v, o + 2, 2), get(v, o + 4, 4), get(v, o + 8, 8)};
                    }
                    for (int i = 0; i < MSRS.length; i++) {
                        ref.msrs[i] = get(v, MSR_OFFSETS[i], 8);
                    }
                }
                break;
            case VMSAVE:
                if (expected == Outcome.OK) {
                    byte[] v = ref.pages.get(st.operand);
                    for (int i = 0; i < 4; i++) {
                        int o = SEG_OFFSETS[i];
                        put(v, o, 2, ref.segs[i][0]);
                        put(v, o + 2, 2, ref.segs[i][1]);
                        put(v, o + 4, 4, ref.segs[i][2]);
                        put(v, o + 8, 8, ref.segs[i][3]);
                    }
                    for (int i = 0; i < MSRS.length; i++) {
                        put(v, MSR_OFFSETS[i], 8, ref.msrs[i]);
                    }
                }
                break;
            case CLGI:
            case STGI:
                if (expected == Outcome.OK) {
                    ref.gif = st.op == Op.STGI;
                }
                break;
            case WRMSR_HSAVE:
                if (expected == Outcome.OK) {
                    ref.hsave = st.operand;
                }
                break;
            case WRMSR_EFER_SVME:
                if (expected == Outcome.OK) {
                    ref.svme = st.operand != 0;
                    want.put("EFER", st.operand != 0 ? before.get("EFER") | Cpu.EFER_SVME : before.get("EFER") & ~Cpu.EFER_SVME);
                }
                break;
            default:
                break;
        }
        if (h.svm.gif() != ref.gif) {
            return "GIF|model " + h.svm.gif() + ", reference " + ref.gif;
        }
        if (((s.efer & Cpu.EFER_SVME) != 0) != ref.svme) {
            return "EFER.SVME|model " + ((s.efer & Cpu.EFER_SVME) != 0) + ", reference " + ref.svme;
        }
        if (h.svm.hsavePa() != ref.hsave) {
            return "VM_HSAVE_PA|model " + Long.toHexString(h.svm.hsavePa()) + ", reference " + Long.toHexString(ref.hsave);
        }
        String p = compareCpu(h, ref);
        if (p != null) {
            return p;
        }
        p = comparePages(h, ref, st.op == Op.VMRUN);
        if (p != null) {
            return p;
        }
        // every other register and MSR: as before (an exception's delivery moves RIP, RSP, CS, SS, RFLAGS, CPL)
        Map<String, Long> now = h.state();
        for (String k : new ArrayList<>(now.keySet())) {
            if (loadSaveKey(k) || k.equals("GIF") || k.equals("VM_HSAVE_PA")
                    || fault && (k.equals("RIP") || k.equals("GPR 4") || k.startsWith("CS.") || k.startsWith("SS.")
                    || k.equals("RFLAGS") || k.equals("CPL"))) {
                now.remove(k);
                want.remove(k);
            }
        }
        want.keySet().removeIf(SvmProtocol::loadSaveKey);
        List<String> d = SvmHostHarness.diff(want, now);
        return d.isEmpty() ? null : "state|" + d;
    }

    private static boolean loadSaveKey(String k) {
        for (String n : SEG_NAMES) {
            if (k.startsWith(n + ".")) {
                return true;
            }
        }
        for (long m : MSRS) {
            if (k.equals(String.format("MSR %x", m))) {
                return true;
            }
        }
        return false;
    }

    private static String expectExitCode(SvmHostHarness h, long vmcb, long code) {
        long got = h.bus.read(vmcb + 0x70, 8);
        return got == code ? null : "EXITCODE|the VMCB at " + Long.toHexString(vmcb) + " holds EXITCODE "
                + Long.toHexString(got) + ", expected " + Long.toHexString(code);
    }

    /** The CPU's VMLOAD/VMSAVE state against the reference's. */
    private static String compareCpu(SvmHostHarness h, Ref ref) {
        var s = h.cpu.state();
        Segment[] segs = {s.seg[Reg.FS], s.seg[Reg.GS], s.tr, s.ldtr};
        for (int i = 0; i < 4; i++) {
            long[] got = encode(segs[i]);
            for (int j = 0; j < 4; j++) {
                if (got[j] != ref.segs[i][j]) {
                    return "CPU " + SEG_NAMES[i] + "|" + SEG_NAMES[i] + " " + new String[] {"selector", "attrib", "limit", "base"}[j]
                            + " is " + Long.toHexString(got[j]) + ", reference " + Long.toHexString(ref.segs[i][j]);
                }
            }
        }
        for (int i = 0; i < MSRS.length; i++) {
            if (s.msr(MSRS[i]) != ref.msrs[i]) {
                return "CPU " + MSR_NAMES[i] + "|" + MSR_NAMES[i] + " is " + Long.toHexString(s.msr(MSRS[i]))
                        + ", reference " + Long.toHexString(ref.msrs[i]);
            }
        }
        return null;
    }

    /**
     * The pool's pages against the reference's: every byte, except after a VMRUN, which writes the VMCB's control and
     * state-save fields (compared by the round trip) but none of the VMLOAD/VMSAVE fields: those bytes are compared
     * and the rest is taken over.
     */
    private static String comparePages(SvmHostHarness h, Ref ref, boolean vmrun) {
        for (long p : PAGES) {
            byte[] want = ref.pages.get(p);
            byte[] got = new byte[4096];
            for (int i = 0; i < 4096; i += 8) {
                put(got, i, 8, h.bus.read(p + i, 8));
            }
            if (vmrun) {
                byte[] merged = got.clone();
                for (int o : SEG_OFFSETS) {
                    System.arraycopy(want, o, merged, o, 16);
                }
                for (int o : MSR_OFFSETS) {
                    System.arraycopy(want, o, merged, o, 8);
                }
                want = merged;
            }
            int i = Arrays.mismatch(want, got);
            if (i >= 0) {
                String f = dev.hvsim.vmcs.vmcb.VmcbLayout.get().fieldContaining(i)
                        .map(dev.hvsim.vmcs.vmcb.VmcbField::qualifiedName).orElse("?");
                return "memory " + f + "|page " + Long.toHexString(p) + " byte " + Integer.toHexString(i) + " (" + f
                        + ") is " + Integer.toHexString(got[i] & 0xff) + ", reference " + Integer.toHexString(want[i] & 0xff);
            }
            ref.pages.put(p, want);
        }
        return null;
    }

    private static void readCpu(SvmHostHarness h, Ref ref) {
        var s = h.cpu.state();
        Segment[] segs = {s.seg[Reg.FS], s.seg[Reg.GS], s.tr, s.ldtr};
        for (int i = 0; i < 4; i++) {
            ref.segs[i] = encode(segs[i]);
        }
        for (int i = 0; i < MSRS.length; i++) {
            ref.msrs[i] = s.msr(MSRS[i]);
        }
    }

    /** A segment as VMSAVE stores it: selector, the VMCB's compressed attributes (Table B-2), limit, base. */
    static long[] encode(Segment sg) {
        return new long[] {sg.selector & 0xffff, (sg.attr & 0xff) | (sg.attr >>> 4 & 0xf00), sg.limit & 0xffffffffL, sg.base};
    }

    static int coreAttr(int svm) {
        return (svm & 0xff) | (svm & 0xf00) << 4;
    }

    static long canonical(SplittableRandom r) {
        long v = r.nextLong() & 0x0000ffffffffffffL;
        return (v & 1L << 47) != 0 ? v | 0xffff000000000000L : v;
    }

    /** A value for MSR {@code i} of {@link #MSRS}: canonical addresses, 32-bit SFMASK, a 16-bit SYSENTER_CS. */
    static long msrValue(int i, SplittableRandom r) {
        switch (i) {
            case 1: return r.nextLong();
            case 4: return r.nextInt() & 0xffffffffL;
            case 5: return r.nextInt(0x10000);
            default: return canonical(r);
        }
    }

    /**
     * Random VMLOAD/VMSAVE fields in a page: FS, GS, LDTR random (LDTR a present or not-present LDT type), TR the
     * harness's busy 64-bit TSS with a random selector (a CPL-3 step's #GP needs a usable TSS), the MSRs as
     * {@link #msrValue}.
     */
    static void randomLoadSaveFields(byte[] v, SplittableRandom r) {
        for (int i = 0; i < 4; i++) {
            int o = SEG_OFFSETS[i];
            boolean tr = i == 2, ldtr = i == 3;
            put(v, o, 2, tr ? SvmHostHarness.TR_SEL : r.nextInt(0x10000));
            put(v, o + 2, 2, tr ? 0x8b : ldtr ? 0x02 | r.nextInt(2) << 7 : r.nextInt(0x1000));
            put(v, o + 4, 4, tr ? 0x67 : r.nextInt() & 0xffffffffL);
            put(v, o + 8, 8, tr ? SvmHostHarness.TSS : canonical(r));
        }
        for (int i = 0; i < MSRS.length; i++) {
            put(v, MSR_OFFSETS[i], 8, msrValue(i, r));
        }
    }

    static long get(byte[] b, int off, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    static void put(byte[] b, int off, int size, long v) {
        for (int i = 0; i < size; i++) {
            b[off + i] = (byte) (v >>> 8 * i);
        }
    }
}
