package dev.hvsim.svm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.hvsim.x86core.Cpu;
import org.junit.jupiter.api.Test;

/**
 * Property of the selective CR0-write intercept (APM Vol. 2 15.9, Table 15-7): for any valid long-mode CR0 before
 * and after a guest MOV to CR0, the write exits with code 65H exactly when it changes a bit other than TS and MP;
 * otherwise it is committed. The varied bits are MP, EM, TS, NE, WP, AM and CD (PE, PG and ET stay 1, NW 0).
 */
class SelectiveCr0PropertyTest {
    static final long[] BITS = {Cpu.CR0_MP, Cpu.CR0_EM, Cpu.CR0_TS, Cpu.CR0_NE, Cpu.CR0_WP, Cpu.CR0_AM, Cpu.CR0_CD};
    static final long FIXED = Cpu.CR0_PE | Cpu.CR0_ET | Cpu.CR0_PG;

    static long cr0(int mask) {
        long v = FIXED;
        for (int i = 0; i < BITS.length; i++) {
            v |= (mask >>> i & 1) != 0 ? BITS[i] : 0;
        }
        return v;
    }

    @Test
    void exitsExactlyWhenABitOtherThanTsOrMpChanges() {
        qt().withFixedSeed(0x5356_4d43_5230L).withExamples(128)
                .forAll(integers().between(0, 127), integers().between(0, 127))
                .checkAssert((before, after) -> check(cr0(before), cr0(after)));
    }

    static void check(long before, long after) {
        SvmHarness h = new SvmHarness();
        h.w(V.CR0, 8, before);
        h.w(V.MISC1, 4, 1 << V.M1_CR0_SEL | 1 << V.M1_HLT);
        StringBuilder imm = new StringBuilder("48 b8"); // mov rax,imm64; mov cr0,rax; hlt
        for (int i = 0; i < 8; i++) {
            imm.append(String.format(" %02x", after >>> (8 * i) & 0xff));
        }
        SvmExit e = h.runGuest(imm + " 0f 22 c0 f4");
        boolean selective = ((before ^ after) & ~(Cpu.CR0_TS | Cpu.CR0_MP)) != 0;
        assertThat(e.exitCode()).isEqualTo(selective ? 0x65L : 0x78L);
        assertThat(h.q(V.CR0)).isEqualTo(selective ? before : after);
        assertThat(h.q(V.RIP)).isEqualTo(SvmHarness.GUEST_CODE + (selective ? 10 : 13));
    }
}
