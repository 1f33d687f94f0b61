package dev.hvsim.x86core.testing;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.StopReason;
import java.util.HexFormat;

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
    public final TestBus bus = new TestBus();
    public final Cpu cpu;

    private TestCpu(String profile) {
        cpu = new Cpu(CpuProfile.load(profile), bus, bus);
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
        TestCpu t = protectedFlat(32, profile);
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
