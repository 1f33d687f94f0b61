package dev.hvsim.svm;

import static dev.hvsim.svm.InterceptTest.exit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import org.junit.jupiter.api.Test;

/**
 * The intercepts that end the step with {@code Cpu.exitWithoutUnwinding} instead of a thrown signal (CPUID and the
 * other central-check intercepts, non-string IOIO, MSR, VMMCALL and the SVM instructions): the intercepted
 * instruction does not retire and has none of its effects (APM Vol. 2 15.9: an intercepted instruction is not
 * executed; 15.10, 15.11: the port and the MSR are not accessed), and where two intercepts could apply only the first
 * one is taken.
 */
class ExitWithoutUnwindingTest {
    private static final long G = SvmHarness.GUEST_CODE;

    @Test
    void theInterceptedInstructionDoesNotRetire() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_CPUID);
        long before = h.cpu.instructions();
        exit(h, h.runGuest("90 90 0f a2"), 0x72, 0, 0, G + 2, G + 4); // nop; nop; cpuid
        assertThat(h.cpu.instructions() - before).isEqualTo(3); // VMRUN and the two NOPs
        assertThat(h.cpu.vmExitTaken()).isFalse(); // the step took the exit
    }

    @Test
    void anInterceptedRdmsrWritesNeitherRaxNorRdx() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_MSR);
        h.t.bus.write(SvmHarness.MSRPM + 0x820, 1, 1); // EFER read
        // mov eax,11111111h; mov edx,22222222h; mov ecx,C0000080h; rdmsr
        SvmExit e = h.runGuest("b8 11 11 11 11 ba 22 22 22 22 b9 80 00 00 c0 0f 32");
        exit(h, e, 0x7c, 0, 0, G + 15, G + 17);
        assertThat(h.q(V.RAX)).isEqualTo(0x11111111L);
        assertThat(h.cpu.state().gpr[Reg.RDX]).isEqualTo(0x22222222L);
    }

    @Test
    void anInterceptedWrmsrDoesNotWriteTheMsr() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_MSR);
        h.t.bus.write(SvmHarness.MSRPM + (2 * 0x174 + 1) / 8, 1, 1 << ((2 * 0x174 + 1) & 7)); // SYSENTER_CS write
        long old = h.cpu.state().msr(Msr.IA32_SYSENTER_CS);
        // mov eax,1234h; xor edx,edx; mov ecx,174h; wrmsr
        SvmExit e = h.runGuest("b8 34 12 00 00 31 d2 b9 74 01 00 00 0f 30");
        exit(h, e, 0x7c, 1, 0, G + 12, G + 14);
        assertThat(h.cpu.state().msr(Msr.IA32_SYSENTER_CS)).isEqualTo(old).isNotEqualTo(0x1234);
    }

    @Test
    void anInterceptedInWritesNoRegister() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_IOIO);
        h.t.bus.write(SvmHarness.IOPM + (0x80 >>> 3), 1, 1); // port 80H
        SvmExit e = h.runGuest("b8 11 11 11 11 e4 80"); // mov eax,11111111h; in al,80h: TYPE 1, SZ8, A64
        exit(h, e, 0x7b, 0x80_0000L | 1 | 0x10 | 0x200, G + 7, G + 5, G + 7);
        assertThat(h.q(V.RAX)).isEqualTo(0x11111111L);
    }

    @Test
    void lmswWithBothCr0WriteInterceptsTakesTheNonSelectiveOneOnly() {
        SvmHarness h = new SvmHarness();
        h.w(V.CR_READ, 4, 1 << 16); // CR0 write
        h.w(V.MISC1, 4, 1 << V.M1_CR0_SEL);
        exit(h, h.runGuest("0f 01 f0"), 0x10, 0, 0, G, G + 3); // lmsw ax (APM Table 15-7)
    }

    @Test
    void anInterceptedVmloadLoadsNothingAndAnInterceptedVmsaveStoresNothing() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC2, 4, 1 | 1 << V.M2_VMLOAD);
        long fsBase = h.cpu.state().seg[Reg.FS].base;
        h.t.bus.write(SvmHarness.VMCB + 0x2000 + V.FS + 8, 8, 0x123456789000L); // a VMLOAD source page's FS base
        // mov eax,VMCB+2000h; vmload: exit 82H, FS untouched
        SvmExit e = h.runGuest("b8 00 30 40 00 0f 01 da");
        exit(h, e, 0x82, 0, 0, G + 5, G + 8);
        assertThat(h.cpu.state().seg[Reg.FS].base).isEqualTo(fsBase);

        SvmHarness s = new SvmHarness();
        s.w(V.MISC2, 4, 1 | 1 << V.M2_VMSAVE);
        s.t.bus.write(SvmHarness.VMCB + 0x2000 + V.STAR, 8, 0x5a5a);
        exit(s, s.runGuest("b8 00 30 40 00 0f 01 db"), 0x83, 0, 0, G + 5, G + 8);
        assertThat(s.t.bus.read(SvmHarness.VMCB + 0x2000 + V.STAR, 8)).isEqualTo(0x5a5a);
    }

    @Test
    void anInterceptedStgiOrClgiExitsWithItsOwnCode() {
        for (int bit : new int[] {V.M2_STGI, V.M2_CLGI}) {
            SvmHarness h = new SvmHarness();
            h.w(V.MISC2, 4, 1 | 1 << bit);
            SvmExit e = h.runGuest(bit == V.M2_STGI ? SvmHarness.STGI : SvmHarness.CLGI);
            exit(h, e, bit == V.M2_STGI ? 0x84 : 0x85, 0, 0, G, G + 3);
        }
    }
}
