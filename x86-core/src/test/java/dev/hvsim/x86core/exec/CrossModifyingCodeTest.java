package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cross-modifying code (SDM Vol. 3A 9.1.3 "Handling Cross-Modified Code"): one processor stores into instructions
 * another has already executed (and so decoded and cached); the other executes the new bytes the next time it
 * fetches them. CPU B runs "mov al,1" at CODE+7, then CPU A, which had written that page before (so its TLB
 * allowed direct writes), patches the immediate from another page; B then runs the instruction again.
 */
class CrossModifyingCodeTest {
    //   CODE+0: c6 05 01 00 00 00 42   (not executed here)
    //   CODE+7: b0 01                  mov al,0x1
    //   CODE+9: f4                     hlt
    private static final String TARGET = "c6 05 01 00 00 00 42 b0 01 f4";
    /** CPU A's code page. */
    private static final long A_CODE = TestCpu.CODE + 0x1000;
    // mov BYTE PTR ds:0x10100,0x0 ; hlt    (a write to B's code page, away from the instructions)
    private static final String TOUCH = "c6 04 25 00 01 01 00 00 f4";
    // mov BYTE PTR ds:0x10008,0x42 ; hlt   (the imm8 of B's "mov al,1")
    private static final String PATCH = "c6 04 25 08 00 01 00 42 f4";

    @Test
    void anotherCpusStoreReachesTheDecodedInstruction() {
        assertThat(runB(true)).isEqualTo(0x42);
    }

    @Test
    void controlWithoutASharedCodeDomainTheStaleDecodeRuns() {
        assertThat(runB(false)).isEqualTo(1);
    }

    /** AL after B runs CODE+7 again. */
    private static long runB(boolean shared) {
        TestCpu t = TestCpu.long64().code(TARGET);
        Cpu a = t.cpu;
        Cpu b = new Cpu(CpuProfile.load("intel-core"), t.bus, t.bus);
        b.state().copyFrom(a.state());
        b.setCpl(0);
        b.modeChanged();
        if (shared) {
            Cpu.shareCode(List.of(a, b));
        }
        runAt(a, TOUCH); // A's TLB now lets A write the page directly
        b.state().rip = TestCpu.CODE + 7;
        assertThat(b.run(2, Long.MAX_VALUE)).isEqualTo(StopReason.HALTED);
        assertThat(b.state().gpr[Reg.RAX] & 0xff).isEqualTo(1);
        runAt(a, PATCH);
        assertThat(t.bus.read(TestCpu.CODE + 8, 1)).isEqualTo(0x42);
        b.state().rip = TestCpu.CODE + 7;
        b.state().halted = false;
        assertThat(b.run(2, Long.MAX_VALUE)).isEqualTo(StopReason.HALTED);
        return b.state().gpr[Reg.RAX] & 0xff;
    }

    private static void runAt(Cpu c, String hex) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));
        for (int i = 0; i < code.length; i++) {
            c.physicalWritten(A_CODE + i, 1); // (a loader's write: A's own page, nothing decoded there yet)
        }
        ((dev.hvsim.x86core.testing.TestBus) c.bus()).load(A_CODE, code);
        c.state().rip = A_CODE;
        c.state().halted = false;
        assertThat(c.run(2, Long.MAX_VALUE)).isEqualTo(StopReason.HALTED);
    }
}
