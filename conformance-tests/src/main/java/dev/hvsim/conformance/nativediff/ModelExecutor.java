package dev.hvsim.conformance.nativediff;

import dev.hvsim.machine.bus.IoPortBus;
import dev.hvsim.machine.bus.MemoryBus;
import dev.hvsim.machine.bus.Ram;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.fault.Vectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs {@link IsaCase}s on the hvsim CPU model under the same contract as the native harness
 * ({@link IsaLayout}): 64-bit mode at CPL 3, the case's code at {@link IsaLayout#CODE} and data at
 * {@link IsaLayout#DATA}, nothing else mapped for user mode. Exceptions are delivered architecturally
 * through a 64-bit IDT to per-vector handlers (a HLT each, on a TSS.RSP0 stack); the outcome is read
 * from the interrupt frame, so the reported state is exactly what the model's event delivery saved.
 *
 * <p>Supervisor structures (page tables, GDT, TSS, IDT, handlers, kernel stack) live in the first 2 MiB,
 * mapped supervisor-only.
 */
public final class ModelExecutor implements IsaExecutor {
    private static final long PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT_DATA = 0x4000, PT_CODE = 0x5000,
            GDT = 0x6000, TSS = 0x7000, IDT = 0x8000, HANDLERS = 0xA000, KSTACK_TOP = 0xF000;
    private static final int USER_CS = 0x23, USER_SS = 0x1b, KERNEL_CS = 0x08;
    /** Instructions per case before giving up (the native harness uses CPU time; any loop is a timeout). */
    private static final int STEP_BUDGET = 10_000;
    /** Sparse RAM large enough to hold CODE; only touched pages cost memory. */
    private static final long RAM_MIB = 1024;

    private final CpuProfile profile;

    public ModelExecutor(CpuProfile profile) {
        this.profile = profile;
    }

    @Override
    public List<IsaOutcome> run(List<IsaCase> cases) {
        List<IsaOutcome> out = new ArrayList<>(cases.size());
        for (IsaCase c : cases) {
            out.add(runOne(c));
        }
        return out;
    }

    /** Runs one case on a fresh machine. */
    public IsaOutcome runOne(IsaCase c) {
        MemoryBus bus = new MemoryBus(Ram.ofMiB(RAM_MIB));
        buildSystem(bus);
        byte[] data = Arrays.copyOf(c.data(), IsaLayout.DATA_SIZE);
        bus.load(IsaLayout.DATA, data, 0, data.length);
        bus.load(IsaLayout.CODE, c.code(), 0, c.code().length);
        Cpu cpu = new Cpu(profile, bus, new IoPortBus());
        enterUserMode(cpu, c);
        long end = IsaLayout.CODE + c.code().length;
        for (int i = 0; i < STEP_BUDGET; i++) {
            long rip = cpu.state().rip;
            if (rip == end) {
                return outcome(cpu, bus, cpu.state().gpr.clone(), cpu.state().rflags(), rip, IsaOutcome.NO_FAULT);
            }
            StopReason r = cpu.run(1, Long.MAX_VALUE);
            long at = cpu.state().rip;
            if (r == StopReason.HALTED || r == StopReason.SHUTDOWN || at >= HANDLERS && at < HANDLERS + 256 * 16) {
                return fromFrame(cpu, bus, r);
            }
        }
        return outcome(cpu, bus, cpu.state().gpr.clone(), cpu.state().rflags(), cpu.state().rip, IsaOutcome.TIMEOUT);
    }

    private IsaOutcome fromFrame(Cpu cpu, MemoryBus bus, StopReason r) {
        CpuState s = cpu.state();
        long at = s.rip;
        if (r == StopReason.SHUTDOWN || at < HANDLERS || at >= HANDLERS + 256 * 16) {
            return outcome(cpu, bus, s.gpr.clone(), s.rflags(), at, IsaOutcome.TIMEOUT);
        }
        int vector = (int) ((at - HANDLERS) / 16);
        long sp = s.gpr[4];
        if (Vectors.hasErrorCode(vector)) {
            sp += 8;
        }
        long rip = bus.read(sp, 8);
        long rflags = bus.read(sp + 16, 8);
        long[] gprs = s.gpr.clone();
        gprs[4] = bus.read(sp + 24, 8);
        return outcome(cpu, bus, gprs, rflags, rip, vector);
    }

    private static IsaOutcome outcome(Cpu cpu, MemoryBus bus, long[] gprs, long rflags, long rip, int vector) {
        byte[] data = new byte[IsaLayout.DATA_SIZE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) bus.read(IsaLayout.DATA + i, 1);
        }
        return new IsaOutcome(gprs, rflags & Flag.TRACKED, rip - IsaLayout.CODE, data, vector);
    }

    private static void buildSystem(MemoryBus bus) {
        // Paging (SDM Vol. 3A 4.5): PML4[0] -> PDPT[0] -> PD; PD[0] a 2 MiB supervisor page for the
        // system structures; PD[128] -> data PT (2 user pages), PD[256] -> code PT (1 user page).
        bus.write(PML4, 8, PDPT | 7);
        bus.write(PDPT, 8, PD | 7);
        bus.write(PD, 8, 0x83);
        bus.write(PD + 8 * (IsaLayout.DATA >>> 21), 8, PT_DATA | 7);
        bus.write(PD + 8 * (IsaLayout.CODE >>> 21), 8, PT_CODE | 7);
        long dataIndex = (IsaLayout.DATA >>> 12) & 0x1ff;
        for (int i = 0; i < IsaLayout.DATA_SIZE / 4096; i++) {
            bus.write(PT_DATA + 8 * (dataIndex + i), 8, (IsaLayout.DATA + 4096L * i) | 7);
        }
        bus.write(PT_CODE + 8 * ((IsaLayout.CODE >>> 12) & 0x1ff), 8, IsaLayout.CODE | 7);
        // GDT: null, kernel code64 0x08, kernel data 0x10, user data 0x18|3, user code64 0x20|3, TSS 0x28.
        bus.write(GDT + 0x08, 8, 0x00af9b000000ffffL);
        bus.write(GDT + 0x10, 8, 0x00cf93000000ffffL);
        bus.write(GDT + 0x18, 8, 0x00cff3000000ffffL);
        bus.write(GDT + 0x20, 8, 0x00affb000000ffffL);
        bus.write(GDT + 0x28, 8, tssDescriptor(TSS, 0x67));
        bus.write(TSS + 4, 8, KSTACK_TOP);
        // IDT: 64-bit interrupt gates to HANDLERS + 16 * vector, DPL 3 for #BP and #OF (INT3/INTO from CPL 3).
        for (int v = 0; v < 256; v++) {
            long target = HANDLERS + 16L * v;
            int dpl = v == 3 || v == 4 ? 3 : 0;
            long lo = (target & 0xffff) | ((long) KERNEL_CS << 16) | ((0x8eL | dpl << 5) << 40) | ((target >>> 16 & 0xffff) << 48);
            bus.write(IDT + 16L * v, 8, lo);
            bus.write(IDT + 16L * v + 8, 8, target >>> 32);
            bus.write(target, 1, 0xF4); // HLT
        }
    }

    private static long tssDescriptor(long base, long limit) {
        return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89L << 40) | ((limit >>> 16 & 0xf) << 48)
                | ((base >>> 24 & 0xff) << 56);
    }

    private static void enterUserMode(Cpu cpu, IsaCase c) {
        CpuState s = cpu.state();
        s.cr0 = Cpu.CR0_PE | Cpu.CR0_PG | Cpu.CR0_ET | Cpu.CR0_NE | Cpu.CR0_WP;
        s.cr4 = Cpu.CR4_PAE;
        s.cr3 = PML4;
        s.efer = Cpu.EFER_LME | Cpu.EFER_LMA | Cpu.EFER_NXE | Cpu.EFER_SCE;
        s.gdtrBase = GDT;
        s.gdtrLimit = 0x37;
        s.idtrBase = IDT;
        s.idtrLimit = 256 * 16 - 1;
        s.tr.set(0x28, TSS, 0x67, 0x8b);
        int user = Segment.ATTR_P | Segment.ATTR_S | (3 << 5);
        s.seg[1].set(USER_CS, 0, 0xffffffffL, user | 0xb | Segment.ATTR_L | Segment.ATTR_G);
        for (int r : new int[] {0, 2, 3, 4, 5}) {
            s.seg[r].set(USER_SS, 0, 0xffffffffL, user | 0x3 | Segment.ATTR_DB | Segment.ATTR_G);
        }
        System.arraycopy(c.gprs(), 0, s.gpr, 0, 16);
        s.setRflags((c.rflags() & Flag.TRACKED) | Flags.FIXED1 | Flags.IF);
        s.rip = IsaLayout.CODE;
        cpu.setCpl(3);
        cpu.modeChanged();
        cpu.mmu().flushAll();
    }
}
