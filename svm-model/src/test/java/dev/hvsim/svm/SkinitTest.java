package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SKINIT EAX, 0F 01 DE (AMD APM Vol. 3 "SKINIT"; Vol. 2 15.4, 15.27.6 steps 1-8, 15.24.8) and the STGI rule that goes
 * with it (15.4: STGI is available with EFER.SVME = 0 when CPUID Fn8000_0001 ECX[SKINIT] = 1).
 */
class SkinitTest {
    static final int UD = 6, GP = 13, DB = 1;
    static final String SKINIT = "0f 01 de";
    static final long SLB = 0x500000;

    /** The SL_DEV calls SKINIT makes through the CPU's DmaProtectionHook. */
    static List<Long> recordProtection(Cpu c) {
        List<Long> calls = new ArrayList<>();
        c.setDmaProtectionHook(calls::add);
        return calls;
    }

    /** An SLB at {@link #SLB}: entry offset and image length words, then {@code code} at the entry offset. */
    static void slb(TestCpu t, int entry, int length, String code) {
        t.bus.write(SLB, 2, entry);
        t.bus.write(SLB + 2, 2, length);
        t.mem(SLB + entry, code);
    }

    static CpuProfile amdWithoutSkinitBit() {
        CpuProfile p = CpuProfile.load("amd-zen");
        List<CpuProfile.CpuidLeaf> leaves = new ArrayList<>();
        for (CpuProfile.CpuidLeaf l : p.cpuid()) {
            leaves.add(l.leaf() == 0x80000001L ? new CpuProfile.CpuidLeaf(l.leafHex(), l.subleaf(), l.eax(), l.ebx(),
                    "0x" + Long.toHexString(Long.decode(l.ecx()) & ~(1L << 12)), l.edx()) : l);
        }
        return new CpuProfile("amd-no-skinit", p.vendor(), "test", p.maxPhysAddr(), leaves, p.latency(),
                p.pageWalkReference(), p.tscPerCycle());
    }

    @Test
    void cpuidAdvertisesSkinitOnlyWhileTheSvmModelIsInstalled() {
        SvmHarness h = new SvmHarness();
        assertThat(h.cpu.has(Feature.SKINIT)).isTrue();
        assertThat(SvmInstructionsTest.cpuid(h, 0x80000001L)[2] & 1 << 12).isEqualTo(1 << 12);
        h.cpu.install(null);
        assertThat(h.cpu.has(Feature.SKINIT)).isFalse();
        assertThat(SvmInstructionsTest.cpuid(h, 0x80000001L)[2] & 1 << 12).isZero();
        assertThat(h.t.code(SKINIT).fault()).containsExactly(UD, -1);
    }

    @Test
    void udInRealMode() {
        TestCpu t = TestCpu.real("amd-zen");
        t.cpu.state().efer |= Cpu.EFER_SVME;
        assertThat(t.code(SKINIT).fault()).containsExactly(UD, -1);
        assertThat(((SvmExtension) t.cpu.extension()).lastSkinit()).isNull();
    }

    @Test
    void withTheSkinitBitSkinitAndStgiNeedNoEferSvmeButClgiDoes() {
        SvmHarness h = new SvmHarness();
        h.cpu.state().efer &= ~Cpu.EFER_SVME;
        h.svm.gif = false;
        assertThat(h.t.code(SvmHarness.STGI).fault()).isNull();
        assertThat(h.svm.gif()).isTrue();
        assertThat(h.t.code(SvmHarness.CLGI).fault()).containsExactly(UD, -1);
        assertThat(h.svm.gif()).isTrue();
        slb(h.t, 4, 4, "f4");
        h.t.reg(Reg.RAX, SLB);
        assertThat(h.t.code(SKINIT).fault()).isNull();
        assertThat(h.cpu.state().rip).isEqualTo(SLB + 4);
    }

    @Test
    void withoutTheSkinitBitSkinitAndStgiNeedEferSvme() {
        TestCpu t = TestCpu.long64(amdWithoutSkinitBit());
        SvmExtension svm = (SvmExtension) t.cpu.extension();
        assertThat(t.cpu.has(Feature.SKINIT)).isFalse();
        assertThat(t.reg(Reg.RAX, 0x80000001L).reg(Reg.RCX, 0).code("0f a2").fault()).isNull();
        assertThat(t.reg(Reg.RCX) & 1 << 12).isZero();
        assertThat(t.code(SvmHarness.STGI).fault()).containsExactly(UD, -1);
        slb(t, 8, 8, "f4");
        t.reg(Reg.RAX, SLB);
        assertThat(t.code(SKINIT).fault()).containsExactly(UD, -1);
        assertThat(svm.lastSkinit()).isNull();
        // 15.4: with EFER.SVME = 1 both are available whatever the CPUID bit
        t.cpu.state().efer |= Cpu.EFER_SVME;
        assertThat(t.code(SvmHarness.STGI).fault()).isNull();
        t.reg(Reg.RAX, SLB);
        assertThat(t.code(SKINIT).fault()).isNull();
        assertThat(t.cpu.state().rip).isEqualTo(SLB + 8);
    }

    @Test
    void cplAboveZeroIsGpAndChangesNothing() {
        for (TestCpu t : new TestCpu[] {TestCpu.long64("amd-zen"), TestCpu.protectedFlat(32, "amd-zen")}) {
            List<Long> calls = recordProtection(t.cpu);
            SvmExtension svm = (SvmExtension) t.cpu.extension();
            t.user();
            t.reg(Reg.RAX, SLB);
            assertThat(t.code(SKINIT).fault()).containsExactly(GP, 0);
            assertThat(calls).isEmpty();
            assertThat(svm.gif()).isTrue();
            assertThat(svm.lastSkinit()).isNull();
        }
    }

    @Test
    void interceptedInAGuestExitsWithVmexitSkinit() {
        SvmHarness h = new SvmHarness();
        List<Long> calls = recordProtection(h.cpu);
        h.w(V.MISC2, 4, 1 | 1 << V.M2_SKINIT);
        SvmExit e = h.runGuest("90 0f 01 de"); // nop; skinit
        InterceptTest.exit(h, e, 0x86, 0, 0, SvmHarness.GUEST_CODE + 1, SvmHarness.GUEST_CODE + 4);
        assertThat(calls).isEmpty();
        assertThat(h.svm.lastSkinit()).isNull();
    }

    @Test
    void theProcessorIsReinitialisedIntoTheSecureLoader() {
        SvmHarness h = new SvmHarness();
        Cpu c = h.cpu;
        CpuState s = c.state();
        List<Long> calls = recordProtection(c);
        for (int r = 0; r < 16; r++) {
            s.gpr[r] = 0x1111_0000_0000_0000L * (r + 1) + r;
        }
        s.gpr[Reg.RAX] = 0xdead_beef_0050_abcdL; // EAX 0050_ABCD: the SLB at 0050_0000
        s.setRflags(Flags.FIXED1 | Flags.IF | Flags.DF | Flags.CF);
        s.cr2 = 0x1234;
        s.dr[0] = 0x7000;
        s.dr[7] = 0x401;
        s.xcr0 = 3;
        s.seg[Reg.FS].set(0x2b, 0x1234_5000L, 0xffff, 0x93 | Segment.ATTR_G);
        s.xmm[0] = 0x0123_4567_89ab_cdefL;
        s.fcw = 0x27f;
        s.mxcsr = 0x1f00;
        s.msr.put(Msr.IA32_LSTAR, 0xffff8000_00002000L);
        s.msr.put(Msr.IA32_PAT, 0x0606060606060606L);
        long cr8 = s.cr8 = 5;
        long efm = c.profile().cpuidExact(1, 0)[0] & 0xffffffffL;
        slb(h.t, 0x180, 0x400, "68 78 56 34 12 0f 01 dc f4"); // push 12345678h; stgi; hlt

        assertThat(h.t.code(SKINIT).fault()).isNull();

        assertThat(calls).containsExactly(SLB); // step 2: SL_DEV for the 64 KiB at the SLB
        assertThat(h.svm.lastSkinit()).isEqualTo(new SkinitLaunch(SLB, 0x180, 0x400));
        assertThat(h.svm.gif()).isFalse(); // step 6
        assertThat(h.svm.holdsInterrupts(c)).isTrue();
        assertThat(h.svm.vmCr()).isEqualTo(SvmExtension.VM_CR_DPD | SvmExtension.VM_CR_R_INIT
                | SvmExtension.VM_CR_DIS_A20M);
        long[] gpr = new long[16];
        gpr[Reg.RAX] = SLB;
        gpr[Reg.RDX] = efm;
        gpr[Reg.RSP] = SLB + 0x10000;
        assertThat(s.gpr).containsExactly(gpr);
        assertThat(s.rip).isEqualTo(SLB + 0x180);
        assertThat(s.rflags()).isEqualTo(2);
        assertThat(s.cr0).isEqualTo(0x60000011L);
        assertThat(new long[] {s.cr2, s.cr3, s.cr4, s.efer, s.xcr0}).containsExactly(0, 0, 0, 0, 1);
        assertThat(c.cpl()).isZero();
        assertThat(c.codeSize()).isEqualTo(32);
        assertThat(c.longMode()).isFalse();
        assertThat(c.pagingEnabled()).isFalse();
        assertThat(s.seg[Reg.CS]).isEqualTo(new Segment(8, 0, 0xffffffffL, 0x9b | Segment.ATTR_DB | Segment.ATTR_G));
        assertThat(s.seg[Reg.SS]).isEqualTo(new Segment(0x10, 0, 0xffffffffL, 0x93 | Segment.ATTR_DB | Segment.ATTR_G));
        for (int r : new int[] {Reg.DS, Reg.ES, Reg.FS, Reg.GS}) {
            assertThat(s.seg[r]).as("seg %d", r).isEqualTo(new Segment(0, 0, 0xffff, 0x93));
        }
        assertThat(s.ldtr).isEqualTo(new Segment(0, 0, 0xffff, 0x82));
        assertThat(s.tr).isEqualTo(new Segment(0, 0, 0xffff, 0x8b));
        assertThat(new long[] {s.gdtrBase, s.gdtrLimit, s.idtrBase, s.idtrLimit}).containsExactly(0, 0xffff, 0, 0xffff);
        assertThat(s.dr).containsExactly(0, 0, 0, 0, 0, 0, 0xffff0ff0L, 0x400);
        // kept: x87/SSE state, MSRs other than EFER, CR8
        assertThat(s.xmm[0]).isEqualTo(0x0123_4567_89ab_cdefL);
        assertThat(s.fcw).isEqualTo(0x27f);
        assertThat(s.mxcsr).isEqualTo(0x1f00);
        assertThat(s.msr(Msr.IA32_LSTAR)).isEqualTo(0xffff8000_00002000L);
        assertThat(s.msr(Msr.IA32_PAT)).isEqualTo(0x0606060606060606L);
        assertThat(s.cr8).isEqualTo(cr8);

        // the secure loader runs in flat 32-bit protected mode, its stack at the top of the SLB, and ends with STGI
        // although EFER.SVME is now 0
        h.t.step(3);
        assertThat(s.gpr[Reg.RSP]).isEqualTo(SLB + 0x10000 - 4);
        assertThat(h.t.bus.read(SLB + 0x10000 - 4, 4)).isEqualTo(0x12345678L);
        assertThat(h.svm.gif()).isTrue();
        assertThat(s.halted).isTrue();
        assertThat(s.rip).isEqualTo(SLB + 0x180 + 9);
    }

    /** One pending vector until acknowledged. */
    static final class Source implements dev.hvsim.x86core.InterruptSource {
        int vector = -1, acked = -1;

        @Override public int pendingInterrupt() { return vector; }
        @Override public void acknowledge(int v) { acked = v; vector = -1; }
    }

    /**
     * A secure loader runs with GIF = 0 after SKINIT and may set IF before its STGI: an interrupt held by GIF alone
     * is taken right after the STGI (15.17: GIF = 1 lets pending interrupts in), not at some later event.
     */
    @Test
    void interruptHeldByGifIsTakenAfterStgiWithIfAlreadySet() {
        SvmHarness h = new SvmHarness();
        Source src = new Source();
        h.cpu.setInterruptSource(src);
        h.t.idt64(0x40, 0x18, TestCpu.CODE + 0x800, 0xe, 0, 0).mem(TestCpu.CODE + 0x800, "f4");
        // clgi; sti; nop; nop; stgi; nop; nop
        h.t.code("0f 01 dd fb 90 90 0f 01 dc 90 90");
        src.vector = 0x40;
        h.t.step(4);
        assertThat(src.acked).isEqualTo(-1); // IF = 1 but GIF = 0
        assertThat(h.cpu.state().rip).isEqualTo(TestCpu.CODE + 6);
        h.t.step(1); // stgi: the interrupt is accepted at the boundary right after it
        assertThat(src.acked).isEqualTo(0x40);
        assertThat(h.cpu.state().rip).isEqualTo(TestCpu.CODE + 0x800);
    }

    @Test
    void noTraceTrapAfterSkinit() {
        SvmHarness h = new SvmHarness();
        h.t.idt64(DB, 0x08, TestCpu.CODE + 0x800, 0xe, 0, 0); // #DB would land here
        // control: a NOP with TF = 1 takes the single-step trap
        h.cpu.state().setRflags(Flags.FIXED1 | Flags.TF);
        assertThat(h.t.code("90").fault()).containsExactly(DB, -1);
        h.cpu.state().setRflags(Flags.FIXED1 | Flags.TF);
        slb(h.t, 0x10, 0x10, "f4");
        h.t.reg(Reg.RAX, SLB);
        assertThat(h.t.code(SKINIT).fault()).isNull();
        assertThat(h.cpu.state().rip).isEqualTo(SLB + 0x10);
        assertThat(h.cpu.state().dr[6]).isEqualTo(0xffff0ff0L); // no BS
    }

    @Test
    void slbHeaderIsReadAfterTheBaseIsFormedAndTheEntryIsUnsigned() {
        SvmHarness h = new SvmHarness();
        slb(h.t, 0xfff0, 0xffff, "f4");
        h.t.reg(Reg.RAX, SLB | 0xffff);
        assertThat(h.t.code(SKINIT).fault()).isNull();
        assertThat(h.cpu.state().rip).isEqualTo(SLB + 0xfff0);
        assertThat(h.svm.lastSkinit()).isEqualTo(new SkinitLaunch(SLB, 0xfff0, 0xffff));
        h.t.step(1);
        assertThat(h.cpu.state().halted).isTrue();
    }
}
