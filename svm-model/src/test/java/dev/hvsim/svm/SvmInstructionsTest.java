package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.exec.MsrAccess;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * SVM operation and the SVM instructions' #UD/#GP conditions (AMD APM Vol. 3 instruction pages; Vol. 2 15.4, 15.5,
 * 15.17, 15.30). Encodings: VMRUN 0F 01 D8, VMMCALL D9, VMLOAD DA, VMSAVE DB, STGI DC, CLGI DD, INVLPGA DF.
 */
class SvmInstructionsTest {
    static final int UD = 6, GP = 13;

    @Test
    void cpuidReportsSvmOnlyWhileInstalledAndFn8000000aAdvertisesWhatIsImplemented() {
        SvmHarness h = new SvmHarness();
        assertThat(h.cpu.has(Feature.SVM)).isTrue();
        long[] r = cpuid(h, 0x8000000aL);
        // SvmRev 1, 16 ASIDs, EDX = NP, NRIPS, FlushByAsid, DecodeAssists, PauseFilter, PauseFilterThreshold, VGIF
        assertThat(r).containsExactly(1, 16, 0, 1 | 1 << 3 | 1 << 6 | 1 << 7 | 1 << 10 | 1 << 12 | 1 << 16);
        assertThat(cpuid(h, 0x80000001L)[2] & 4).isEqualTo(4);
        h.cpu.install(null);
        assertThat(cpuid(h, 0x80000001L)[2] & 4).isZero();
        assertThat(h.t.code(SvmHarness.VMRUN).fault()).containsExactly(UD, -1);
    }

    static long[] cpuid(SvmHarness h, long leaf) {
        h.t.reg(Reg.RAX, leaf).reg(Reg.RCX, 0).code("0f a2").fault();
        return new long[] {h.t.reg(Reg.RAX), h.t.reg(Reg.RBX), h.t.reg(Reg.RCX), h.t.reg(Reg.RDX)};
    }

    @Test
    void svmInstructionsAreUdWithoutEferSvme() {
        SvmHarness h = new SvmHarness();
        h.cpu.state().efer &= ~Cpu.EFER_SVME;
        // STGI (and SKINIT) are available without EFER.SVME while CPUID advertises SKINIT: SkinitTest
        for (String insn : new String[] {SvmHarness.VMRUN, SvmHarness.VMLOAD, SvmHarness.VMSAVE,
            SvmHarness.CLGI, SvmHarness.INVLPGA, SvmHarness.VMMCALL}) {
            h.t.reg(Reg.RAX, SvmHarness.VMCB);
            assertThat(h.t.code(insn).fault()).as(insn).containsExactly(UD, -1);
        }
    }

    @Test
    void svmInstructionsAreUdInRealMode() {
        for (String insn : new String[] {SvmHarness.VMRUN, SvmHarness.VMLOAD, SvmHarness.VMSAVE, SvmHarness.STGI,
            SvmHarness.CLGI, SvmHarness.INVLPGA}) {
            TestCpu t = TestCpu.real("amd-zen"); // a fresh CPU each: the #UD goes through the IVT
            t.cpu.state().efer |= Cpu.EFER_SVME;
            assertThat(t.code(insn).fault()).as(insn).containsExactly(UD, -1);
        }
    }

    @Test
    void cplAboveZeroIsGp() {
        for (String insn : new String[] {SvmHarness.VMRUN, SvmHarness.VMLOAD, SvmHarness.VMSAVE, SvmHarness.STGI,
            SvmHarness.CLGI, SvmHarness.INVLPGA}) {
            SvmHarness h = new SvmHarness();
            h.t.user();
            h.t.reg(Reg.RAX, SvmHarness.VMCB);
            assertThat(h.t.code(insn).fault()).as(insn).containsExactly(GP, 0);
        }
    }

    @Test
    void raxMustBePageAlignedAndBelowMaxPhysAddr() {
        SvmHarness h = new SvmHarness();
        for (String insn : new String[] {SvmHarness.VMRUN, SvmHarness.VMLOAD, SvmHarness.VMSAVE}) {
            h.t.reg(Reg.RAX, SvmHarness.VMCB + 8);
            assertThat(h.t.code(insn).fault()).as(insn).containsExactly(GP, 0);
            h.t.reg(Reg.RAX, 1L << 48); // amd-zen MAXPHYADDR 48
            assertThat(h.t.code(insn).fault()).as(insn).containsExactly(GP, 0);
        }
    }

    @Test
    void vmmcallOutsideAGuestIsUd() {
        SvmHarness h = new SvmHarness();
        assertThat(h.t.code(SvmHarness.VMMCALL).fault()).containsExactly(UD, -1);
    }

    /**
     * APM Vol. 2 15.6 and 15.17: GIF is 0 after any #VMEXIT, the VMEXIT_INVALID of a failed consistency check
     * included (found by the conformance suite's SVM protocol property).
     */
    @Test
    void vmexitInvalidClearsGif() {
        SvmHarness h = new SvmHarness();
        h.w(0x4d0, 8, 0);   // guest EFER.SVME = 0: SVM-VMRUN-EFER-SVME
        assertThat(h.svm.gif()).isTrue();
        h.vmrun();
        assertThat(h.lastExit().invalid()).isTrue();
        assertThat(h.svm.inGuest()).isFalse();
        assertThat(h.svm.gif()).isFalse();
        assertThat(h.t.code(SvmHarness.STGI).fault()).isNull();
        assertThat(h.svm.gif()).isTrue();
    }

    @Test
    void stgiClgiSetAndClearGif() {
        SvmHarness h = new SvmHarness();
        assertThat(h.svm.gif()).isTrue();
        assertThat(h.t.code(SvmHarness.CLGI).fault()).isNull();
        assertThat(h.svm.gif()).isFalse();
        assertThat(h.svm.holdsInterrupts(h.cpu)).isTrue();
        assertThat(h.t.code(SvmHarness.STGI).fault()).isNull();
        assertThat(h.svm.gif()).isTrue();
    }

    @Test
    void vmsaveThenVmloadRoundTripsTheVmloadState() {
        SvmHarness h = new SvmHarness();
        var s = h.cpu.state();
        s.seg[Reg.FS].set(0x2b, 0x1234_5000L, 0xffff, 0x93 | 0xc000);
        s.seg[Reg.GS].set(0x33, 0x7777_0000L, 0xfffff, 0x93);
        s.msr.put(Msr.IA32_KERNEL_GS_BASE, 0xffff8000_00001000L);
        s.msr.put(Msr.IA32_STAR, 0x0023001000000000L);
        s.msr.put(Msr.IA32_LSTAR, 0xffff8000_00002000L);
        s.msr.put(Msr.IA32_CSTAR, 0xffff8000_00003000L);
        s.msr.put(Msr.IA32_FMASK, 0x4700);
        s.msr.put(Msr.IA32_SYSENTER_CS, 0x10);
        s.msr.put(Msr.IA32_SYSENTER_ESP, 0x9000);
        s.msr.put(Msr.IA32_SYSENTER_EIP, 0xa000);
        h.t.reg(Reg.RAX, SvmHarness.VMCB);
        assertThat(h.t.code(SvmHarness.VMSAVE).fault()).isNull();
        assertThat(h.q(V.FS + 8)).isEqualTo(0x1234_5000L);
        assertThat(h.r(V.FS + 2, 2)).isEqualTo(0xc93);
        assertThat(h.q(V.LSTAR)).isEqualTo(0xffff8000_00002000L);
        var saved = s.copy();
        s.seg[Reg.FS].set(0, 0, 0, 0);
        s.seg[Reg.GS].set(0, 0, 0, 0);
        s.msr.put(Msr.IA32_LSTAR, 0);
        s.msr.put(Msr.IA32_SYSENTER_EIP, 0);
        h.t.reg(Reg.RAX, SvmHarness.VMCB);
        assertThat(h.t.code(SvmHarness.VMLOAD).fault()).isNull();
        assertThat(s.seg[Reg.FS].base).isEqualTo(0x1234_5000L);
        assertThat(s.seg[Reg.FS].attr).isEqualTo(saved.seg[Reg.FS].attr);
        assertThat(s.seg[Reg.GS].selector).isEqualTo(0x33);
        assertThat(s.msr(Msr.IA32_LSTAR)).isEqualTo(0xffff8000_00002000L);
        assertThat(s.msr(Msr.IA32_SYSENTER_EIP)).isEqualTo(0xa000);
        assertThat(s.tr.base).isEqualTo(saved.tr.base);
    }

    @Test
    void vmCrAndHsaveMsrs() {
        SvmHarness h = new SvmHarness();
        Cpu c = h.cpu;
        assertThatThrownBy(() -> MsrAccess.write(c, SvmExtension.VM_HSAVE_PA, 0x1008)).isInstanceOf(ArchFault.class);
        assertThatThrownBy(() -> MsrAccess.write(c, SvmExtension.VM_HSAVE_PA, 1L << 48)).isInstanceOf(ArchFault.class);
        assertThat(MsrAccess.read(c, SvmExtension.VM_HSAVE_PA)).isEqualTo(SvmHarness.HSAVE);
        assertThatThrownBy(() -> MsrAccess.write(c, SvmExtension.VM_CR, 1 << 5)).isInstanceOf(ArchFault.class);
        // SVMDIS while EFER.SVME = 1: #GP
        assertThatThrownBy(() -> MsrAccess.write(c, SvmExtension.VM_CR, SvmExtension.VM_CR_SVMDIS))
                .isInstanceOf(ArchFault.class);
        c.state().efer &= ~Cpu.EFER_SVME;
        MsrAccess.write(c, SvmExtension.VM_CR, SvmExtension.VM_CR_SVMDIS | SvmExtension.VM_CR_LOCK);
        // EFER.SVME is MBZ while SVMDIS = 1
        assertThatThrownBy(() -> MsrAccess.write(c, Msr.IA32_EFER, c.state().efer | Cpu.EFER_SVME))
                .isInstanceOf(ArchFault.class);
        // LOCK: writes to LOCK and SVMDIS are ignored
        MsrAccess.write(c, SvmExtension.VM_CR, 0);
        assertThat(MsrAccess.read(c, SvmExtension.VM_CR)).isEqualTo(SvmExtension.VM_CR_SVMDIS | SvmExtension.VM_CR_LOCK);
        SvmHarness h2 = new SvmHarness();
        h2.cpu.state().efer &= ~Cpu.EFER_SVME;
        MsrAccess.write(h2.cpu, Msr.IA32_EFER, h2.cpu.state().efer | Cpu.EFER_SVME);
        assertThat(h2.cpu.state().efer & Cpu.EFER_SVME).isNotZero();
    }
}
