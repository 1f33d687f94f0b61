package dev.hvsim.conformance.campaign;

import dev.hvsim.conformance.gen.VmxCase;
import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.vmx.Vmcs;
import dev.hvsim.vmx.VmxExtension;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.bus.SparseMemory;
import java.util.Map;

/**
 * A 64-bit root-mode CPU of a profile over sparse memory that executes the VMX instructions itself: a flat GDT at
 * 800H, identity paging of the first 4 GiB with 2 MiB pages at 100000H, root code at 10000H, an instruction operand
 * at 20000H, the VMXON region at 400000H and a VMCS at 401000H (SDM Vol. 3C 24.7, 24.11; 31 VMXON, VMPTRLD). One
 * harness per run; not thread-safe.
 */
public final class VmxHarness {
    public static final long CODE = 0x10000, DATA = 0x20000, GDT = 0x800, PAGING = 0x100000,
            VMXON_REGION = 0x400000, VMCS_REGION = 0x401000, IDT = 0x2000, HANDLER = 0x11000;

    /** Physical memory; records every page ever touched so that whole-memory comparisons see all of them. */
    public final Memory bus = new Memory();

    /** Sparse RAM whose touched pages can be listed and copied. */
    public static final class Memory extends SparseMemory {
        private final java.util.TreeMap<Long, byte[]> touched = new java.util.TreeMap<>();

        @Override
        public byte[] ramPage(long pa) {
            return touched.computeIfAbsent(pa >>> 12, k -> super.ramPage(pa));
        }

        /** A copy of every page touched so far, by page number. */
        public java.util.Map<Long, byte[]> snapshot() {
            java.util.Map<Long, byte[]> m = new java.util.TreeMap<>();
            touched.forEach((k, v) -> m.put(k, v.clone()));
            return m;
        }
    }
    public final Cpu cpu;
    public final VmxExtension vmx;
    /** The first event the last {@link #exec} delivered ({@code event.vector} -1: none). */
    public final FirstEvent event = new FirstEvent();

    /**
     * Identity-maps the first 4 GiB with 2 MiB pages (4-level paging, SDM Vol. 3A 4.5): the PML4 at {@code paging},
     * the PDPT after it, then four page directories; {@code tableFlags} on the PML4 and PDPT entries, {@code leafFlags}
     * (with PS) on the 2 MiB entries. The harnesses of both vendors' executed properties share it.
     */
    public static void identityMap4G(Memory bus, long paging, long tableFlags, long leafFlags) {
        bus.write(paging, 8, (paging + 0x1000) | tableFlags);
        for (int i = 0; i < 4; i++) {
            long pd = paging + 0x2000 + i * 0x1000L;
            bus.write(paging + 0x1000 + i * 8, 8, pd | tableFlags);
            for (int j = 0; j < 512; j++) {
                bus.write(pd + j * 8, 8, ((long) i << 30) + ((long) j << 21) | leafFlags);
            }
        }
    }

    /** Flat 64-bit segments: the data selector 10H in DS, ES, SS, FS and GS, the 64-bit code selector 18H in CS. */
    public static void flatSegments(dev.hvsim.x86core.CpuState s) {
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.SS, Reg.FS, Reg.GS}) {
            s.seg[r].set(0x10, 0, 0xffffffffL, 0x93 | Segment.ATTR_G | Segment.ATTR_DB);
        }
        s.seg[Reg.CS].set(0x18, 0, 0xffffffffL, 0x9b | Segment.ATTR_G | Segment.ATTR_L);
    }

    public VmxHarness(CpuProfile profile) {
        cpu = new Cpu(profile, bus, bus);
        cpu.setListener(event);
        for (int v = 0; v < 32; v++) {   // 64-bit interrupt gates to a handler that is never run (SDM Vol. 3A 6.14.1)
            bus.write(IDT + 16L * v, 8, (HANDLER & 0xffff) | 0x18L << 16 | 0x8eL << 40 | (HANDLER >>> 16 & 0xffff) << 48);
            bus.write(IDT + 16L * v + 8, 8, 0);
        }
        bus.write(GDT + 16, 8, 0x00cf93000000ffffL);  // 0x10: data
        bus.write(GDT + 24, 8, 0x00af9b000000ffffL);  // 0x18: 64-bit code
        var s = cpu.state();
        s.gdtrBase = GDT;
        s.gdtrLimit = 8 * 8 - 1;
        s.idtrBase = IDT;
        s.idtrLimit = 32 * 16 - 1;
        VmxHarness.identityMap4G(bus, PAGING, 7, 0x87);
        VmxHarness.flatSegments(s);
        s.gpr[Reg.RSP] = 0x30000;
        s.cr3 = PAGING;
        s.cr4 = 0x20 | Cpu.CR4_VMXE;
        s.efer = 0x500 | 1 | Cpu.EFER_NXE;
        s.cr0 = 0x80000011L | Cpu.CR0_NE;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.mmu().flushAll();
        vmx = cpu.extension() instanceof VmxExtension ? (VmxExtension) cpu.extension() : VmxExtension.install(cpu);
        vmx.writeMsr(cpu, VmxExtension.IA32_FEATURE_CONTROL, VmxExtension.FC_LOCK | VmxExtension.FC_VMX_OUTSIDE_SMX);
        bus.write(VMXON_REGION, 4, VmcsLayout.HVSIM_REVISION_ID);
        bus.write(VMCS_REGION, 4, VmcsLayout.HVSIM_REVISION_ID);
    }

    /**
     * Executes one root-mode instruction (bytes) at {@link #CODE} with the qword {@code operand} at {@link #DATA};
     * returns the RFLAGS arithmetic flags afterwards (CF = VMfailInvalid, ZF = VMfailValid; 31.2), or -1 if it
     * raised an exception ({@link #event}).
     */
    public long exec(byte[] insn, long operand) {
        bus.write(DATA, 8, operand);
        bus.load(CODE, insn);
        cpu.flushDecodeCache();
        cpu.state().rip = CODE;
        cpu.state().gpr[Reg.RSP] = 0x30000;
        return event.step(cpu);
    }

    /** Executes a register-operand instruction (VMREAD / VMWRITE with RCX = encoding, RAX = value). */
    public long execRegs(byte[] insn, long rcx, long rax) {
        cpu.state().gpr[Reg.RCX] = rcx;
        cpu.state().gpr[Reg.RAX] = rax;
        return exec(insn, 0);
    }

    /** VMXON, VMCLEAR and VMPTRLD of the harness's regions; false if one of them failed. */
    public boolean enterVmxAndLoad() {
        return exec(VMXON, VMXON_REGION) == 0 && exec(VMCLEAR, VMCS_REGION) == 0 && exec(VMPTRLD, VMCS_REGION) == 0;
    }

    /** Writes the case's fields into the current VMCS and its memory into physical memory. */
    public void load(VmxCase c) {
        Vmcs v = vmx.currentVmcs();
        for (Map.Entry<VmcsField, Long> e : c.fields().entrySet()) {
            v.write(e.getKey(), e.getValue());
        }
        c.memory().forEach((a, q) -> bus.write(a, 8, q));
        cpu.flushDecodeCache();
    }

    /** VMXON [20000H] with a ModRM absolute-disp32 operand, and the other memory-operand VMX instructions. */
    public static final byte[] VMXON = hex("f30fc7342500000200"), VMCLEAR = hex("660fc7342500000200"),
            VMPTRLD = hex("0fc7342500000200"), VMPTRST = hex("0fc73c2500000200"), VMLAUNCH = hex("0f01c2"),
            VMRESUME = hex("0f01c3"), VMXOFF = hex("0f01c4"), VMCALL = hex("0f01c1"),
            VMREAD_RAX_RCX = hex("0f78c8"), VMWRITE_RCX_RAX = hex("0f79c8");

    static byte[] hex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
