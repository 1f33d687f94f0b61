package dev.hvsim.svm;

import static dev.hvsim.svm.SvmHarness.GUEST_CODE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.CpuExtension.SignalAction;
import dev.hvsim.x86core.StopReason;
import org.junit.jupiter.api.Test;

/**
 * INIT and SVM (APM Vol. 2 15.17, Table B-1 word 3 bit 3, Appendix C exit 63H): GIF = 0 holds INIT pending; a guest
 * with the INIT intercept exits with #VMEXIT(INIT) at its next instruction boundary and the INIT stays pending for
 * the host; without the intercept the platform applies it.
 */
class InitInterceptTest {
    /** The guest spins (EB FE) so that only the INIT can end the run with a #VMEXIT. */
    private static final String SPIN = "eb fe";

    private static SvmHarness guestRunning(boolean intercept) {
        SvmHarness h = new SvmHarness();
        if (intercept) {
            h.w(V.MISC1, 4, h.r(V.MISC1, 4) | 1L << V.M1_INIT);
        }
        h.t.mem(GUEST_CODE, SPIN);
        h.t.reg(dev.hvsim.x86core.Reg.RAX, SvmHarness.VMCB);
        h.t.code(SvmHarness.VMRUN).step(1);
        assertThat(h.svm.inGuest()).isTrue();
        assertThat(h.cpu.run(50, Long.MAX_VALUE)).as("spinning in the guest").isNotEqualTo(StopReason.VM_EXIT);
        return h;
    }

    @Test
    void anInterceptedInitExitsAtTheNextBoundaryAndStaysPendingForTheHost() {
        SvmHarness h = guestRunning(true);
        assertThat(h.svm.init(h.cpu)).as("held: the exit comes first").isEqualTo(SignalAction.HELD);
        assertThat(h.cpu.run(50, Long.MAX_VALUE)).isEqualTo(StopReason.VM_EXIT);
        assertThat(h.q(V.EXITCODE)).isEqualTo(ExitCode.INIT).isEqualTo(0x63);
        assertThat(h.q(V.EXITINFO1)).isZero();
        assertThat(h.q(V.EXITINFO2)).isZero();
        assertThat(h.q(V.RIP)).isEqualTo(GUEST_CODE);
        assertThat(h.svm.inGuest()).isFalse();
        assertThat(h.svm.gif()).isFalse();
        assertThat(h.svm.init(h.cpu)).as("GIF = 0 after #VMEXIT holds the INIT").isEqualTo(SignalAction.HELD);
        h.t.code(SvmHarness.STGI).step(1);
        assertThat(h.svm.gif()).isTrue();
        assertThat(h.svm.init(h.cpu)).as("the host at GIF = 1 takes it").isEqualTo(SignalAction.PLATFORM);
    }

    @Test
    void anInitNotInterceptedIsThePlatformsAndLeavesGuestModeWithoutAnExit() {
        SvmHarness h = guestRunning(false);
        h.w(V.EXITCODE, 8, 0x1234);
        assertThat(h.svm.init(h.cpu)).isEqualTo(SignalAction.PLATFORM);
        assertThat(h.svm.inGuest()).isFalse();
        assertThat(h.cpu.guestMode().active()).isFalse();
        assertThat(h.svm.gif()).isTrue();
        assertThat(h.q(V.EXITCODE)).as("no #VMEXIT written").isEqualTo(0x1234);
    }

    @Test
    void clgiHoldsInitInTheHost() {
        SvmHarness h = new SvmHarness();
        h.t.code(SvmHarness.CLGI).step(1);
        assertThat(h.svm.init(h.cpu)).isEqualTo(SignalAction.HELD);
        h.t.code(SvmHarness.STGI).step(1);
        assertThat(h.svm.init(h.cpu)).isEqualTo(SignalAction.PLATFORM);
    }
}
