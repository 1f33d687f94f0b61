package dev.hvsim.x86core.exec;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.GuestMode;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.testing.TestBus;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Test support for the data-transfer, stack, branch, string and misc family tests: recording the first
 * exception an instruction raises (with the register state at that moment), CPUs in CPL 3 and
 * virtual-8086 mode, CPUs over a profile with a CPUID feature removed, and a guest mode that records
 * intercept points.
 */
final class DatactlSupport {
    static final int NONE = -1;

    private DatactlSupport() {}

    /** Records the first event delivered and a copy of the state when it was raised (RIP at the instruction). */
    static final class FaultRecorder implements ExecutionListener {
        int vector = NONE;
        int errorCode;
        CpuState at;

        @Override
        public void onEvent(Cpu cpu, int v, int code, boolean external) {
            if (vector == NONE) {
                vector = v;
                errorCode = code;
                at = cpu.state().copy();
            }
        }
    }

    /** Runs one instruction; returns the vector it raised, or {@link #NONE}. */
    static FaultRecorder stepRecording(TestCpu t) {
        return stepRecording(t.cpu);
    }

    static FaultRecorder stepRecording(Cpu cpu) {
        FaultRecorder r = new FaultRecorder();
        cpu.setListener(r);
        cpu.run(1, Long.MAX_VALUE);
        cpu.setListener(null);
        return r;
    }

    static int fault(TestCpu t) {
        return stepRecording(t).vector;
    }

    /** 32-bit protected mode, flat, paging off, CPL 3 with the user selectors. */
    static TestCpu cpl3(int iopl) {
        TestCpu t = TestCpu.protectedFlat(32);
        CpuState s = t.cpu.state();
        s.seg[Reg.CS].selector = 0x23;
        s.seg[Reg.SS].selector = 0x2b;
        s.flagsRest = (s.flagsRest & ~Flags.IOPL) | (long) iopl << 12;
        t.cpu.setCpl(3);
        t.cpu.modeChanged();
        return t;
    }

    /** Virtual-8086 mode: CS base = CODE (IP 0), data segments base 0, stack at 0xfff0; optional CR4.VME. */
    static TestCpu v86(int iopl, boolean vme) {
        TestCpu t = TestCpu.protectedFlat(32);
        CpuState s = t.cpu.state();
        s.seg[Reg.CS].set((int) (TestCpu.CODE >>> 4), TestCpu.CODE, 0xffff, 0xf3);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0, 0, 0xffff, 0xf3);
        }
        s.gpr[Reg.RSP] = 0xfff0;
        s.flagsRest = (s.flagsRest & ~Flags.IOPL) | Flags.VM | (long) iopl << 12;
        if (vme) {
            s.cr4 |= Cpu.CR4_VME;
        }
        t.cpu.modeChanged();
        return t;
    }

    /** A built-in profile with one CPUID feature bit cleared. */
    static CpuProfile without(String name, Feature f) {
        CpuProfile p = CpuProfile.load(name);
        List<CpuProfile.CpuidLeaf> leaves = new ArrayList<>();
        for (CpuProfile.CpuidLeaf l : p.cpuid()) {
            if (l.leaf() == (f.leaf & 0xffff_ffffL) && (l.subleaf() < 0 || l.subleaf() == f.subleaf)) {
                int[] r = l.regs();
                r[f.register] &= ~(1 << f.bit);
                l = new CpuProfile.CpuidLeaf(l.leafHex(), l.subleaf(), hex(r[0]), hex(r[1]), hex(r[2]), hex(r[3]));
            }
            leaves.add(l);
        }
        return new CpuProfile(p.name(), p.vendor(), p.description(), p.maxPhysAddr(), leaves, p.latency(),
                p.pageWalkReference(), p.tscPerCycle());
    }

    private static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }

    /** A real-mode CPU over a custom profile with {@code hex} at CS:0 (CS base = CODE). */
    static Cpu realWith(CpuProfile p, String hex) {
        return realWith(p, hex, 0);
    }

    static Cpu realWith(CpuProfile p, String hex, int apicId) {
        TestBus bus = new TestBus();
        Cpu cpu = new Cpu(p, bus, bus, apicId);
        CpuState s = cpu.state();
        s.seg[Reg.CS].set((int) (TestCpu.CODE >>> 4), TestCpu.CODE, 0xffff, 0x9b);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0, 0, 0xffff, 0x93);
        }
        s.gpr[Reg.RSP] = 0xfff0;
        s.cr0 = 0x10;
        cpu.modeChanged();
        bus.load(TestCpu.CODE, HexFormat.of().parseHex(hex.replace(" ", "")));
        cpu.flushDecodeCache();
        s.rip = 0;
        return cpu;
    }

    /** A 64-bit CPU (identity-mapped first 4 GiB) over a custom profile with {@code hex} at CODE. */
    static Cpu long64With(CpuProfile p, String hex) {
        TestBus bus = new TestBus();
        Cpu cpu = new Cpu(p, bus, bus);
        long paging = TestCpu.PAGING;
        bus.write(paging, 8, (paging + 0x1000) | 7);
        for (int i = 0; i < 4; i++) {
            long pd = paging + 0x2000 + i * 0x1000L;
            bus.write(paging + 0x1000 + i * 8, 8, pd | 7);
            for (int j = 0; j < 512; j++) {
                bus.write(pd + j * 8, 8, ((long) i << 30) + ((long) j << 21) | 0x87);
            }
        }
        CpuState s = cpu.state();
        s.cr3 = paging;
        s.cr4 = 0x20;
        s.efer = 0x501;
        s.cr0 = 0x80000011L;
        s.seg[Reg.CS].set(0x18, 0, 0xffffffffL, 0x9b | dev.hvsim.x86core.Segment.ATTR_G | dev.hvsim.x86core.Segment.ATTR_L);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0x10, 0, 0xffffffffL, 0x93 | dev.hvsim.x86core.Segment.ATTR_G | dev.hvsim.x86core.Segment.ATTR_DB);
        }
        s.gpr[Reg.RSP] = TestCpu.STACK;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.mmu().flushAll();
        bus.load(TestCpu.CODE, HexFormat.of().parseHex(hex.replace(" ", "")));
        cpu.flushDecodeCache();
        s.rip = TestCpu.CODE;
        return cpu;
    }

    /** A guest mode that records every instruction intercept point it is asked about (and never exits). */
    static final class InterceptLog implements GuestMode {
        final List<InterceptPoint> points = new ArrayList<>();

        @Override
        public boolean active() {
            return true;
        }

        @Override
        public void interceptInstruction(InterceptPoint point, DecodedInsn insn, Cpu cpu) {
            points.add(point);
        }
    }

    // ------------------------------------------------------------------ table-driven scenarios

    /**
     * Runs one table row: builds a CPU in {@code mode} ("r16" real, "p16"/"p32" protected flat, "l64"
     * 64-bit; suffix ":amd" for the amd-zen profile), loads {@code hex}, applies {@code setup}, runs
     * {@code steps} instructions and checks {@code expect}.
     *
     * <p>Tokens (space-separated): {@code rax=0x12} (any GPR, full 64-bit value), {@code [0x20000]4=0x12}
     * (physical memory, size in bytes), {@code cf=1} / {@code zf=0} / {@code df=1} ... (flags),
     * {@code rip=+3} (RIP relative to the start, for expectations; or absolute), and in expectations
     * {@code #UD}, {@code #GP(0)}, {@code #SS(0)}, {@code #PF}: the first instruction raises that
     * exception and the other expectations are checked against the state at the fault.
     */
    static void scenario(String mode, String hex, String setup, String expect, int steps) {
        TestCpu t = cpuFor(mode);
        t.code(hex);
        long start = t.cpu.state().rip;
        apply(t, setup == null ? "" : setup);
        CpuState st;
        String fault = null;
        for (String tok : tokens(expect)) {
            if (tok.startsWith("#")) {
                fault = tok;
            }
        }
        if (fault != null) {
            FaultRecorder r = new FaultRecorder();
            t.cpu.setListener(r);
            t.cpu.run(steps, Long.MAX_VALUE);
            String got = r.vector == NONE ? "no fault" : vectorName(r);
            if (!fault.contains("(")) {
                got = got.replaceAll("\\(.*", "");
            }
            org.assertj.core.api.Assertions.assertThat(got).as("fault of %s", hex).isEqualTo(fault);
            st = r.at;
        } else {
            FaultRecorder r = new FaultRecorder();
            t.cpu.setListener(r);
            t.cpu.run(steps, Long.MAX_VALUE);
            org.assertj.core.api.Assertions.assertThat(r.vector).as("unexpected fault %s of %s",
                    r.vector == NONE ? "" : vectorName(r), hex).isEqualTo(NONE);
            st = t.cpu.state();
        }
        for (String tok : tokens(expect)) {
            if (tok.startsWith("#")) {
                continue;
            }
            int eq = tok.indexOf('=');
            String k = tok.substring(0, eq);
            String v = tok.substring(eq + 1);
            long actual;
            long want;
            if (k.equals("rip")) {
                actual = st.rip;
                want = v.startsWith("+") ? start + num(v.substring(1)) : num(v);
            } else if (k.startsWith("[")) {
                int close = k.indexOf(']');
                actual = t.bus.read(num(k.substring(1, close)), Integer.parseInt(k.substring(close + 1)));
                want = num(v);
            } else if (flagBit(k) != 0) {
                actual = (st.rflags() & flagBit(k)) != 0 ? 1 : 0;
                want = num(v);
            } else {
                actual = st.gpr[gpr(k)];
                want = num(v);
            }
            org.assertj.core.api.Assertions.assertThat(Long.toHexString(actual)).as("%s after %s", k, hex)
                    .isEqualTo(Long.toHexString(want));
        }
    }

    private static String vectorName(FaultRecorder r) {
        String n = dev.hvsim.x86core.fault.Vectors.name(r.vector);
        return r.errorCode >= 0 ? n + "(" + Integer.toHexString(r.errorCode) + ")" : n;
    }

    static TestCpu cpuFor(String mode) {
        String profile = mode.endsWith(":amd") ? "amd-zen" : "intel-core";
        switch (mode.replace(":amd", "")) {
            case "r16": return TestCpu.real(profile);
            case "p16": return TestCpu.protectedFlat(16, profile);
            case "p32": return TestCpu.protectedFlat(32, profile);
            case "l64": return TestCpu.long64(profile);
            default: throw new IllegalArgumentException(mode);
        }
    }

    static void apply(TestCpu t, String setup) {
        CpuState s = t.cpu.state();
        for (String tok : tokens(setup)) {
            int eq = tok.indexOf('=');
            String k = tok.substring(0, eq);
            long v = num(tok.substring(eq + 1));
            if (k.startsWith("[")) {
                int close = k.indexOf(']');
                t.bus.write(num(k.substring(1, close)), Integer.parseInt(k.substring(close + 1)), v);
            } else if (flagBit(k) != 0) {
                long f = s.rflags();
                s.setRflags(v != 0 ? f | flagBit(k) : f & ~flagBit(k));
            } else {
                s.gpr[gpr(k)] = v;
            }
        }
    }

    private static String[] tokens(String s) {
        String x = s == null ? "" : s.trim();
        return x.isEmpty() ? new String[0] : x.split("\\s+");
    }

    static long num(String v) {
        boolean neg = v.startsWith("-");
        String x = neg ? v.substring(1) : v;
        long n = x.startsWith("0x") ? Long.parseUnsignedLong(x.substring(2).replace("_", ""), 16) : Long.parseLong(x);
        return neg ? -n : n;
    }

    private static int gpr(String name) {
        for (int i = 0; i < 16; i++) {
            if (Reg.GPR_NAMES[i].equalsIgnoreCase(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("register " + name);
    }

    private static long flagBit(String k) {
        switch (k) {
            case "cf": return Flags.CF;
            case "pf": return Flags.PF;
            case "af": return Flags.AF;
            case "zf": return Flags.ZF;
            case "sf": return Flags.SF;
            case "of": return Flags.OF;
            case "df": return Flags.DF;
            case "if": return Flags.IF;
            case "tf": return Flags.TF;
            default: return 0;
        }
    }
}
