package dev.hvsim.conformance.campaign;

import dev.hvsim.svm.SvmExtension;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;

/**
 * A 64-bit host of the amd-zen profile that executes the SVM instructions itself (AMD APM Vol. 2 15.4-15.6, Vol. 3
 * "VMRUN", "VMLOAD", ...): the layout of {@link VmxHarness} (flat GDT at 800H with a 64-bit TSS, IDT at 2000H whose
 * gates lead to a handler that is never run, identity paging of the first 4 GiB with user-accessible, accessed and
 * dirty 2 MiB pages at 100000H, root code at 10000H, RSP 30000H) over the same page-recording memory, with EFER.SVME set and
 * VM_HSAVE_PA = {@link #HSAVE}. {@link #exec} runs one instruction at CPL 0 or, with a DPL-3 code and stack segment,
 * at CPL 3 (the TSS gives the CPL-0 stack for the #GP that follows). One harness per run; not thread-safe.
 */
public final class SvmHostHarness {
    public static final long CODE = 0x10000, GDT = 0x800, IDT = 0x2000, HANDLER = 0x11000, TSS = 0x3000,
            PAGING = 0x100000, HSAVE = 0x400000, VMCB = 0x401000;
    public static final int CS0 = 0x18, DS0 = 0x10, CS3 = 0x2b, SS3 = 0x23, TR_SEL = 0x30;
    public static final long RSP = 0x30000, RSP0 = 0x38000;

    public final VmxHarness.Memory bus = new VmxHarness.Memory();
    public final Cpu cpu;
    public final SvmExtension svm;
    /** The first event the last {@link #exec} delivered ({@code event.vector} -1: none) and its error code. */
    public final FirstEvent event = new FirstEvent();

    public SvmHostHarness() {
        this(CpuProfile.load("amd-zen"));
    }

    public SvmHostHarness(CpuProfile profile) {
        cpu = new Cpu(profile, bus, bus);
        cpu.setListener(event);
        for (int v = 0; v < 32; v++) {   // 64-bit interrupt gates (APM Vol. 2 8.9.1), DPL 0
            bus.write(IDT + 16L * v, 8, (HANDLER & 0xffff) | (long) CS0 << 16 | 0x8eL << 40 | (HANDLER >>> 16 & 0xffff) << 48);
            bus.write(IDT + 16L * v + 8, 8, 0);
        }
        bus.write(GDT + 16, 8, 0x00cf93000000ffffL);  // 10H: data, DPL 0
        bus.write(GDT + 24, 8, 0x00af9b000000ffffL);  // 18H: 64-bit code, DPL 0
        bus.write(GDT + 32, 8, 0x00cff3000000ffffL);  // 20H: data, DPL 3
        bus.write(GDT + 40, 8, 0x00affb000000ffffL);  // 28H: 64-bit code, DPL 3
        bus.write(GDT + 48, 8, 0x00008b000000_0067L | (TSS & 0xffffff) << 16);   // 30H: busy 64-bit TSS
        bus.write(GDT + 56, 8, 0);
        bus.write(TSS + 4, 8, RSP0);                  // RSP0
        var s = cpu.state();
        s.gdtrBase = GDT;
        s.gdtrLimit = 8 * 8 - 1;
        s.idtrBase = IDT;
        s.idtrLimit = 32 * 16 - 1;
        s.tr.set(TR_SEL, TSS, 0x67, 0x8b);
        // the host's tables are pre-accessed (A, and D on the 2 MiB leaves): the host's own walks write nothing, so
        // whole-memory comparisons see only what VMRUN, the guest and #VMEXIT write
        VmxHarness.identityMap4G(bus, PAGING, 0x27, 0xe7);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(DS0, 0, 0xffffffffL, 0x93 | Segment.ATTR_G | Segment.ATTR_DB);
        }
        s.seg[Reg.CS].set(CS0, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
        s.gpr[Reg.RSP] = RSP;
        s.cr3 = PAGING;
        s.cr4 = 0x20;
        s.efer = 0x500 | 1 | Cpu.EFER_NXE | Cpu.EFER_SVME;
        s.cr0 = 0x80000011L | Cpu.CR0_NE;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.mmu().flushAll();
        svm = cpu.extension() instanceof SvmExtension ? (SvmExtension) cpu.extension() : SvmExtension.install(cpu);
        svm.writeMsr(cpu, SvmExtension.VM_HSAVE_PA, HSAVE);
    }

    /**
     * Executes one host instruction (bytes) at {@link #CODE} at CPL {@code cpl} (0 or 3); returns the RFLAGS
     * arithmetic flags afterwards, or -1 if it raised an exception ({@link #event}). A VMRUN
     * into a guest whose first instruction exits comes back to the host in the same call only if the caller runs on
     * ({@link #runGuest}).
     */
    public long exec(byte[] insn, int cpl) {
        prepare(insn, cpl);
        return step();
    }

    /** Places {@code insn} at {@link #CODE} and sets RIP, RSP, CS, SS and the CPL as {@link #exec} does. */
    public void prepare(byte[] insn, int cpl) {
        bus.load(CODE, insn);
        cpu.flushDecodeCache();
        var s = cpu.state();
        s.rip = CODE;
        s.gpr[Reg.RSP] = RSP;
        if (cpl == 3) {
            s.seg[Reg.CS].set(CS3, 0, 0xffffffffL, 0xfb | Segment.ATTR_G | Segment.ATTR_L);
            s.seg[Reg.SS].set(SS3, 0, 0xffffffffL, 0xf3 | Segment.ATTR_G | Segment.ATTR_DB);
            cpu.setCpl(3);
        } else {
            s.seg[Reg.CS].set(CS0, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
            s.seg[Reg.SS].set(DS0, 0, 0xffffffffL, 0x93 | Segment.ATTR_G | Segment.ATTR_DB);
            cpu.setCpl(0);
        }
        cpu.modeChanged();
    }

    /** Executes the prepared instruction; as {@link #exec}. */
    public long step() {
        return event.step(cpu);
    }

    /** Runs a guest entered by the last {@link #exec} for at most {@code n} instructions (until its #VMEXIT). */
    public void runGuest(int n) {
        if (svm.inGuest()) {
            cpu.run(n, Long.MAX_VALUE);
        }
    }

    static final String[] SEGMENTS = {"ES", "CS", "SS", "DS", "FS", "GS"};

    /**
     * The CPU's architectural state by name: GPRs, RIP, RFLAGS, CR0/2/3/4/8, EFER, DR6/7, CPL, ES-GS, LDTR, TR
     * (selector, base, limit, attributes), GDTR, IDTR, every MSR the CPU holds ({@code MSR c0000081}), GIF and
     * VM_HSAVE_PA. What the properties compare before and after.
     */
    public java.util.Map<String, Long> state() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        var s = cpu.state();
        for (int i = 0; i < 16; i++) {
            m.put("GPR " + i, s.gpr[i]);
        }
        m.put("RIP", s.rip);
        m.put("RFLAGS", s.rflags());
        m.put("CR0", s.cr0);
        m.put("CR2", s.cr2);
        m.put("CR3", s.cr3);
        m.put("CR4", s.cr4);
        m.put("CR8", s.cr8);
        m.put("EFER", s.efer);
        m.put("DR6", s.dr[6]);
        m.put("DR7", s.dr[7]);
        m.put("CPL", (long) cpu.cpl());
        for (int i = 0; i < 6; i++) {
            segment(m, SEGMENTS[i], s.seg[i]);
        }
        segment(m, "LDTR", s.ldtr);
        segment(m, "TR", s.tr);
        m.put("GDTR.base", s.gdtrBase);
        m.put("GDTR.limit", (long) s.gdtrLimit);
        m.put("IDTR.base", s.idtrBase);
        m.put("IDTR.limit", (long) s.idtrLimit);
        s.msr.forEachKeyValue((k, v) -> m.put(String.format("MSR %x", k), v));
        m.put("GIF", svm.gif() ? 1L : 0L);
        m.put("VM_HSAVE_PA", svm.hsavePa());
        return m;
    }

    private static void segment(java.util.Map<String, Long> m, String name, Segment sg) {
        m.put(name + ".selector", (long) sg.selector);
        m.put(name + ".base", sg.base);
        m.put(name + ".limit", sg.limit);
        m.put(name + ".attr", (long) sg.attr);
    }

    /** The entries of {@code actual} that differ from {@code expected} (missing = 0), as "NAME is X, expected Y". */
    public static java.util.List<String> diff(java.util.Map<String, Long> expected, java.util.Map<String, Long> actual) {
        java.util.Set<String> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String k : keys) {
            long e = expected.getOrDefault(k, 0L), a = actual.getOrDefault(k, 0L);
            if (e != a) {
                out.add(k + " is " + Long.toHexString(a) + ", expected " + Long.toHexString(e));
            }
        }
        return out;
    }

    /** The SVM instructions (APM Vol. 3), WRMSR, and the instruction VMRUN leaves the host at. */
    public static final byte[] VMRUN = VmxHarness.hex("0f01d8"), VMMCALL = VmxHarness.hex("0f01d9"),
            VMLOAD = VmxHarness.hex("0f01da"), VMSAVE = VmxHarness.hex("0f01db"), STGI = VmxHarness.hex("0f01dc"),
            CLGI = VmxHarness.hex("0f01dd"), INVLPGA = VmxHarness.hex("0f01df"), WRMSR = VmxHarness.hex("0f30");
}
