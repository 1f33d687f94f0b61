package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** STAC/CLAC (SDM Vol. 2A CLAC, Vol. 2B STAC) and RDPKRU/WRPKRU (SDM Vol. 2B). */
class SmapPkuTest {

    /** Runs one instruction with an IDT-less CPU and returns the vector of the fault it raised, or -1. */
    private static int faultOf(TestCpu t) {
        int[] v = {-1};
        t.cpu.setListener(new dev.hvsim.x86core.ExecutionListener() {
            @Override
            public void onEvent(Cpu cpu, int vector, int errorCode, boolean external) {
                if (v[0] < 0) {
                    v[0] = vector;
                }
            }
        });
        t.step(1);
        return v[0];
    }

    @Test
    void stacSetsAndClacClearsAcAtCpl0() {
        // 0f 01 cb   stac ; 0f 01 ca   clac
        TestCpu t = TestCpu.long64().code("0f01cb 0f01ca");
        t.step(1);
        assertThat(t.cpu.state().flagsRest & Flags.AC).isNotZero();
        t.step(1);
        assertThat(t.cpu.state().flagsRest & Flags.AC).isZero();
    }

    @Test
    void stacIsUdAtCpl3() {
        // 0f 01 cb   stac  (CPL 3)
        TestCpu t = TestCpu.long64().code("0f01cb");
        t.cpu.setCpl(3);
        assertThat(faultOf(t)).isEqualTo(Vectors.UD);
    }

    @Test
    void wrpkruThenRdpkruRoundTripsAndChecksEcxEdx() {
        // 0f 01 ef   wrpkru ; 31 c0  xor eax,eax ; 0f 01 ee   rdpkru
        TestCpu t = TestCpu.long64().code("0f01ef 31c0 0f01ee");
        t.cpu.state().cr4 |= Cpu.CR4_PKE;
        t.reg(Reg.RAX, 0x0000_000c).reg(Reg.RCX, 0).reg(Reg.RDX, 0);
        t.step(3);
        assertThat(t.cpu.state().pkru).isEqualTo(0xc);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xc);
        assertThat(t.reg(Reg.RDX)).isZero();
        // wrpkru with EDX != 0 is #GP(0)
        TestCpu g = TestCpu.long64().code("0f01ef");
        g.cpu.state().cr4 |= Cpu.CR4_PKE;
        g.reg(Reg.RCX, 0).reg(Reg.RDX, 1);
        assertThat(faultOf(g)).isEqualTo(Vectors.GP);
        // rdpkru with CR4.PKE = 0 is #UD
        TestCpu u = TestCpu.long64().code("0f01ee");
        u.reg(Reg.RCX, 0);
        assertThat(faultOf(u)).isEqualTo(Vectors.UD);
    }
}
