package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.hvsim.x86core.testing.TestCpu;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random byte streams executed from random register states in 16-, 32- and 64-bit code. The model may
 * only ever produce architectural events (faults delivered to handlers, shutdown, halt); it must never
 * throw any other Java exception and never hang. Cases: {@code -Dhvsim.fuzz.cases=N} (default 100,000
 * across the three modes), seed: {@code -Dhvsim.fuzz.seed=S} (printed on failure).
 */
class RobustnessTest {
    private static final long HANDLER = 0x600;
    private static final int INSNS_PER_CASE = 24;
    private static final int REBUILD_EVERY = 2000;

    @Test
    void randomByteStreamsOnlyProduceArchitecturalEvents() {
        int cases = Integer.getInteger("hvsim.fuzz.cases", 100_000);
        long seed = Long.getLong("hvsim.fuzz.seed", 0x5eed_f022L);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<StopReason, Integer> outcomes = new EnumMap<>(StopReason.class);
        TestCpu[] cpus = new TestCpu[3];
        CpuState[] base = new CpuState[3];
        for (int i = 0; i < cases; i++) {
            int mode = i % 3;
            if (i % REBUILD_EVERY < 3) {
                cpus[mode] = build(mode, i % 2 == 0 ? "intel-core" : "amd-zen");
                base[mode] = cpus[mode].cpu.state().copy();
            }
            TestCpu t = cpus[mode];
            byte[] code = new byte[1 + rnd.nextInt(48)];
            rnd.nextBytes(code);
            t.cpu.state().copyFrom(base[mode]);
            randomize(t.cpu.state(), rnd, mode);
            t.bus.load(TestCpu.CODE, code);
            t.cpu.flushDecodeCache();
            t.cpu.mmu().flushAll();
            t.cpu.modeChanged();
            long start = System.nanoTime();
            StopReason r;
            try {
                r = t.cpu.run(INSNS_PER_CASE, Long.MAX_VALUE);
            } catch (Throwable e) {
                throw new AssertionError(describe(seed, i, mode, code) + ": " + e, e);
            }
            if (System.nanoTime() - start > 2_000_000_000L) {
                fail(describe(seed, i, mode, code) + ": took more than 2 s for " + INSNS_PER_CASE + " instructions");
            }
            outcomes.merge(r, 1, Integer::sum);
        }
        // The campaign must exercise more than one kind of outcome, or it tested nothing.
        assertThat(outcomes.keySet()).as("outcomes %s", outcomes).hasSizeGreaterThan(1);
    }

    private static String describe(long seed, int i, int mode, byte[] code) {
        return "seed=" + Long.toHexString(seed) + " case=" + i + " mode=" + new String[] {"real16", "prot32", "long64"}[mode]
                + " bytes=" + HexFormat.of().formatHex(code);
    }

    private static TestCpu build(int mode, String profile) {
        TestCpu t = mode == 0 ? TestCpu.real(profile) : mode == 1 ? TestCpu.protectedFlat(32, profile)
                : TestCpu.long64(profile);
        t.bus.write(HANDLER, 1, 0xF4); // every vector's handler is HLT (IF = 0: halted for good)
        CpuState s = t.cpu.state();
        if (mode == 0) {
            for (int v = 0; v < 256; v++) {
                t.bus.write(v * 4L, 4, HANDLER);
            }
            s.idtrBase = 0;
            s.idtrLimit = 0x3ff;
        } else if (mode == 1) {
            for (int v = 0; v < 256; v++) {
                t.bus.write(TestCpu.IDT + v * 8L, 8, gate32(HANDLER, 0x08));
            }
            s.idtrBase = TestCpu.IDT;
            s.idtrLimit = 256 * 8 - 1;
        } else {
            for (int v = 0; v < 256; v++) {
                t.bus.write(TestCpu.IDT + v * 16L, 8, gate32(HANDLER, 0x18));
                t.bus.write(TestCpu.IDT + v * 16L + 8, 8, 0);
            }
            s.idtrBase = TestCpu.IDT;
            s.idtrLimit = 256 * 16 - 1;
        }
        return t;
    }

    private static long gate32(long offset, int sel) {
        return (offset & 0xffff) | ((long) sel << 16) | (0x8eL << 40) | ((offset >>> 16) << 48);
    }

    private static void randomize(CpuState s, SplittableRandom rnd, int mode) {
        for (int r = 0; r < 16; r++) {
            long v = rnd.nextLong();
            s.gpr[r] = switch (rnd.nextInt(4)) {
                case 0 -> v;
                case 1 -> v & 0xffff;
                case 2 -> TestCpu.DATA + (v & 0xfff);
                default -> v & 0xff;
            };
        }
        s.gpr[Reg.RSP] = mode == 0 ? 0xff00 : TestCpu.STACK - (rnd.nextInt(64) * 8L);
        s.setRflags(Flags.FIXED1 | (rnd.nextLong() & (Flags.OSZAPC | Flags.DF)));
    }
}
