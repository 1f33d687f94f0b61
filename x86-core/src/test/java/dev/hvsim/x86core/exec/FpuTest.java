package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** x87 state instructions, FXSAVE/FXRSTOR and the CR0.EM/MP/TS rules (SDM Vol. 2A; Vol. 3A Table 2-2). */
class FpuTest {
    static final int UD = 6, NM = 7, GP = 13, MF = 16;

    @Test
    void fninitFnstswFnstcwFldcw() {
        // db e3 fninit ; d9 38 fnstcw [eax] ; d9 2b fldcw [ebx] ; df e0 fnstsw ax ; dd 39 fnstsw [ecx] ; d9 d0 fnop
        TestCpu t = TestCpu.protectedFlat(32).code("db e3 d9 38 d9 2b df e0 dd 39 d9 d0")
                .reg(Reg.RAX, TestCpu.DATA).reg(Reg.RBX, TestCpu.DATA + 0x10).reg(Reg.RCX, TestCpu.DATA + 0x20);
        t.cpu.state().fsw = 0x0001; // pending invalid-operation (masked by FNINIT's FCW, then unmasked)
        t.bus.write(TestCpu.DATA + 0x10, 2, 0x037e);
        t.step(2);
        assertThat(t.bus.read(TestCpu.DATA, 2)).isEqualTo(0x037f);
        t.cpu.state().fsw = 0x0001;
        t.step(2);
        assertThat(t.cpu.state().fcw).isEqualTo(0x037e);
        assertThat(t.reg(Reg.RAX) & 0xffff).isEqualTo(0x8081); // IE with ES and B set
        t.step(2);
        assertThat(t.bus.read(TestCpu.DATA + 0x20, 2)).isEqualTo(0x8081);
        assertThat(t.events).isEmpty();
    }

    @Test
    void fwaitRaisesPendingUnmaskedException() {
        // 9b   fwait with FSW.ES and CR0.NE
        TestCpu t = TestCpu.protectedFlat(32).code("9b");
        t.cpu.state().fsw = 0x8081;
        t.cpu.state().cr0 |= Cpu.CR0_NE;
        assertThat(t.fault()).containsExactly(MF, -1);
        assertThat(TestCpu.protectedFlat(32).code("9b").fault()).isNull();
    }

    @Test
    void emAndTsRules() {
        // x87: EM or TS -> #NM ; FWAIT: #NM only with MP and TS ; FXSAVE: EM -> #UD, TS -> #NM
        Object[][] cases = {
            {"db e3", Cpu.CR0_EM, NM}, {"db e3", Cpu.CR0_TS, NM}, {"9b", Cpu.CR0_TS, null},
            {"9b", Cpu.CR0_TS | Cpu.CR0_MP, NM}, {"9b", Cpu.CR0_EM, null}, {"0f ae 00", Cpu.CR0_EM, UD},
            {"0f ae 00", Cpu.CR0_TS, NM}, {"d8 c1", 0L, UD}, {"d8 c1", Cpu.CR0_TS, NM}, {"de f9", 0L, UD}};
        for (Object[] c : cases) {
            TestCpu t = TestCpu.protectedFlat(32).code((String) c[0]).reg(Reg.RAX, TestCpu.DATA);
            t.cpu.state().cr0 |= (long) c[1];
            int[] f = t.fault();
            if (c[2] == null) {
                assertThat(f).as("%s cr0 %x", c[0], c[1]).isNull();
            } else {
                assertThat(f).as("%s cr0 %x", c[0], c[1]).containsExactly((int) c[2], -1);
            }
        }
    }

    @Test
    void fxsaveFxrstorRoundTrip() {
        // 0f ae 00   fxsave [eax] ; 0f ae 08   fxrstor [eax]
        TestCpu t = TestCpu.long64().code("0f ae 00 0f ae 08").reg(Reg.RAX, TestCpu.DATA);
        var s = t.cpu.state();
        s.fcw = 0x027f;
        s.fsw = 0x3800;
        s.ftwAbridged = 0x81;
        s.mxcsr = 0x1fa0;
        s.fpr[10] = 0x42;
        s.xmm[30] = 0x1111;
        s.xmm[31] = 0x2222;
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA, 2)).isEqualTo(0x027f);
        assertThat(t.bus.read(TestCpu.DATA + 4, 1)).isEqualTo(0x81);
        assertThat(t.bus.read(TestCpu.DATA + 24, 4)).isEqualTo(0x1fa0);
        assertThat(t.bus.read(TestCpu.DATA + 28, 4)).isEqualTo(0xffff);
        assertThat(t.bus.read(TestCpu.DATA + 48, 1)).isEqualTo(0x42);
        assertThat(t.bus.read(TestCpu.DATA + 160 + 15 * 16, 8)).isEqualTo(0x1111);
        var saved = s.copy();
        s.fcw = 0; s.fsw = 0; s.ftwAbridged = 0; s.mxcsr = 0; s.fpr[10] = 0; s.xmm[30] = 0; s.xmm[31] = 0;
        t.step(1);
        saved.rip = s.rip; // everything but RIP is back
        assertThat(s.diff(saved)).isEmpty();
    }

    @Test
    void fxsaveAlignmentAndMxcsrReservedBits() {
        assertThat(TestCpu.protectedFlat(32).code("0f ae 00").reg(Reg.RAX, TestCpu.DATA + 8).fault()).containsExactly(GP, 0);
        TestCpu t = TestCpu.protectedFlat(32).code("0f ae 08").reg(Reg.RAX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA + 24, 4, 0x1_0000);
        t.cpu.state().fcw = 0x1234;
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.cpu.state().fcw).isEqualTo(0x1234);
        // 32-bit layout: FPU CS at offset 12; 64-bit REX.W layout: 64-bit FIP at offset 8
        t = TestCpu.protectedFlat(32).code("0f ae 00").reg(Reg.RAX, TestCpu.DATA);
        t.cpu.state().fip = 0x1234_5678L;
        t.cpu.state().fcs = 0x08;
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA + 8, 4)).isEqualTo(0x1234_5678L);
        assertThat(t.bus.read(TestCpu.DATA + 12, 2)).isEqualTo(8);
        t = TestCpu.long64().code("48 0f ae 00").reg(Reg.RAX, TestCpu.DATA);
        t.cpu.state().fip = 0x1_2345_6789L;
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA + 8, 8)).isEqualTo(0x1_2345_6789L);
    }
}
