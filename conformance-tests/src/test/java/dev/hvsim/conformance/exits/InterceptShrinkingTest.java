package dev.hvsim.conformance.exits;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvsim.conformance.campaign.InterceptCases;
import dev.hvsim.conformance.campaign.Repro;
import dev.hvsim.conformance.campaign.SvmIntercepts;
import dev.hvsim.conformance.campaign.VmxIntercepts;
import dev.hvsim.conformance.gen.VmxCpu;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Shrinking and reproduction files of the intercept properties, on a deliberately wrong expectation (a snippet that
 * claims CPUID never exits): the shrunk configuration keeps only what makes it fail, and the reproduction file read
 * back runs to the same failure. Campaign cases that hold give no failure.
 */
class InterceptShrinkingTest {
    static final long SEED = Long.getLong("hvsim.conform.seed", 20261126L);

    /** CPUID with the wrong rule "never exits". */
    static final SvmIntercepts.Snippet WRONG_SVM = new SvmIntercepts.Snippet() {
        public String name() { return "CPUID"; }
        public byte[] bytes(SvmIntercepts.Setup s, SplittableRandom r) { return new byte[] {0x0f, (byte) 0xa2}; }
        public SvmIntercepts.Expect expect(SvmIntercepts.Setup s, int length) {
            return new SvmIntercepts.Expect(-100, 0, 0, 0);
        }
    };

    static final VmxIntercepts.Snippet WRONG_VMX = new VmxIntercepts.Snippet() {
        public String name() { return "CPUID"; }
        public byte[] bytes(VmxIntercepts.Setup s, SplittableRandom r) { return new byte[] {0x0f, (byte) 0xa2}; }
        public VmxIntercepts.Expect expect(VmxIntercepts.Setup s) { return new VmxIntercepts.Expect(-1, 0); }
    };

    @Test
    void svmShrinksToTheCpuidInterceptAndTheFileReproduces() throws Exception {
        SvmIntercepts.Trial t = null;
        for (long s = SEED; t == null; s++) {        // a configuration that intercepts CPUID and much else
            SvmIntercepts.Trial c = SvmIntercepts.generate(new SplittableRandom(s), WRONG_SVM);
            if (c.config().misc1(18) && !c.config().iopm().isEmpty() && c.config().cr() != 0) {
                t = c;
            }
        }
        assertThat(SvmIntercepts.run(t, WRONG_SVM).problem()).startsWith("CPUID: exit 72");
        SvmIntercepts.Trial small = SvmIntercepts.shrink(t, WRONG_SVM);
        assertThat(small.config().misc1()).isEqualTo(1L << 18);
        assertThat(small.config().misc2()).isEqualTo(3L);             // VMRUN and VMMCALL stay (not random)
        assertThat(small.config().cr() | small.config().dr() | small.config().misc3()).isZero();
        assertThat(small.config().iopm()).isEmpty();
        assertThat(small.config().msrpm()).isEmpty();
        String file = Repro.text(SvmIntercepts.repro(small, SvmIntercepts.run(small, WRONG_SVM).problem()));
        SvmIntercepts.Trial back = SvmIntercepts.fromRepro(new ObjectMapper().readTree(file));
        assertThat(SvmIntercepts.run(back, WRONG_SVM).problem()).isEqualTo(SvmIntercepts.run(small, WRONG_SVM).problem());
        assertThat(SvmIntercepts.run(back).problem()).as("the real row holds").isNull();
    }

    @Test
    void vmxShrinksToNoRandomControlAndTheFileReproduces() throws Exception {
        VmxIntercepts.Trial t = VmxIntercepts.generate(VmxCpu.intelCore(), new SplittableRandom(SEED), WRONG_VMX);
        assertThat(VmxIntercepts.run(t, WRONG_VMX).problem()).startsWith("CPUID: reason 10");
        VmxIntercepts.Trial small = VmxIntercepts.shrink(t, WRONG_VMX);
        long proc = small.c().get("CPU_BASED_VM_EXEC_CONTROL");
        for (int bit : new int[] {7, 9, 10, 11, 12, 15, 16, 19, 20, 23, 24, 25, 28, 29, 30}) {
            assertThat(proc & 1L << bit).as("control bit %d", bit).isZero();   // CPUID exits unconditionally (26.1.2)
        }
        assertThat(small.c().get("SECONDARY_VM_EXEC_CONTROL") & (1L << 2 | 1L << 3 | 1L << 6 | 1L << 11 | 1L << 12 | 1L << 16))
                .isZero();
        assertThat(small.c().get("CR0_GUEST_HOST_MASK") | small.c().get("CR4_GUEST_HOST_MASK")).isZero();
        String file = Repro.text(VmxIntercepts.repro(small, VmxIntercepts.run(small, WRONG_VMX).problem()));
        VmxIntercepts.Trial back = VmxIntercepts.fromRepro(new ObjectMapper().readTree(file));
        assertThat(VmxIntercepts.run(back, WRONG_VMX).problem()).isEqualTo(VmxIntercepts.run(small, WRONG_VMX).problem());
        assertThat(VmxIntercepts.run(back).problem()).as("the real row holds").isNull();
    }

    @Test
    void campaignCasesHold() {
        for (long s = 0; s < 12; s++) {
            assertThat(InterceptCases.vmx(SEED + s)).isEmpty();
            assertThat(InterceptCases.svm(SEED + s)).isEmpty();
            assertThat(InterceptCases.crossVendor(SEED + s)).isEmpty();
        }
    }
}
