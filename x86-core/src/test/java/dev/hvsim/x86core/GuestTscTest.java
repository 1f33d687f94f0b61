package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hvsim.x86core.testing.TestCpu;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link Cpu#readTsc}: the TSC software reads while a guest mode has set a multiplier and offset
 * ({@link Cpu#setGuestTsc}, e.g. VMX TSC scaling and offsetting): ((TSC * multiplier) >> 48) + offset with a 128-bit
 * unsigned product, checked against {@link BigInteger} for random TSC values, multipliers and offsets.
 */
class GuestTscTest {
    private static final long SEED = Long.getLong("hvsim.tsc.seed", 0x7473_635f_6d75_6cL);

    private static long expected(long tsc, long multiplier, long offset) {
        BigInteger t = new BigInteger(Long.toUnsignedString(tsc)), m = new BigInteger(Long.toUnsignedString(multiplier));
        return t.multiply(m).shiftRight(48).longValue() + offset;
    }

    @Test
    void scaledTscMatchesTheWideProduct() {
        Cpu cpu = TestCpu.long64("intel-core").cpu;
        qt().withFixedSeed(SEED).withExamples(500).forAll(longs().all(), longs().all(), longs().all())
                .checkAssert((tsc, multiplier, offset) -> {
                    cpu.setTsc(tsc);
                    cpu.setGuestTsc(multiplier, offset);
                    assertThat(cpu.readTsc()).isEqualTo(expected(tsc, multiplier, offset));
                    assertThat(cpu.tsc()).as("the TSC itself is unchanged").isEqualTo(tsc);
                });
    }

    @Test
    void withoutAGuestViewReadTscIsTheTsc() {
        Cpu cpu = TestCpu.long64("intel-core").cpu;
        cpu.setTsc(0x8000_0000_0000_0001L);
        assertThat(cpu.readTsc()).isEqualTo(0x8000_0000_0000_0001L);
        cpu.setGuestTsc(2L << 48, 3);
        assertThat(cpu.readTsc()).isEqualTo(0x0000_0000_0000_0005L);   // 2 * TSC mod 2^64 + 3
        cpu.clearGuestTsc();
        assertThat(cpu.readTsc()).isEqualTo(cpu.tsc());
    }
}
