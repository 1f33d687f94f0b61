package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** IN/OUT, INS/OUTS with REP, and I/O permission (SDM Vol. 2A/2B; Vol. 1 19.5). */
class IoTest {
    static final int GP = 13;

    @Test
    void repInsbAndOutsw() {
        // f3 6c   rep insb (ES:EDI <- port DX), 3 times
        TestCpu t = TestCpu.protectedFlat(32).code("f3 6c").reg(Reg.RDX, 0x60).reg(Reg.RCX, 3).reg(Reg.RDI, TestCpu.DATA);
        t.bus.inValues.put(0x60, 0x5aL);
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA, 4)).isEqualTo(0x005a_5a5aL);
        assertThat(t.reg(Reg.RDI)).isEqualTo(TestCpu.DATA + 3);
        assertThat(t.reg(Reg.RCX)).isZero();
        // 66 6f   outsw (DS:ESI -> port DX) with DF = 1
        t = TestCpu.protectedFlat(32).code("66 6f").reg(Reg.RDX, 0xe9).reg(Reg.RSI, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 2, 0x4241);
        t.cpu.state().flagsRest |= Flags.DF;
        t.step(1);
        assertThat(t.bus.ioLog.get(0)).containsExactly(1, 0xe9, 2, 0x4241);
        assertThat(t.reg(Reg.RSI)).isEqualTo(TestCpu.DATA - 2);
        // real mode 16-bit address size: f3 6e   rep outsb with CX = 2
        t = TestCpu.real().code("f3 6e").reg(Reg.RDX, 0xe9).reg(Reg.RCX, 2).reg(Reg.RSI, 0x200);
        t.bus.write(0x200, 2, 0x6968);
        t.step(1);
        assertThat(t.bus.console.toString()).isEqualTo("hi");
        // 64-bit: 6d   insd
        t = TestCpu.long64().code("6d").reg(Reg.RDX, 0x70).reg(Reg.RDI, TestCpu.DATA);
        t.bus.inValues.put(0x70, 0x1234_5678L);
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA, 4)).isEqualTo(0x1234_5678L);
    }

    @Test
    void longRepIsSplitIntoChunks() {
        TestCpu t = TestCpu.protectedFlat(32).code("f3 6e").reg(Reg.RDX, 0x80).reg(Reg.RCX, Io.CHUNK + 5)
                .reg(Reg.RSI, TestCpu.DATA);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isEqualTo(5);
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isZero();
        assertThat(t.bus.ioLog).hasSize(Io.CHUNK + 5);
    }

    @Test
    void insFaultDoesNotReadThePort() {
        // ES limit in real mode: f3 6c with DI = 0xffff, byte fits; 66 6d (insd) at 0xfffe does not
        TestCpu t = TestCpu.real().code("66 6d").reg(Reg.RDX, 0x60).reg(Reg.RDI, 0xfffe);
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.bus.ioLog).isEmpty();
    }

    @Test
    void ioPermissionBitmap() {
        // CPL 3, IOPL 0: the TSS bitmap decides; port 0x60 allowed, 0x61 denied
        TestCpu t = TestCpu.protectedFlat(32).user().tss32(0x40000, 0x10);
        t.gdt(8, TestCpu.desc(TestCpu.TSS, 0x68 + 0x20, 0x8b, 0));
        t.cpu.state().tr.set(0x40, TestCpu.TSS, 0x68 + 0x20, 0x8b);
        t.bus.write(TestCpu.TSS + 0x68 + 0x0c, 1, 0x02); // ports 0x60..0x67: 0x61 denied
        assertThat(t.code("e4 60").fault()).isNull();
        assertThat(t.code("e4 61").fault()).containsExactly(GP, 0);
        // a word access to 0x60 covers 0x61: denied
        assertThat(t.code("66 e5 60").fault()).containsExactly(GP, 0);
        // IOPL 3 bypasses the bitmap outside virtual-8086 mode
        t.cpu.state().flagsRest |= Flags.IOPL;
        assertThat(t.code("e4 61").fault()).isNull();
        // beyond the TSS limit: #GP(0)
        assertThat(t.code("ec").reg(Reg.RDX, 0x1000).fault()).isNull();
        t.cpu.state().flagsRest &= ~Flags.IOPL;
        assertThat(t.code("ec").reg(Reg.RDX, 0x1000).fault()).containsExactly(GP, 0);
    }
}
