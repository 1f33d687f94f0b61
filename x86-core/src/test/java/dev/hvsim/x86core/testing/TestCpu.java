package dev.hvsim.x86core.testing;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.ExecutionListener;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.StopReason;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds a CPU in a chosen mode over a {@link TestBus}, loads instruction bytes and runs them. Used by
 * the per-form tests ("bytes plus a disassembly comment") of every family.
 *
 * <p>Layouts: code at {@link #CODE}, data at {@link #DATA}, stack top at {@link #STACK}. In 64-bit and
 * 32-bit protected modes a flat GDT is at {@link #GDT}; 64-bit mode identity-maps the first 4 GiB with
 * 2 MiB pages built at {@link #PAGING}.
 */
public final class TestCpu {
    public static final long CODE = 0x10000, DATA = 0x20000, STACK = 0x30000, GDT = 0x800, IDT = 0x1000,
            PAGING = 0x100000;
    public static final long TSS = 0x3000;
    public final TestBus bus = new TestBus();
    public final Cpu cpu;
    /** Every event delivered, as {vector, error code or -1}, in order (recorded by a listener). */
    public final List<int[]> events = new ArrayList<>();

    private TestCpu(String profile) {
        this(CpuProfile.load(profile));
    }

    private TestCpu(CpuProfile profile) {
        cpu = new Cpu(profile, bus, bus);
        cpu.setListener(new ExecutionListener() {
            @Override
            public boolean observesInstructions() {
                return false;
            }

            @Override
            public void onEvent(Cpu c, int vector, int errorCode, boolean external) {
                events.add(new int[] {vector, errorCode});
            }
        });
    }

    // ------------------------------------------------------------------ descriptors, IDT, TSS

    /** A code/data/system descriptor: {@code access} is the access byte (P, DPL, S, type), {@code flags} G/DB/L/AVL (bits 3:0). */
    public static long desc(long base, long limit, int access, int flags) {
        return (limit & 0xffff) | (base & 0xffffff) << 16 | (long) (access & 0xff) << 40
                | ((limit >>> 16) & 0xf) << 48 | (long) (flags & 0xf) << 52 | ((base >>> 24) & 0xff) << 56;
    }

    /** Writes GDT entry {@code index} (8 bytes) and grows the GDT limit to cover it. */
    public TestCpu gdt(int index, long descriptor) {
        bus.write(GDT + 8L * index, 8, descriptor);
        var s = cpu.state();
        s.gdtrBase = GDT;
        s.gdtrLimit = Math.max(s.gdtrLimit, 8 * index + 7);
        return this;
    }

    /** Writes a 16-byte system descriptor (IA-32e LDT/TSS/call gate) at GDT entries index, index+1. */
    public TestCpu gdt16(int index, long low, long high) {
        gdt(index, low);
        return gdt(index + 1, high);
    }

    /** A legacy gate (interrupt 0xE, trap 0xF, 16-bit 6/7, call gate 0xC/4): selector:offset, DPL, present. */
    public static long gate(int selector, long offset, int type, int dpl, int paramCount) {
        return (offset & 0xffff) | (long) (selector & 0xffff) << 16 | (long) (paramCount & 0x1f) << 32
                | (long) (0x80 | dpl << 5 | type) << 40 | ((offset >>> 16) & 0xffff) << 48;
    }

    /** A protected-mode IDT (8-byte gates) at {@link #IDT}: sets IDTR to cover 256 vectors. */
    public TestCpu idt32(int vector, int selector, long offset, int type, int dpl) {
        bus.write(IDT + 8L * vector, 8, gate(selector, offset, type, dpl, 0));
        cpu.state().idtrBase = IDT;
        cpu.state().idtrLimit = 256 * 8 - 1;
        return this;
    }

    /** An IA-32e IDT (16-byte gates) at {@link #IDT}. */
    public TestCpu idt64(int vector, int selector, long offset, int type, int dpl, int ist) {
        long lo = gate(selector, offset, type, dpl, 0) | (long) (ist & 7) << 32;
        bus.write(IDT + 16L * vector, 8, lo);
        bus.write(IDT + 16L * vector + 8, 8, offset >>> 32);
        cpu.state().idtrBase = IDT;
        cpu.state().idtrLimit = 256 * 16 - 1;
        return this;
    }

    /** Real-mode IVT entry at linear 4 * vector. */
    public TestCpu ivt(int vector, int segment, int offset) {
        bus.write(4L * vector, 2, offset);
        bus.write(4L * vector + 2, 2, segment);
        return this;
    }

    /** A 32-bit TSS at {@link #TSS} with ESP0/SS0 (and an I/O bitmap base beyond the limit), loaded into TR (GDT entry 8 = 0x40). */
    public TestCpu tss32(long esp0, int ss0) {
        bus.write(TSS + 4, 4, esp0);
        bus.write(TSS + 8, 2, ss0);
        bus.write(TSS + 0x66, 2, 0x68);
        gdt(8, desc(TSS, 0x67, 0x8b, 0));
        cpu.state().tr.set(0x40, TSS, 0x67, 0x8b);
        return this;
    }

    /** A 64-bit TSS at {@link #TSS} with RSP0 and IST1..7 (ist[i] for IST i+1), loaded into TR (0x40). */
    public TestCpu tss64(long rsp0, long... ist) {
        bus.write(TSS + 4, 8, rsp0);
        for (int i = 0; i < ist.length; i++) {
            bus.write(TSS + 0x24 + 8L * i, 8, ist[i]);
        }
        bus.write(TSS + 0x66, 2, 0x68);
        gdt16(8, desc(TSS, 0x67, 0x8b, 0), 0);
        cpu.state().tr.set(0x40, TSS, 0x67, 0x8b);
        return this;
    }

    /** Loads hex bytes at any physical address (and drops decoded code). */
    public TestCpu mem(long pa, String hex) {
        bus.load(pa, HexFormat.of().parseHex(hex.replace(" ", "")));
        cpu.flushDecodeCache();
        return this;
    }

    /** Runs one step and returns the first event it delivered as {vector, error code}, or null. */
    public int[] fault() {
        events.clear();
        step(1);
        return events.isEmpty() ? null : events.get(0);
    }

    /** Drops to CPL 3 in the current mode with the user selectors of the flat GDT (0x23/0x2b, 0x33 in 64-bit mode). */
    public TestCpu user() {
        var s = cpu.state();
        boolean lm = cpu.longMode();
        s.seg[Reg.CS].set(lm ? 0x33 : 0x23, 0, 0xffffffffL, 0xfb | Segment.ATTR_G | (lm ? Segment.ATTR_L : Segment.ATTR_DB));
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0x2b, 0, 0xffffffffL, 0xf3 | Segment.ATTR_G | Segment.ATTR_DB);
        }
        cpu.setCpl(3);
        cpu.modeChanged();
        return this;
    }

    /** Real-address mode, CS = 0x1000 (so IP 0 is CODE), DS = ES = SS = 0. */
    public static TestCpu real() {
        return real("intel-core");
    }

    public static TestCpu real(String profile) {
        TestCpu t = new TestCpu(profile);
        var s = t.cpu.state();
        s.seg[Reg.CS].set((int) (CODE >>> 4), CODE, 0xffff, 0x9b);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0, 0, 0xffff, 0x93);
        }
        s.gpr[Reg.RSP] = 0xfff0;
        s.cr0 = 0x10;
        t.cpu.modeChanged();
        return t;
    }

    /** 32-bit (or 16-bit when {@code bits} = 16) protected mode, flat segments, CPL 0, paging off. */
    public static TestCpu protectedFlat(int bits) {
        return protectedFlat(bits, "intel-core");
    }

    public static TestCpu protectedFlat(int bits, String profile) {
        TestCpu t = new TestCpu(profile);
        t.writeGdt();
        var s = t.cpu.state();
        s.cr0 = 0x11;
        int db = bits == 32 ? Segment.ATTR_DB : 0;
        s.seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | db);
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0x10, 0, 0xffffffffL, 0x93 | Segment.ATTR_G | db);
        }
        s.gpr[Reg.RSP] = STACK;
        t.cpu.setCpl(0);
        t.cpu.modeChanged();
        return t;
    }

    /** 64-bit mode, CPL 0, identity paging of the first 4 GiB. */
    public static TestCpu long64() {
        return long64("intel-core");
    }

    public static TestCpu long64(String profile) {
        return long64(CpuProfile.load(profile));
    }

    /** 64-bit mode with an explicit (possibly modified) profile. */
    public static TestCpu long64(CpuProfile profile) {
        TestCpu t = new TestCpu(profile);
        t.writeGdt();
        var ps = t.cpu.state();
        ps.cr0 = 0x11;
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            ps.seg[r].set(0x10, 0, 0xffffffffL, 0x93 | Segment.ATTR_G | Segment.ATTR_DB);
        }
        ps.gpr[Reg.RSP] = STACK;
        t.cpu.setCpl(0);
        var s = t.cpu.state();
        // PML4 -> PDPT -> 4 page directories of 2 MiB pages
        t.bus.write(PAGING, 8, (PAGING + 0x1000) | 7);
        for (int i = 0; i < 4; i++) {
            long pd = PAGING + 0x2000 + i * 0x1000L;
            t.bus.write(PAGING + 0x1000 + i * 8, 8, pd | 7);
            for (int j = 0; j < 512; j++) {
                t.bus.write(pd + j * 8, 8, ((long) i << 30) + ((long) j << 21) | 0x87);
            }
        }
        s.cr3 = PAGING;
        s.cr4 = 0x20; // PAE
        s.efer = 0x500 | 1; // LME | LMA | SCE
        s.cr0 = 0x80000011L;
        s.seg[Reg.CS].set(0x18, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
        t.cpu.modeChanged();
        t.cpu.mmu().flushAll();
        return t;
    }

    private void writeGdt() {
        bus.write(GDT, 8, 0);
        bus.write(GDT + 8, 8, 0x00cf9b000000ffffL);   // 0x08: 32-bit code
        bus.write(GDT + 16, 8, 0x00cf93000000ffffL);  // 0x10: data
        bus.write(GDT + 24, 8, 0x00af9b000000ffffL);  // 0x18: 64-bit code
        bus.write(GDT + 32, 8, 0x00cffb000000ffffL);  // 0x20 (0x23): 32-bit user code
        bus.write(GDT + 40, 8, 0x00cff3000000ffffL);  // 0x28 (0x2b): user data
        bus.write(GDT + 48, 8, 0x00affb000000ffffL);  // 0x30 (0x33): 64-bit user code
        var s = cpu.state();
        s.gdtrBase = GDT;
        s.gdtrLimit = 8 * 8 - 1;
    }

    /** Loads hex bytes (spaces allowed) at CODE and points RIP at them. */
    public TestCpu code(String hex) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        bus.load(CODE, b);
        cpu.flushDecodeCache();
        cpu.state().rip = CODE - cpu.state().seg[Reg.CS].base;
        return this;
    }

    public TestCpu reg(int r, long v) {
        cpu.state().gpr[r] = v;
        return this;
    }

    public long reg(int r) {
        return cpu.state().gpr[r];
    }

    /** Executes exactly n instructions. */
    public StopReason step(int n) {
        return cpu.run(n, Long.MAX_VALUE);
    }

    /** Runs until HLT (or at most 100,000 instructions). */
    public StopReason runToHlt() {
        return cpu.run(100_000, Long.MAX_VALUE);
    }
}
