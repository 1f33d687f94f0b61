package dev.hvsim.machine;

import dev.hvsim.machine.load.LoadedImage;
import dev.hvsim.machine.load.StartMode;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import java.util.Arrays;

/**
 * The boot protocol: the CPU state a loaded guest starts in (machine/DESIGN.md, "Boot protocol").
 *
 * <p>32-bit protected mode, as QEMU's multiboot loader leaves the CPU (Multiboot 0.6.96, 3.2 "Machine
 * state"): CR0 = PE | ET, paging off, EFER = 0, CS = 0x08 and DS = ES = SS = FS = GS = 0x10 with flat
 * 4 GiB descriptors in the segment caches (base 0, limit 0xffffffff, 32-bit, DPL 0), GDTR and IDTR
 * base 0 limit 0, EFLAGS = 0x2 (IF = 0), EAX = 0x2BADB002, EBX = 0 (no multiboot information yet),
 * all other general-purpose registers 0, EIP = entry, CPL 0.
 *
 * <p>Real-address mode, for flat images loaded below 1 MiB, with entry E (&lt; 0x100000):
 * CS = DS = ES = SS = FS = GS = E &gt;&gt; 4 (base = selector × 16, limit 0xffff), IP = E &amp; 0xf,
 * SP = 0 (the first push lands at the top of the 64 KiB segment), EFLAGS = 0x2, all other
 * general-purpose registers 0, CR0 = ET (the rest of the power-on state of SDM Vol. 3A 10.1.1).
 */
public final class Boot {
    /** EAX at a protected-mode entry: the multiboot boot-loader magic. */
    public static final long MULTIBOOT_MAGIC = 0x2BADB002L;
    /** Selectors of the flat segments at a protected-mode entry. */
    public static final int CODE_SELECTOR = 0x08, DATA_SELECTOR = 0x10;

    private static final int CODE_ATTR = 0x9b | Segment.ATTR_G | Segment.ATTR_DB;
    private static final int DATA_ATTR = 0x93 | Segment.ATTR_G | Segment.ATTR_DB;
    private static final int[] DATA_SEGMENTS = {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS};

    private Boot() {}

    /** Resets {@code cpu} and puts it in the start state of {@code image}. */
    public static void start(Cpu cpu, LoadedImage image) {
        if (image.mode() == StartMode.REAL_MODE) {
            enterRealMode(cpu, image.entry());
        } else {
            enterProtected32(cpu, image.entry());
        }
    }

    /** Resets {@code cpu} into the multiboot-style 32-bit protected-mode state at {@code entry}. */
    public static void enterProtected32(Cpu cpu, long entry) {
        cpu.reset();
        CpuState s = cpu.state();
        Arrays.fill(s.gpr, 0);
        s.gpr[Reg.RAX] = MULTIBOOT_MAGIC;
        s.setRflags(0x2);
        s.cr0 = Cpu.CR0_PE | Cpu.CR0_ET;
        s.seg[Reg.CS].set(CODE_SELECTOR, 0, 0xffffffffL, CODE_ATTR);
        for (int r : DATA_SEGMENTS) {
            s.seg[r].set(DATA_SELECTOR, 0, 0xffffffffL, DATA_ATTR);
        }
        s.gdtrBase = 0;
        s.gdtrLimit = 0;
        s.idtrBase = 0;
        s.idtrLimit = 0;
        s.rip = entry & 0xffffffffL;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.flushDecodeCache();
    }

    /**
     * Multiboot entry (Multiboot 0.6.96, 3.2 "Machine state"): the 32-bit protected-mode state of
     * {@link #enterProtected32} with EBX = the information structure and the x87 FPU in its FNINIT state
     * (control word 0x37F, status 0, every register empty), as QEMU's multiboot loader leaves it.
     */
    public static void enterMultiboot(Cpu cpu, long entry, long info) {
        enterProtected32(cpu, entry);
        CpuState s = cpu.state();
        s.gpr[Reg.RBX] = info & 0xffffffffL;
        s.fcw = 0x37f;
        s.fsw = 0;
        s.ftwAbridged = 0;
    }

    /**
     * The state a STARTUP IPI with {@code vector} gives a CPU in wait-for-SIPI (SDM Vol. 3A 8.4.4.1,
     * 11.6.1): real-address mode at CS:IP = (vector &lt;&lt; 8):0000, i.e. physical vector × 4 KiB; the rest is
     * the INIT state the CPU already has (data segments selector 0 base 0, limit 0xffff).
     */
    public static void enterStartup(Cpu cpu, int vector) {
        CpuState s = cpu.state();
        int selector = (vector & 0xff) << 8;
        s.seg[Reg.CS].set(selector, (long) selector << 4, 0xffff, 0x9b);
        s.rip = 0;
        s.halted = false;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.flushDecodeCache();
    }

    /** Resets {@code cpu} into real-address mode with CS:IP = (entry &gt;&gt; 4):(entry &amp; 0xf). */
    public static void enterRealMode(Cpu cpu, long entry) {
        if (entry < 0 || entry >= 0x100000) {
            throw new IllegalArgumentException(String.format("real-mode entry 0x%x is not below 1 MiB", entry));
        }
        cpu.reset();
        CpuState s = cpu.state();
        Arrays.fill(s.gpr, 0);
        s.setRflags(0x2);
        s.cr0 = Cpu.CR0_ET;
        int selector = (int) (entry >>> 4);
        s.seg[Reg.CS].set(selector, (long) selector << 4, 0xffff, 0x9b);
        for (int r : DATA_SEGMENTS) {
            s.seg[r].set(selector, (long) selector << 4, 0xffff, 0x93);
        }
        s.rip = entry & 0xf;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.flushDecodeCache();
    }
}
