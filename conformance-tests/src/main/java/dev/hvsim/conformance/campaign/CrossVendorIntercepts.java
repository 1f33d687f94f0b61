package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.GuestMode;
import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.conformance.gen.VmxCpu;
import dev.hvsim.svm.SvmExit;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmm.CrossVendorDifference;
import dev.hvsim.vmm.Difference;
import dev.hvsim.vmm.ExitKind;
import dev.hvsim.vmm.ExitKinds;
import dev.hvsim.vmm.InterceptPolicy;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The cross-vendor property of issue 9: a random vendor-neutral intercept configuration ({@link Config}: an
 * {@link InterceptPolicy} for I/O, MSRs and HLT plus the other instruction intercepts both vendors have) is turned into
 * an equivalent VMCS (SDM Vol. 3C 25.6, 26.1) and an equivalent VMCB (AMD APM Vol. 2 15.9-15.14) by the equivalence that
 * {@link CrossVendorDifference} states; a snippet of the VMX catalogue ({@link #SNIPPETS}, the same bytes on both) runs
 * with the same registers, the same page tables, CR0/CR3/CR4/EFER and RIP on both models. Both must exit on the same
 * {@link ExitKind} of the mapping table ({@link ExitKinds}) with the same operands (port, size, direction, string, REP,
 * address size and segment; MSR index; CR / DR number, direction and GPR; INVLPG / INVPCID linear address and type;
 * descriptor-table instruction; exception vector), or not exit at all on both, unless the pair is a documented
 * difference of the table ({@link CrossVendorDifference}), whose condition is then checked too.
 */
public final class CrossVendorIntercepts {
    private CrossVendorIntercepts() {}

    /** The neutral intercepts besides the policy's I/O, MSR and HLT (each maps to one control per vendor). */
    public enum Flag {
        RDTSC, RDPMC, INVLPG, PAUSE, WBINVD, MONITOR, MWAIT, DESCRIPTOR_TABLE, MOV_DR, CR3_LOAD, CR3_STORE, CR8_LOAD,
        CR8_STORE, CR0_READ, CR4_READ,
        /** RDRAND / RDSEED exiting: VMX only (no SVM intercept; {@link CrossVendorDifference#RANDOM_NUMBER_INTEL_ONLY}). */
        RANDOM,
        /** PUSHF / POPF intercepts: SVM only ({@link CrossVendorDifference#FLAGS_ACCESS_AMD_ONLY}). */
        FLAGS
    }

    /**
     * A neutral configuration: the policy (I/O: unconditional, else the port bitmap; MSRs: all, else the MSR bitmap in the
     * VMX layout: read-low 0, read-high 400H, write-low 800H, write-high C00H; HLT), the flags, and the CR0 / CR4
     * guest/host masks with their read shadows (a non-zero mask = the SVM CR write intercept).
     */
    public record Config(InterceptPolicy policy, long flags, Map<Long, Long> ports, Map<Long, Long> msrs, long cr0Mask,
            long cr0Shadow, long cr4Mask, long cr4Shadow) {
        public Config {
            ports = Map.copyOf(ports);
            msrs = Map.copyOf(msrs);
        }

        public boolean on(Flag f) {
            return (flags >>> f.ordinal() & 1) != 0;
        }
    }

    /** A random neutral configuration. */
    public static Config configure(SplittableRandom r) {
        InterceptPolicy p = new InterceptPolicy(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), true, 0, false);
        long flags = r.nextLong() & ((1L << Flag.values().length) - 1);
        Map<Long, Long> ports = p.io() ? Map.of() : SvmIntercepts.bitmap(r, 0x2000);
        Map<Long, Long> msrs = p.msr() ? Map.of() : SvmIntercepts.bitmap(r, 0x1000);
        return new Config(p, flags, ports, msrs, r.nextInt(3) == 0 ? 0 : r.nextLong() & 0x8001000eL,
                r.nextLong() & 0xffffffffL, r.nextInt(3) == 0 ? 0 : r.nextLong() & 0x210cL, r.nextLong() & 0xffffffffL);
    }

    /** The VMX side: the long-mode base with the controls of the configuration (RDTSCP and INVPCID enabled, as the VMM does). */
    static VmxCase vmx(VmxCpu cpu, Config k) {
        VmxCase c = VmxCase.ofBase(cpu, GuestMode.LONG_64);
        long proc = c.get(VmxIntercepts.PROC) & ~(1L << 7 | 1L << 24 | 1L << 21);
        proc |= (k.policy().hlt() ? 1L << 7 : 0) | (k.policy().io() ? 1L << 24 : 1L << 25)
                | (k.policy().msr() ? 0 : 1L << 28);
        int[][] map = {{Flag.RDTSC.ordinal(), 12}, {Flag.RDPMC.ordinal(), 11}, {Flag.INVLPG.ordinal(), 9},
            {Flag.PAUSE.ordinal(), 30}, {Flag.MONITOR.ordinal(), 29}, {Flag.MWAIT.ordinal(), 10},
            {Flag.MOV_DR.ordinal(), 23}, {Flag.CR3_LOAD.ordinal(), 15}, {Flag.CR3_STORE.ordinal(), 16},
            {Flag.CR8_LOAD.ordinal(), 19}, {Flag.CR8_STORE.ordinal(), 20}};
        for (int[] m : map) {
            if ((k.flags() >>> m[0] & 1) != 0) {
                proc |= 1L << m[1];
            }
        }
        long proc2 = 0;
        for (int bit : new int[] {3, 12}) {     // enable RDTSCP, enable INVPCID
            if (cpu.caps().controls(ControlWord.SECONDARY_PROC).allowed1(bit)) {
                proc2 |= 1L << bit;
            }
        }
        proc2 |= (k.on(Flag.WBINVD) ? 1L << 6 : 0) | (k.on(Flag.DESCRIPTOR_TABLE) ? 1L << 2 : 0)
                | (k.on(Flag.RANDOM) ? 1L << 11 | 1L << 16 : 0);
        proc |= 1L << 31;
        c = c.with(VmxIntercepts.PROC, proc).with(VmxIntercepts.PROC2, proc2).with("CR3_TARGET_COUNT", 0)
                .with("CR0_GUEST_HOST_MASK", k.cr0Mask()).with("CR0_READ_SHADOW", k.cr0Shadow())
                .with("CR4_GUEST_HOST_MASK", k.cr4Mask()).with("CR4_READ_SHADOW", k.cr4Shadow())
                .with("EXCEPTION_BITMAP", 1L << 6 | 1L << 13);
        Map<Long, Long> mem = new TreeMap<>(c.memory());
        if (!k.policy().io()) {
            c = c.with("IO_BITMAP_A", VmxIntercepts.IO_A).with("IO_BITMAP_B", VmxIntercepts.IO_B);
            for (long a = 0; a < 0x2000; a += 8) {
                mem.put((a < 0x1000 ? VmxIntercepts.IO_A : VmxIntercepts.IO_B - 0x1000) + a, k.ports().getOrDefault(a, 0L));
            }
        }
        if (!k.policy().msr()) {
            c = c.with("MSR_BITMAP", VmxIntercepts.MSR_BITMAP);
            for (long a = 0; a < 0x1000; a += 8) {
                mem.put(VmxIntercepts.MSR_BITMAP + a, k.msrs().getOrDefault(a, 0L));
            }
        }
        return c.withMemory(mem);
    }

    /** The SVM side: intercept words, PAUSE filter count 0, IOPM and MSRPM of the configuration. */
    static SvmIntercepts.Config svm(Config k) {
        long cr = 0;
        cr |= (k.cr0Mask() != 0 ? 1L << 16 : 0) | (k.cr4Mask() != 0 ? 1L << 20 : 0);
        cr |= (k.on(Flag.CR3_LOAD) ? 1L << 19 : 0) | (k.on(Flag.CR3_STORE) ? 1L << 3 : 0);
        cr |= (k.on(Flag.CR8_LOAD) ? 1L << 24 : 0) | (k.on(Flag.CR8_STORE) ? 1L << 8 : 0);
        cr |= (k.on(Flag.CR0_READ) ? 1L : 0) | (k.on(Flag.CR4_READ) ? 1L << 4 : 0);
        long dr = k.on(Flag.MOV_DR) ? 0x00ff00ffL : 0;
        long misc1 = 1L << 18 | 1L << 22 | 1L << 27 | 1L << 28;    // CPUID, INVD (unconditional on VMX), IOIO, MSR
        misc1 |= (k.policy().hlt() ? 1L << 24 : 0) | (k.on(Flag.RDTSC) ? 1L << 14 : 0) | (k.on(Flag.RDPMC) ? 1L << 15 : 0)
                | (k.on(Flag.INVLPG) ? 1L << 25 : 0) | (k.on(Flag.PAUSE) ? 1L << 23 : 0)
                | (k.on(Flag.DESCRIPTOR_TABLE) ? 0xffL << 6 : 0) | (k.on(Flag.FLAGS) ? 3L << 16 : 0);
        long misc2 = 1L | 1L << 1 | 1L << 13;                      // VMRUN, VMMCALL, XSETBV (unconditional on VMX)
        misc2 |= (k.on(Flag.RDTSC) ? 1L << 7 : 0) | (k.on(Flag.WBINVD) ? 1L << 9 : 0) | (k.on(Flag.MONITOR) ? 1L << 10 : 0)
                | (k.on(Flag.MWAIT) ? 1L << 11 : 0);
        long misc3 = k.on(Flag.INVLPG) ? 1L << 2 : 0;
        Map<Long, Long> iopm = new TreeMap<>();
        for (long a = 0; a < 0x3000; a += 8) {
            long q = k.policy().io() || a >= 0x2000 ? -1L : k.ports().getOrDefault(a, 0L);
            if (q != 0) {
                iopm.put(a, q);
            }
        }
        Map<Long, Long> msrpm = new TreeMap<>();
        if (k.policy().msr()) {
            for (long a = 0; a < 0x2000; a += 8) {
                msrpm.put(a, -1L);
            }
        } else {
            for (long range = 0; range < 2; range++) {               // VMX low / high halves -> MSRPM 0 / 800H
                for (long i = 0; i < 0x2000; i++) {
                    long rd = SvmIntercepts.Config.bit(k.msrs(), range * 0x400 * 8 + i);
                    long wr = SvmIntercepts.Config.bit(k.msrs(), (0x800 + range * 0x400) * 8 + i);
                    long bit = range * 0x800 * 8 + 2 * i;
                    if ((rd | wr) != 0) {
                        msrpm.merge(bit >>> 6 << 3, rd << (bit & 63) | wr << ((bit + 1) & 63), (x, y) -> x | y);
                    }
                }
            }
            for (long a = 0x1000; a < 0x1800; a += 8) {             // C001_0000H-C001_1FFFH: VMX always exits
                msrpm.put(a, -1L);
            }
        }
        return new SvmIntercepts.Config(cr, dr, misc1, misc2, misc3, 0, iopm, msrpm);
    }

    /** The snippets both vendors run (rows of {@link VmxIntercepts#CATALOGUE}). */
    public static final List<String> SNIPPETS = List.of("CPUID", "INVD", "HLT", "INVLPG [RAX]", "RDTSC", "RDPMC",
            "PAUSE", "WBINVD", "IN AL, imm8", "OUT imm8, EAX", "IN AX, DX", "OUT DX, AL", "RDMSR", "WRMSR",
            "MOV CR0, RAX", "MOV CR4, RBX", "MOV CR3, RSI", "MOV RDI, CR3", "MOV CR8, R9", "MOV R10, CR8",
            "MOV RDX, DR7", "MOV DR7, RBP", "MOV DR0, RAX", "REP OUTSB (FS)", "INSW", "CLTS", "LMSW DX", "MOV RAX, CR0",
            "MOV RCX, CR4", "MONITOR", "MWAIT", "MONITOR; MWAIT", "XSETBV", "INVPCID RCX, [RAX-40]", "RDTSCP", "RDRAND EAX", "RDSEED RBX",
            "PUSHF", "POPF", "SGDT [RAX-40]", "SIDT [RAX+disp32]", "LGDT [RAX-40]", "LIDT [RAX-40]", "SLDT AX", "STR ECX", "LLDT AX",
            "LTR DX");

    static VmxIntercepts.Snippet row(String name) {
        return VmxIntercepts.CATALOGUE.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /** One cross-vendor case: the neutral configuration and the VMX trial (bytes, registers, placed guest). */
    public record Trial(Config config, VmxIntercepts.Trial vmx) {}

    /** What the two models did, as neutral observations, and the problem (null if the property held). */
    public record Result(String intel, String amd, String problem, CrossVendorDifference documented) {}

    public static Trial generate(SplittableRandom r, String snippet) {
        VmxCpu cpu = VmxCpu.intelCore();
        Config k = configure(r);
        return new Trial(k, VmxIntercepts.generate(cpu, r, row(snippet), vmx(cpu, k), false));
    }

    /** Runs one random case; null when the property held, else what differs. */
    public static String check(SplittableRandom r, String snippet, Map<String, Integer> seen) {
        Result res = run(generate(r, snippet));
        if (seen != null) {
            seen.merge(snippet + (res.intel().equals("none") ? " runs" : " exits"), 1, Integer::sum);
            if (res.documented() != null) {
                seen.merge(res.documented().name(), 1, Integer::sum);
            }
        }
        return res.problem();
    }

    /** Runs both sides of a trial; the configuration is re-derived from the neutral one (shrinking changes it). */
    public static Result run(Trial t) {
        VmxIntercepts.Trial vt = effective(t);
        VmxIntercepts.Result vr = VmxIntercepts.run(vt);
        if (vr.problem() != null) {
            return new Result("?", "?", "VMX side: " + vr.problem(), null);
        }
        VmxIntercepts.Raw x = vr.raw();
        int len = vt.insn().length;
        String intel = intel(x, len);
        long[] gpr = x.gpr().clone();
        if (vt.snippet().startsWith("MOV CR4")) {
            gpr[Reg.RBX] &= ~(1L << 13);     // the VMX guest's CR4 has VMXE, which is reserved on AMD (APM Vol. 2 3.1.3)
        }
        SvmRun s = runSvm(vt.c(), svm(t.config()), gpr, vt.insn(), VmxIntercepts.instructions(vt.snippet()));
        if (s.problem() != null) {
            return new Result(intel, "?", "SVM side: " + s.problem(), null);
        }
        String amd = s.observation();
        if (intel.equals(amd)) {
            return new Result(intel, amd, null, null);
        }
        CrossVendorDifference d = documented(t, vr, intel, amd);
        if (d != null) {
            return new Result(intel, amd, null, d);
        }
        return new Result(intel, amd, vt.snippet() + ": Intel " + intel + ", AMD " + amd, null);
    }

    /** The VMX trial with the controls of the (possibly shrunk) neutral configuration over the placed guest. */
    static VmxIntercepts.Trial effective(Trial t) {
        VmxCpu cpu = VmxCpu.intelCore();
        VmxCase placed = t.vmx().c();
        // the VMX side: the configuration's controls over the placed guest (the image's memory and fields stay)
        VmxCase fresh = vmx(cpu, t.config());
        Map<dev.hvsim.vmcs.VmcsField, Long> f = new java.util.LinkedHashMap<>(placed.fields());
        for (String name : new String[] {VmxIntercepts.PROC, VmxIntercepts.PROC2, "CR0_GUEST_HOST_MASK", "CR0_READ_SHADOW",
            "CR4_GUEST_HOST_MASK", "CR4_READ_SHADOW", "IO_BITMAP_A", "IO_BITMAP_B", "MSR_BITMAP"}) {
            f.put(VmxCase.field(name), fresh.get(name));
        }
        Map<Long, Long> mem = new TreeMap<>(placed.memory());
        mem.putAll(fresh.memory());
        VmxCase c = placed.withFields(f).withMemory(mem);
        return new VmxIntercepts.Trial(t.vmx().snippet(), c, t.vmx().gpr(), t.vmx().insn(), t.vmx().code());
    }

    /**
     * Which documented difference covers a pair that differs, with its condition: CR0/CR4 writes that VMX's shadow
     * rule lets through (the VMX expectation says no exit and the mask is not zero), CR0/CR4 reads and SMSW (no VMX
     * exiting), RDRAND/RDSEED (no SVM intercept).
     */
    static CrossVendorDifference documented(Trial t, VmxIntercepts.Result vr, String intel, String amd) {
        if (intel.equals("none") && amd.startsWith("CR_ACCESS")) {
            int cr = amd.contains("cr=4") ? 4 : amd.contains("cr=0") ? 0 : -1;
            long mask = cr == 0 ? t.config().cr0Mask() : cr == 4 ? t.config().cr4Mask() : 0;
            if (amd.contains("write") && mask != 0 && vr.expect().reason() < 0) {
                return check(CrossVendorDifference.CR0_CR4_WRITE_SHADOW, ExitKind.CR_ACCESS, Difference.ONLY_AMD);
            }
            if (amd.contains("read") && cr >= 0 && (cr == 0 ? t.config().on(Flag.CR0_READ) : t.config().on(Flag.CR4_READ))) {
                return check(CrossVendorDifference.CR0_CR4_READ, ExitKind.CR_ACCESS, Difference.ONLY_AMD);
            }
        }
        if (intel.equals("none") && amd.startsWith("FLAGS_ACCESS") && t.config().on(Flag.FLAGS)) {
            return check(CrossVendorDifference.FLAGS_ACCESS_AMD_ONLY, ExitKind.FLAGS_ACCESS, Difference.ONLY_AMD);
        }
        if (amd.equals("none") && intel.startsWith("RANDOM_NUMBER") && t.config().on(Flag.RANDOM)) {
            return check(CrossVendorDifference.RANDOM_NUMBER_INTEL_ONLY, ExitKind.RANDOM_NUMBER, Difference.ONLY_INTEL);
        }
        return null;
    }

    static CrossVendorDifference check(CrossVendorDifference d, ExitKind k, Difference cat) {
        return CrossVendorDifference.of(k, cat).contains(d) ? d : null;
    }

    static final String[] DT = {"SGDT", "SIDT", "LGDT", "LIDT", "SLDT", "STR", "LLDT", "LTR"};

    /** The neutral observation of a VMX exit. */
    static String intel(VmxIntercepts.Raw x, int len) {
        if (x.nonRoot()) {
            return "halted";
        }
        if (x.reason() == 18 && x.ripOffset() == len) {
            return "none";
        }
        ExitKind kind = ExitKinds.vmx((int) x.reason(), x.intrInfo());
        long q = x.qualification();
        String ops;
        switch (kind == null ? ExitKind.INTEL_OTHER : kind) {
            case IO: {
                boolean string = (q & 16) != 0, in = (q & 8) != 0;
                int asize = string ? 2 << (x.info() >>> 7 & 7) : 0;
                int seg = string ? in ? Reg.ES : (int) (x.info() >>> 15 & 7) : -1;
                ops = io((int) (q >>> 16), (int) (q & 7) + 1, in, string, (q & 32) != 0, asize, seg);
                break;
            }
            case MSR_READ: case MSR_WRITE: ops = "msr=" + Long.toHexString(x.rcx()); break;
            case CR_ACCESS: {
                int type = (int) (q >>> 4 & 3);
                ops = cr((int) (q & 15), type != 1, type <= 1 ? (int) (q >>> 8 & 15) : -1);
                break;
            }
            case DR_ACCESS: ops = "dr=" + (q & 7) + ((q & 16) != 0 ? " read" : " write") + " gpr=" + (q >>> 8 & 15); break;
            case INVLPG: ops = "address=" + Long.toHexString(q); break;
            case INVPCID: {   // 28.2.5 INVEPT/INVPCID/INVVPID format: base 26:23 (27 invalid), index 21:18 (22), scale 1:0
                long base = (x.info() >>> 27 & 1) != 0 ? 0 : x.gpr()[(int) (x.info() >>> 23 & 15)];
                long index = (x.info() >>> 22 & 1) != 0 ? 0 : x.gpr()[(int) (x.info() >>> 18 & 15)] << (x.info() & 3);
                ops = "address=" + Long.toHexString(base + index + q) + " type=" + x.gpr()[(int) (x.info() >>> 28 & 15)];
                break;
            }
            case DESCRIPTOR_TABLE: ops = DT[(int) ((x.reason() == 47 ? 4 : 0) + (x.info() >>> 28 & 3))]; break;
            case EXCEPTION: ops = "vector=" + (x.intrInfo() & 0xff); break;
            default: ops = "";
        }
        return kind + (ops.isEmpty() ? "" : " " + ops) + " at +" + x.ripOffset();
    }

    static String io(int port, int size, boolean in, boolean string, boolean rep, int asize, int seg) {
        return String.format("port=%x size=%d %s%s%s", port, size, in ? "in" : "out",
                string ? " string asize=" + asize + " seg=" + seg : "", rep ? " rep" : "");
    }

    static String cr(int cr, boolean write, int gpr) {
        return "cr=" + cr + (write ? " write" : " read") + (gpr >= 0 ? " gpr=" + gpr : "");
    }

    /** What the SVM side did. */
    record SvmRun(String observation, String problem) {}

    /**
     * Runs the snippet on amd-zen with the VMX guest's page tables and memory (guest-physical = physical on both),
     * CR0 / CR3 / CR4 / EFER, FS base, RIP and registers.
     */
    static SvmRun runSvm(VmxCase c, SvmIntercepts.Config k, long[] gpr, byte[] insn, int instructions) {
        SvmHarness h = new SvmHarness(CpuProfile.load("amd-zen"));
        h.root.writeOffset(SvmIntercepts.CR, 4, k.cr());
        h.root.writeOffset(SvmIntercepts.DR, 4, k.dr());
        h.root.writeOffset(SvmIntercepts.MISC1, 4, k.misc1());
        h.root.writeOffset(SvmIntercepts.MISC2, 4, k.misc2());
        h.root.writeOffset(SvmIntercepts.MISC3, 4, k.misc3());
        h.root.writeOffset(SvmIntercepts.PAUSE_COUNT, 2, 0);
        h.root.writeOffset(0x008, 4, 1L << 6 | 1L << 13);            // #UD, #GP: the VMX exception bitmap
        k.iopm().forEach((a, q) -> h.bus.write(SvmHarness.IOPM + a, 8, q));
        k.msrpm().forEach((a, q) -> h.bus.write(SvmHarness.MSRPM + a, 8, q));
        c.memory().forEach((a, q) -> h.bus.write(a, 8, q));
        h.root.write("save.CR0", c.get("GUEST_CR0"));
        h.root.write("save.CR3", c.get("GUEST_CR3"));
        h.root.write("save.CR4", c.get("GUEST_CR4") & ~(1L << 13));  // CR4.VMXE: VMX operation only
        // the VMX guest's EFER: loaded at entry, or the host's SCE / NXE with LME = LMA = "IA-32e mode guest" (SDM
        // Vol. 3C 27.3.2 / 28.3.2.1)
        boolean loadEfer = (c.get("VM_ENTRY_CONTROLS") & 1L << 15) != 0, ia32e = (c.get("VM_ENTRY_CONTROLS") & 1L << 9) != 0;
        long efer = loadEfer ? c.get("GUEST_IA32_EFER") : 0x801 | (ia32e ? 0x500 : 0);
        h.root.write("save.EFER", efer | 1L << 12);
        h.root.write("save.FS.base", c.get("GUEST_FS_BASE"));
        h.root.write("save.RSP", c.get("GUEST_RSP"));
        long rip = c.get("GUEST_RIP");
        h.root.setGuestRip(rip);
        for (int i = 0; i < 16; i++) {
            if (i != Reg.RSP) {
                h.root.setGpr(i, gpr[i]);
            }
        }
        SvmExit invalid = h.root.vmrun();
        if (invalid != null) {
            return new SvmRun(null, "VMRUN failed " + invalid.violations());
        }
        // the VMX image ends the snippet with VMCALL (#UD on AMD): VMMCALL in its place, found through the guest's
        // own page tables
        long end = rip + insn.length, pa = h.cpu.mmu().probe(end & ~0xfffL);
        if (pa < 0 || (end & 0xfff) > 0x1000 - 3) {
            return new SvmRun(null, "the code page is not mapped in the guest");
        }
        h.bus.load(pa + (end & 0xfff), SvmIntercepts.VMMCALL);
        h.cpu.flushDecodeCache();
        h.cpu.run(instructions + 1, Long.MAX_VALUE);
        if (h.root.extension().inGuest()) {
            return h.cpu.state().rip == rip + 1 ? new SvmRun("halted", null)
                    : new SvmRun(null, "still in the guest at +" + (h.cpu.state().rip - rip));
        }
        long code = h.root.readOffset(SvmIntercepts.EXITCODE, 8), i1 = h.root.readOffset(SvmIntercepts.EXITINFO1, 8),
                i2 = h.root.readOffset(SvmIntercepts.EXITINFO2, 8);
        long off = h.root.guestRip() - rip;
        if (code == SvmIntercepts.VMMCALL_CODE && off == insn.length) {
            return new SvmRun("none", null);
        }
        ExitKind kind = ExitKinds.svm(code, i1);
        String ops;
        switch (kind == null ? ExitKind.AMD_OTHER : kind) {
            case IO: {
                var io = new dev.hvsim.svm.ExitInfo.Io(i1);
                ops = io(io.port(), io.size(), io.in(), io.string(), io.rep(), io.string() ? io.addressSize() : 0,
                        io.string() ? io.segment() : -1);
                break;
            }
            case MSR_READ: case MSR_WRITE: ops = "msr=" + Long.toHexString(h.cpu.state().gpr[Reg.RCX]); break;
            case CR_ACCESS: ops = cr(code == 0x65 ? 0 : (int) (code & 15), code >= 0x10, i1 < 0 ? (int) (i1 & 15) : -1); break;
            case DR_ACCESS: ops = "dr=" + (code & 15) + (code < 0x30 ? " read" : " write") + " gpr=" + (i1 & 15); break;
            case INVLPG: ops = "address=" + Long.toHexString(i1); break;
            case INVPCID: ops = "address=" + Long.toHexString(i1) + " type=" + i2; break;
            case DESCRIPTOR_TABLE: ops = new String[] {"SIDT", "SGDT", "SLDT", "STR", "LIDT", "LGDT", "LLDT", "LTR"}[(int) code - 0x66]; break;
            case EXCEPTION: ops = "vector=" + (code - 0x40); break;
            default: ops = "";
        }
        return new SvmRun(kind + (ops.isEmpty() ? "" : " " + ops) + " at +" + off, null);
    }

    /**
     * Shrinks a failing case to the smallest neutral configuration that still fails with the same problem kind:
     * flags cleared one at a time, the CR masks to 0, the policy's I/O / MSR / HLT to false, the port and MSR bitmaps
     * in halves down to single qwords.
     */
    public static Trial shrink(Trial t) {
        String sig = signature(run(t).problem());
        if (sig == null) {
            return t;
        }
        java.util.function.Predicate<Trial> fails = c -> sig.equals(signature(run(c).problem()));
        boolean progress = true;
        while (progress) {
            progress = false;
            Config k = t.config();
            List<Config> simpler = new java.util.ArrayList<>();
            for (Flag f : Flag.values()) {
                if (k.on(f)) {
                    simpler.add(new Config(k.policy(), k.flags() & ~(1L << f.ordinal()), k.ports(), k.msrs(), k.cr0Mask(),
                            k.cr0Shadow(), k.cr4Mask(), k.cr4Shadow()));
                }
            }
            if (k.cr0Mask() != 0) {
                simpler.add(new Config(k.policy(), k.flags(), k.ports(), k.msrs(), 0, k.cr0Shadow(), k.cr4Mask(), k.cr4Shadow()));
            }
            if (k.cr4Mask() != 0) {
                simpler.add(new Config(k.policy(), k.flags(), k.ports(), k.msrs(), k.cr0Mask(), k.cr0Shadow(), 0, k.cr4Shadow()));
            }
            InterceptPolicy p = k.policy();
            if (p.hlt()) {
                simpler.add(new Config(new InterceptPolicy(p.io(), p.msr(), false, true, 0, false), k.flags(), k.ports(),
                        k.msrs(), k.cr0Mask(), k.cr0Shadow(), k.cr4Mask(), k.cr4Shadow()));
            }
            for (Config c : simpler) {
                Trial tc = new Trial(c, t.vmx());
                if (fails.test(tc)) {
                    t = tc;
                    progress = true;
                    break;
                }
            }
            Trial a = t;
            t = Shrinking.removeKeys(t, t.config().ports(), (x, m) -> new Trial(new Config(x.config().policy(),
                    x.config().flags(), m, x.config().msrs(), x.config().cr0Mask(), x.config().cr0Shadow(),
                    x.config().cr4Mask(), x.config().cr4Shadow()), x.vmx()), fails);
            t = Shrinking.removeKeys(t, t.config().msrs(), (x, m) -> new Trial(new Config(x.config().policy(),
                    x.config().flags(), x.config().ports(), m, x.config().cr0Mask(), x.config().cr0Shadow(),
                    x.config().cr4Mask(), x.config().cr4Shadow()), x.vmx()), fails);
            progress |= a != t;
        }
        return t;
    }

    static String signature(String problem) {
        if (problem == null) {
            return null;
        }
        int i = problem.indexOf(',');
        return i < 0 ? problem : problem.substring(0, i);
    }

    /** The reproduction file of a case (Jackson): the neutral configuration and the VMX trial, with the problem. */
    public static com.fasterxml.jackson.databind.node.ObjectNode repro(Trial t) {
        var m = new com.fasterxml.jackson.databind.ObjectMapper();
        var n = m.createObjectNode();
        n.put("property", "cross-vendor-intercepts");
        Config k = t.config();
        var p = n.putObject("policy");
        p.put("io", k.policy().io());
        p.put("msr", k.policy().msr());
        p.put("hlt", k.policy().hlt());
        var fl = n.putArray("flags");
        for (Flag f : Flag.values()) {
            if (k.on(f)) {
                fl.add(f.name());
            }
        }
        n.put("cr0_mask", Repro.hex(k.cr0Mask()));
        n.put("cr0_shadow", Repro.hex(k.cr0Shadow()));
        n.put("cr4_mask", Repro.hex(k.cr4Mask()));
        n.put("cr4_shadow", Repro.hex(k.cr4Shadow()));
        SvmIntercepts.bitmapJson(n.putObject("ports"), k.ports());
        SvmIntercepts.bitmapJson(n.putObject("msrs"), k.msrs());
        n.set("vmx", VmxIntercepts.repro(effective(t), null));
        Result r = run(t);
        n.put("intel", r.intel());
        n.put("amd", r.amd());
        if (r.problem() != null) {
            n.put("problem", r.problem());
        }
        return n;
    }

    public static String reproText(Trial t) {
        return Repro.text(repro(t));
    }

    /** The case a reproduction file describes. */
    public static Trial fromRepro(com.fasterxml.jackson.databind.JsonNode n) {
        com.fasterxml.jackson.databind.JsonNode p = n.get("policy");
        long flags = 0;
        for (com.fasterxml.jackson.databind.JsonNode f : n.get("flags")) {
            flags |= 1L << Flag.valueOf(f.asText()).ordinal();
        }
        Config k = new Config(new InterceptPolicy(p.get("io").asBoolean(), p.get("msr").asBoolean(),
                p.get("hlt").asBoolean(), true, 0, false), flags, SvmIntercepts.bitmapFrom(n.get("ports")),
                SvmIntercepts.bitmapFrom(n.get("msrs")), SvmIntercepts.parse(n.get("cr0_mask").asText()),
                SvmIntercepts.parse(n.get("cr0_shadow").asText()), SvmIntercepts.parse(n.get("cr4_mask").asText()),
                SvmIntercepts.parse(n.get("cr4_shadow").asText()));
        return new Trial(k, VmxIntercepts.fromRepro(n.get("vmx")));
    }
}
