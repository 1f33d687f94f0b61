package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** Per-form tests of ADD/ADC/SUB/SBB/CMP/AND/OR/XOR/TEST/INC/DEC/NEG/NOT (SDM Vol. 2A/2B). */
class ArithTest {

    @Test
    void addRegRegSetsCarryAndZero64() {
        // 48 01 d8   add rax, rbx
        TestCpu t = TestCpu.long64().code("48 01 d8").reg(Reg.RAX, -1).reg(Reg.RBX, 1);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isZero();
        long f = t.cpu.state().rflags();
        assertThat(f & (Flags.CF | Flags.ZF | Flags.AF | Flags.PF)).isEqualTo(Flags.CF | Flags.ZF | Flags.AF | Flags.PF);
        assertThat(f & (Flags.OF | Flags.SF)).isZero();
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 3);
    }

    @Test
    void add32ZeroExtends() {
        // 01 d8   add eax, ebx
        TestCpu t = TestCpu.long64().code("01 d8").reg(Reg.RAX, 0xffff_ffff_7fff_ffffL).reg(Reg.RBX, 1);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x8000_0000L);
        assertThat(t.cpu.state().of()).isTrue();
        assertThat(t.cpu.state().sf()).isTrue();
    }

    @Test
    void subHighByteRegisters16BitReal() {
        // 28 e0   sub al, ah   (real mode)
        TestCpu t = TestCpu.real().code("28 e0").reg(Reg.RAX, 0x0301);
        t.step(1);
        assertThat(t.reg(Reg.RAX) & 0xffff).isEqualTo(0x03fe);
        assertThat(t.cpu.state().cf()).isTrue();
        assertThat(t.cpu.state().af()).isTrue();
    }

    @Test
    void adcUsesCarryAndSbbBorrows() {
        // 48 01 d8  add rax,rbx ; 48 11 c9  adc rcx,rcx ; 48 19 d2  sbb rdx,rdx
        TestCpu t = TestCpu.long64().code("48 01 d8 48 11 c9 48 19 d2").reg(Reg.RAX, -1).reg(Reg.RBX, 1)
                .reg(Reg.RCX, 5).reg(Reg.RDX, 0);
        t.step(2);
        assertThat(t.reg(Reg.RCX)).isEqualTo(11);
        assertThat(t.cpu.state().cf()).isFalse();
        t.step(1);
        assertThat(t.reg(Reg.RDX)).isZero();
    }

    @Test
    void memoryRmwAndImmediateForms() {
        // 83 05 10 00 00 00 ff   add dword [rip+0x10], -1
        TestCpu t = TestCpu.long64().code("83 05 10 00 00 00 ff");
        long target = TestCpu.CODE + 7 + 0x10;
        t.bus.write(target, 4, 5);
        t.step(1);
        assertThat(t.bus.read(target, 4)).isEqualTo(4);
        assertThat(t.cpu.state().cf()).isTrue();
    }

    @Test
    void incPreservesCarryAndLockOnRegisterIsUd() {
        // f9 stc ; 48 ff c0 inc rax   -- STC lives in FlagOps; use sub to set CF instead:
        // 48 29 d8 sub rax,rbx (0-1 sets CF) ; 48 ff c1 inc rcx
        TestCpu t = TestCpu.long64().code("48 29 d8 48 ff c1").reg(Reg.RAX, 0).reg(Reg.RBX, 1).reg(Reg.RCX, 0x7f);
        t.step(2);
        assertThat(t.reg(Reg.RCX)).isEqualTo(0x80);
        assertThat(t.cpu.state().cf()).isTrue();
    }

    @Test
    void hltStops() {
        // f4 hlt
        TestCpu t = TestCpu.real().code("f4");
        assertThat(t.runToHlt()).isEqualTo(StopReason.HALTED);
    }
}
