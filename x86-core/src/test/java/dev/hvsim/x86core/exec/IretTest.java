package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** IRET/IRETD/IRETQ in every mode (SDM Vol. 2B IRET; Vol. 3A 6.14.3, 20.2). */
class IretTest {
    static final int GP = 13;

    private static void stack(TestCpu t, long at, int width, long... values) {
        for (int i = 0; i < values.length; i++) {
            t.bus.write(at + (long) width * i, width, values[i]);
        }
    }

    @Test
    void realModeIretAndIretd() {
        // cf   iret: IP 0x100, CS 0x2000, FLAGS IF|ZF
        TestCpu t = TestCpu.real().code("cf");
        stack(t, 0xfff0, 2, 0x100, 0x2000, 0x0242);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].base).isEqualTo(0x20000);
        assertThat(t.cpu.state().rip).isEqualTo(0x100);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x0242);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xfff6);
        // 66 cf   iretd: VM, VIF, VIP in the image are ignored (mask 257FD5H)
        t = TestCpu.real().code("66 cf");
        stack(t, 0xfff0, 4, 0x100, 0x2000, 0x1a0202 | Flags.AC);
        t.step(1);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x0202 | Flags.AC);
        assertThat(t.cpu.realMode()).isTrue();
    }

    @Test
    void protectedSamePrivilege32And16() {
        // cf   iretd to 0x08:HANDLER with EFLAGS ZF|IF|IOPL3
        TestCpu t = TestCpu.protectedFlat(32).code("cf");
        stack(t, TestCpu.STACK, 4, 0x11000, 0x08, 0x3246);
        t.cpu.state().nmiBlocked = true;
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x11000);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x3246);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK + 12);
        assertThat(t.cpu.state().nmiBlocked).isFalse();
        // 66 cf   16-bit iret
        t = TestCpu.protectedFlat(32).code("66 cf");
        stack(t, TestCpu.STACK, 2, 0x1000, 0x08, 0x0202);
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x1000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK + 6);
    }

    @Test
    void outerPrivilegeReturnNullsDataSegments() {
        // cf   iretd from CPL 0 to CPL 3 (0x23) with ESP/SS
        TestCpu t = TestCpu.protectedFlat(32).code("cf");
        stack(t, TestCpu.STACK, 4, 0x11000, 0x23, 0x0202, 0x2_8000, 0x2b);
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x2_8000);
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x2b);
        assertThat(t.cpu.state().seg[Reg.DS].selector).isZero();
        assertThat(t.cpu.state().seg[Reg.DS].unusable()).isTrue();
    }

    @Test
    void cpl3CannotChangeIoplOrIfWithIopl0() {
        // cf   at CPL 3, image asks for IOPL 3, IF 1
        TestCpu t = TestCpu.protectedFlat(32).user().code("cf");
        stack(t, TestCpu.STACK, 4, 0x11000, 0x23, 0x3202 | Flags.CF);
        t.step(1);
        long f = t.cpu.state().rflags();
        assertThat(f & (Flags.IOPL | Flags.IF)).isZero();
        assertThat(f & Flags.CF).isEqualTo(Flags.CF);
    }

    @Test
    void returnToVirtual8086() {
        // cf   iretd at CPL 0 with VM = 1 in the image
        TestCpu t = TestCpu.protectedFlat(32).code("cf");
        stack(t, TestCpu.STACK, 4, 0x100, 0x2000, Flags.VM | 0x3202, 0xfff0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000);
        t.step(1);
        assertThat(t.cpu.v86()).isTrue();
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.codeSize()).isEqualTo(16);
        var s = t.cpu.state();
        assertThat(s.seg[Reg.CS].base).isEqualTo(0x20000);
        assertThat(s.rip).isEqualTo(0x100);
        assertThat(s.seg[Reg.SS].base).isEqualTo(0x30000);
        assertThat(s.seg[Reg.ES].base).isEqualTo(0x40000);
        assertThat(s.seg[Reg.DS].base).isEqualTo(0x50000);
        assertThat(s.seg[Reg.FS].base).isEqualTo(0x60000);
        assertThat(s.seg[Reg.GS].base).isEqualTo(0x70000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xfff0);
    }

    @Test
    void virtual8086IretNeedsIopl3AndKeepsIopl() {
        TestCpu t = TestCpu.protectedFlat(32).code("cf");
        stack(t, TestCpu.STACK, 4, 0x0, 0x1000, Flags.VM | 0x0202, 0xfff0, 0, 0, 0, 0, 0);
        t.step(1);
        assertThat(t.cpu.v86()).isTrue();
        // now in v8086 with IOPL 0: cf -> #GP(0)
        t.bus.write(0x10000, 1, 0xcf);
        t.cpu.flushDecodeCache();
        assertThat(t.fault()).containsExactly(GP, 0);
        // with IOPL 3: the image's IOPL 0 is ignored
        t.cpu.state().flagsRest |= Flags.IOPL;
        stack(t, 0xfff0, 2, 0x20, 0x1000, 0x0002);
        t.events.clear();
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x20);
        assertThat(t.cpu.state().iopl()).isEqualTo(3);
        assertThat(t.cpu.v86()).isTrue();
    }

    @Test
    void iretq64PopsSsRspAndChecksCanonical() {
        // 48 cf   iretq at CPL 0 to CPL 0 (SS:RSP always popped)
        TestCpu t = TestCpu.long64().code("48 cf");
        stack(t, TestCpu.STACK, 8, 0x11000, 0x18, 0x0202, 0x2_0000, 0x10);
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x11000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x2_0000);
        // to CPL 3 64-bit code
        t = TestCpu.long64().code("48 cf");
        stack(t, TestCpu.STACK, 8, 0x11000, 0x33, 0x0202, 0x2_0000, 0x2b);
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.codeSize()).isEqualTo(64);
        // null SS allowed for CPL 0 64-bit returns
        t = TestCpu.long64().code("48 cf");
        stack(t, TestCpu.STACK, 8, 0x11000, 0x18, 0x0202, 0x2_0000, 0);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.SS].unusable()).isTrue();
        // non-canonical RIP: #GP(0), RSP unchanged
        t = TestCpu.long64().code("48 cf");
        stack(t, TestCpu.STACK, 8, 0x8000_0000_0000L, 0x18, 0x0202, 0x2_0000, 0x10);
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK);
        // cf (iretd) in 64-bit mode to compatibility mode pops 4-byte values including SS:ESP
        t = TestCpu.long64().code("cf");
        stack(t, TestCpu.STACK, 4, 0x11000, 0x08, 0x0202, 0x2_0000, 0x10);
        t.step(1);
        assertThat(t.cpu.codeSize()).isEqualTo(32);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x2_0000);
    }

    @Test
    void nestedTaskReturn() {
        TestCpu t = TestCpu.protectedFlat(32).code("cf");
        t.cpu.state().flagsRest |= Flags.NT;
        assertThat(t.step(1)).isEqualTo(StopReason.SHUTDOWN);
        assertThat(t.cpu.shutdownReason()).contains("task switching");
        t = TestCpu.long64().code("48 cf");
        t.cpu.state().flagsRest |= Flags.NT;
        assertThat(t.fault()).containsExactly(GP, 0);
    }
}
