package dev.hvsim.svm;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;

/**
 * A 64-bit CPU of the amd-zen profile (SVM installed by SvmProvider) with EFER.SVME set, VM_HSAVE_PA at
 * {@link #HSAVE} and a valid long-mode VMCB at {@link #VMCB} whose guest state is the host's flat 64-bit state
 * with RIP = {@link #GUEST_CODE}. VMRUN (0F 01 D8) runs at {@link TestCpu#CODE} with RAX = VMCB.
 */
final class SvmHarness {
    static final long HSAVE = 0x400000, VMCB = 0x401000, IOPM = 0x404000, MSRPM = 0x408000, PDPT = 0x40a000,
            GUEST_CODE = 0x200000, GUEST_RSP = 0x38000, NPT = 0x600000;
    /** The power-on PAT (WB, WT, UC-, UC, twice). */
    static final long DEFAULT_PAT = 0x0007040600070406L;
    static final String VMRUN = "0f 01 d8", VMMCALL = "0f 01 d9", VMLOAD = "0f 01 da", VMSAVE = "0f 01 db",
            STGI = "0f 01 dc", CLGI = "0f 01 dd", INVLPGA = "0f 01 df";

    final TestCpu t;
    final Cpu cpu;
    final SvmExtension svm;

    SvmHarness() {
        t = TestCpu.long64("amd-zen");
        cpu = t.cpu;
        svm = (SvmExtension) cpu.extension();
        cpu.state().efer |= Cpu.EFER_SVME;
        svm.writeMsr(cpu, SvmExtension.VM_HSAVE_PA, HSAVE);
        baseVmcb();
    }

    void w(int off, int size, long v) {
        t.bus.write(VMCB + off, size, v);
    }

    long r(int off, int size) {
        return t.bus.read(VMCB + off, size);
    }

    long q(int off) {
        return r(off, 8);
    }

    /** The valid long-mode base: the host's own state as guest state, VMRUN intercepted, ASID 1. */
    void baseVmcb() {
        for (int i = 0; i < 4096; i += 8) {
            t.bus.write(VMCB + i, 8, 0);
        }
        CpuState s = cpu.state();
        for (int seg = Reg.ES; seg <= Reg.DS; seg++) {
            Transitions.storeSegment(cpu, VMCB, V.seg(seg), s.seg[seg]);
        }
        w(V.GDTR + 4, 4, s.gdtrLimit);
        w(V.GDTR + 8, 8, s.gdtrBase);
        w(V.IDTR + 4, 4, s.idtrLimit);
        w(V.IDTR + 8, 8, s.idtrBase);
        w(V.EFER, 8, s.efer);
        w(V.CR0, 8, s.cr0);
        w(V.CR3, 8, s.cr3);
        w(V.CR4, 8, s.cr4);
        w(V.DR6, 8, 0xffff0ff0L);
        w(V.DR7, 8, 0x400);
        w(V.RFLAGS, 8, 2);
        w(V.RIP, 8, GUEST_CODE);
        w(V.RSP, 8, GUEST_RSP);
        w(V.MISC2, 4, 1); // VMRUN intercept
        w(V.ASID, 4, 1);
        w(V.IOPM_BASE, 8, IOPM);
        w(V.MSRPM_BASE, 8, MSRPM);
    }

    /**
     * Nested paging on (NP_ENABLE, N_CR3 = {@link #NPT}, G_PAT = the power-on PAT) with nested tables that map the
     * first 4 GiB of guest-physical memory to the same host-physical addresses with 1 GiB pages (P, RW, US, A, D).
     */
    void identityNpt() {
        w(V.NESTED_CTL, 8, 1);
        w(V.N_CR3, 8, NPT);
        w(V.G_PAT, 8, DEFAULT_PAT);
        for (int i = 0; i < 1024; i++) {
            t.bus.write(NPT + 8L * i, 8, 0);
            t.bus.write(NPT + 0x1000 + 8L * i, 8, 0);
        }
        t.bus.write(NPT, 8, (NPT + 0x1000) | 0x67);
        for (int i = 0; i < 4; i++) {
            t.bus.write(NPT + 0x1000 + 8L * i, 8, ((long) i << 30) | 0xe7);
        }
    }

    /** Runs VMRUN at CODE with RAX = vmcb; returns the fault {vector, error} or null. */
    int[] vmrun() {
        t.reg(Reg.RAX, VMCB);
        return t.code(VMRUN).fault();
    }

    /** The #VMEXIT the last run ended with. */
    SvmExit lastExit() {
        return (SvmExit) cpu.lastVmExit();
    }

    /** VMRUN into guest code, then run until the #VMEXIT. */
    SvmExit runGuest(String guestCode) {
        t.mem(GUEST_CODE, guestCode);
        t.reg(Reg.RAX, VMCB);
        t.code(VMRUN);
        StopReason r = cpu.run(100, Long.MAX_VALUE);
        if (r != StopReason.VM_EXIT) {
            throw new AssertionError("expected VM_EXIT, got " + r + " at rip " + Long.toHexString(cpu.state().rip));
        }
        return lastExit();
    }
}
