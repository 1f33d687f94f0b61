package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * Intercepts and #VMEXIT (AMD APM Vol. 2 15.6, 15.8-15.13; exit codes and EXITINFO of svm-exit-codes.csv): the
 * guest at GUEST_CODE triggers the intercept; the exit has the exact EXITCODE, EXITINFO1/2 and NRIP, the guest
 * state is saved in the VMCB (RIP of the intercepted instruction, RSP, RAX, CPL), the host state is back (RIP after
 * VMRUN, CPL 0, GIF = 0, no guest).
 */
class InterceptTest {

    static void hostRestored(SvmHarness h) {
        assertThat(h.svm.inGuest()).isFalse();
        assertThat(h.cpu.guestMode().active()).isFalse();
        assertThat(h.cpu.state().rip).isEqualTo(TestCpu.CODE + 3);
        assertThat(h.cpu.state().gpr[Reg.RAX]).isEqualTo(SvmHarness.VMCB);
        assertThat(h.cpu.state().gpr[Reg.RSP]).isEqualTo(TestCpu.STACK);
        assertThat(h.cpu.cpl()).isZero();
        assertThat(h.svm.gif()).isFalse();
    }

    static void exit(SvmHarness h, SvmExit e, long code, long info1, long info2, long guestRip, long nrip) {
        assertThat(e.exitCode()).isEqualTo(code);
        assertThat(e.exitInfo1()).isEqualTo(info1);
        assertThat(e.exitInfo2()).isEqualTo(info2);
        assertThat(h.q(V.EXITCODE)).isEqualTo(code);
        assertThat(h.q(V.EXITINFO1)).isEqualTo(info1);
        assertThat(h.q(V.EXITINFO2)).isEqualTo(info2);
        assertThat(h.q(V.EXITINTINFO)).isZero();
        assertThat(h.q(V.NRIP)).isEqualTo(nrip);
        assertThat(h.q(V.RIP)).isEqualTo(guestRip);
        assertThat(h.q(V.RSP)).isEqualTo(SvmHarness.GUEST_RSP);
        assertThat(h.r(V.CPL, 1)).isZero();
        hostRestored(h);
    }

    @Test
    void cpuid() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_CPUID);
        SvmExit e = h.runGuest("90 0f a2"); // nop; cpuid
        exit(h, e, 0x72, 0, 0, SvmHarness.GUEST_CODE + 1, SvmHarness.GUEST_CODE + 3);
    }

    @Test
    void cpuidWithoutTheInterceptRunsInTheGuest() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        SvmExit e = h.runGuest("31 c0 0f a2 f4"); // xor eax,eax; cpuid; hlt
        exit(h, e, 0x78, 0, 0, SvmHarness.GUEST_CODE + 4, SvmHarness.GUEST_CODE + 5);
        assertThat(h.q(V.RAX)).isEqualTo(0xd); // leaf 0 EAX of amd-zen, saved as guest RAX
    }

    @Test
    void vmmcallAndVmrunInTheGuest() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC2, 4, 1 | 1 << V.M2_VMMCALL);
        exit(h, h.runGuest("0f 01 d9"), 0x81, 0, 0, SvmHarness.GUEST_CODE, SvmHarness.GUEST_CODE + 3);
        SvmHarness g = new SvmHarness();
        exit(g, g.runGuest("0f 01 d8"), 0x80, 0, 0, SvmHarness.GUEST_CODE, SvmHarness.GUEST_CODE + 3);
    }

    @Test
    void vmmcallNotInterceptedIsUdWhichTheExceptionVectorCatches() {
        SvmHarness h = new SvmHarness();
        h.w(V.EXCEPTIONS, 4, 1 << 6);
        exit(h, h.runGuest("0f 01 d9"), 0x46, 0, 0, SvmHarness.GUEST_CODE, 0);
    }

    @Test
    void ioioThroughTheIopm() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_IOIO);
        h.t.bus.write(SvmHarness.IOPM + (0x80 >>> 3), 1, 1); // port 80H
        // out 0x70,al (not in the IOPM: runs); out 0x80,al: TYPE 0, SZ8, A64, PORT 80H
        SvmExit e = h.runGuest("e6 70 e6 80");
        exit(h, e, 0x7b, 0x80_0000L | 0x10 | 0x200, SvmHarness.GUEST_CODE + 4, SvmHarness.GUEST_CODE + 2,
                SvmHarness.GUEST_CODE + 4);
        SvmHarness w = new SvmHarness();
        w.w(V.MISC1, 4, 1 << V.M1_IOIO);
        w.t.bus.write(SvmHarness.IOPM + (0x3fb >>> 3), 1, 1 << (0x3fb & 7)); // only port 3FBH
        // mov dx,0x3f8 ... in eax,dx at 3FAH touches 3FAH-3FDH: TYPE 1 (IN), SZ32, A64, PORT 3FAH
        e = w.runGuest("66 ba fa 03 ed");
        exit(w, e, 0x7b, 0x3fa_0000L | 1 | 0x40 | 0x200, SvmHarness.GUEST_CODE + 5, SvmHarness.GUEST_CODE + 4,
                SvmHarness.GUEST_CODE + 5);
    }

    @Test
    void msrThroughTheMsrpm() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_MSR);
        // EFER C000_0080: range 1 at byte 800H, bit pair 2 * 80H -> byte 820H bit 0 (read), bit 1 (write)
        h.t.bus.write(SvmHarness.MSRPM + 0x820, 1, 2);
        SvmExit e = h.runGuest("b9 80 00 00 c0 0f 32 0f 30"); // mov ecx,0xc0000080; rdmsr; wrmsr
        exit(h, e, 0x7c, 1, 0, SvmHarness.GUEST_CODE + 7, SvmHarness.GUEST_CODE + 9);
        SvmHarness r = new SvmHarness();
        r.w(V.MISC1, 4, 1 << V.M1_MSR);
        r.t.bus.write(SvmHarness.MSRPM + 0x820, 1, 1);
        exit(r, r.runGuest("b9 80 00 00 c0 0f 32"), 0x7c, 0, 0, SvmHarness.GUEST_CODE + 5, SvmHarness.GUEST_CODE + 7);
        SvmHarness o = new SvmHarness(); // an MSR outside the three ranges always exits
        o.w(V.MISC1, 4, 1 << V.M1_MSR);
        exit(o, o.runGuest("b9 00 00 00 40 0f 32"), 0x7c, 0, 0, SvmHarness.GUEST_CODE + 5, SvmHarness.GUEST_CODE + 7);
    }

    @Test
    void crReadsAndWrites() {
        SvmHarness h = new SvmHarness();
        h.w(V.CR_READ, 4, 1 << 3);
        exit(h, h.runGuest("0f 20 d8"), 0x03, 1L << 63, 0, SvmHarness.GUEST_CODE, SvmHarness.GUEST_CODE + 3); // mov rax,cr3
        SvmHarness w = new SvmHarness();
        w.w(V.CR_READ, 4, 1 << (16 + 3));
        // mov rax,cr3 (not intercepted); mov cr3,rax: exit 13H
        exit(w, w.runGuest("0f 20 d8 0f 22 d8"), 0x13, 1L << 63, 0, SvmHarness.GUEST_CODE + 3, SvmHarness.GUEST_CODE + 6);
    }

    @Test
    void exceptionWithErrorCode() {
        SvmHarness h = new SvmHarness();
        h.w(V.EXCEPTIONS, 4, 1 << 13);
        // mov ax,0x1234 (selector beyond the GDT); mov ds,ax: #GP(1234H & FFFC)
        SvmExit e = h.runGuest("66 b8 34 12 8e d8");
        exit(h, e, 0x4d, 0x1234, 0, SvmHarness.GUEST_CODE + 4, 0);
    }

    @Test
    void vmrunFromRootContinuesAfterVmrunOnTheNextRun() {
        SvmHarness h = new SvmHarness();
        h.w(V.MISC1, 4, 1 << V.M1_HLT);
        h.t.mem(TestCpu.CODE + 3, "0f 01 dc 90"); // stgi; nop after the VMRUN
        h.runGuest("f4");
        h.cpu.run(1, Long.MAX_VALUE);
        assertThat(h.cpu.state().rip).isEqualTo(TestCpu.CODE + 6);
        assertThat(h.svm.gif()).isTrue();
    }
}
