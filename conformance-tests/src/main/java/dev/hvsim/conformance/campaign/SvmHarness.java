package dev.hvsim.conformance.campaign;

import dev.hvsim.svm.SvmExtension;
import dev.hvsim.svm.SvmRoot;
import dev.hvsim.svm.VmcbBases;
import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import java.util.Map;

/**
 * A 64-bit host CPU of the amd-zen profile over sparse memory with SVM enabled (EFER.SVME, VM_HSAVE_PA; AMD APM Vol. 2
 * 15.4, 15.5) and a guest VMCB from {@link VmcbBases#LONG_MODE}: a 64-bit flat CPL-0 guest whose CR3 is the host's
 * identity map of the first 4 GiB (2 MiB pages, user and writable, at 100000H), so that the guest can execute and
 * access any address below 4 GiB; or from {@link VmcbBases#PROTECTED_MODE}: a flat 32-bit guest without paging. Host: flat GDT at 800H, code at 10000H; VM_HSAVE_PA 400000H, VMCB 401000H, IOPM at
 * 40000H (12 KiB), MSRPM at 44000H (8 KiB). Every exception of the guest is intercepted (word 2 all ones), so a guest
 * fault is an exception #VMEXIT and never a guest IDT walk. One harness per run; not thread-safe.
 */
public final class SvmHarness {
    public static final long GDT = 0x800, PAGING = 0x100000, HSAVE = 0x400000, VMCB = 0x401000, IOPM = 0x40000,
            MSRPM = 0x44000, HOST_CODE = 0x10000;
    public final VmxHarness.Memory bus = new VmxHarness.Memory();
    public final Cpu cpu;
    public final SvmRoot root;

    public SvmHarness(CpuProfile profile) {
        this(profile, VmcbBases.LONG_MODE);
    }

    /** As {@link #SvmHarness(CpuProfile)} with the guest of VMCB base {@code base} (long-mode or protected-mode). */
    public SvmHarness(CpuProfile profile, String base) {
        cpu = new Cpu(profile, bus, bus);
        bus.write(GDT + 16, 8, 0x00cf93000000ffffL);  // 0x10: data
        bus.write(GDT + 24, 8, 0x00af9b000000ffffL);  // 0x18: 64-bit code
        var s = cpu.state();
        s.gdtrBase = GDT;
        s.gdtrLimit = 8 * 8 - 1;
        VmxHarness.identityMap4G(bus, PAGING, 7, 0x87);
        VmxHarness.flatSegments(s);
        s.gpr[Reg.RSP] = 0x30000;
        s.rip = HOST_CODE;
        s.cr3 = PAGING;
        s.cr4 = 0x20;
        s.efer = 0x500 | 1 | Cpu.EFER_NXE;
        s.cr0 = 0x80000011L | Cpu.CR0_NE;
        cpu.setCpl(0);
        cpu.modeChanged();
        cpu.mmu().flushAll();
        if (!(cpu.extension() instanceof SvmExtension)) {
            SvmExtension.install(cpu);
        }
        root = SvmRoot.of(cpu);
        root.enable(HSAVE);
        root.select(VMCB);
        for (Map.Entry<String, Long> e : VmcbBases.base(base).entrySet()) {
            root.write(e.getKey(), e.getValue());
        }
        root.write("control.IOPM_BASE_PA", IOPM);
        root.write("control.MSRPM_BASE_PA", MSRPM);
        root.writeOffset(0x008, 4, 0xffffffffL);   // word 2: every exception (15.12)
    }
}
