package dev.hvsim.x86core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * Event delivery (SDM Vol. 3A ch. 6): real-mode IVT, protected-mode gates with and without privilege
 * change, IA-32e IDT with IST and RSP alignment, #DF, triple fault, INT n / INT3 / INTO / INT1.
 */
class InterruptsTest {
    static final long HANDLER = 0x11000;

    private static long[] words(TestCpu t, long at, int width, int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = t.bus.read(at + (long) width * i, width);
        }
        return v;
    }

    @Test
    void realModeIvt() {
        // cd 21   int 0x21  -> IVT[0x21] = 0x2000:0x0010
        TestCpu t = TestCpu.real().code("cd 21").ivt(0x21, 0x2000, 0x10);
        t.cpu.state().flagsRest |= Flags.IF;
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].base).isEqualTo(0x20000);
        assertThat(t.cpu.state().rip).isEqualTo(0x10);
        assertThat(words(t, 0xffea, 2, 3)).containsExactly(2, 0x1000, 0x0202);
        assertThat(t.cpu.state().flagsRest & Flags.IF).isZero();
    }

    @Test
    void protectedInterruptGateSamePrivilege() {
        // cd 40   int 0x40 -> 32-bit interrupt gate
        TestCpu t = TestCpu.protectedFlat(32).code("cd 40").idt32(0x40, 0x08, HANDLER, 0xe, 0);
        t.cpu.state().flagsRest |= Flags.IF;
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK - 12);
        assertThat(words(t, TestCpu.STACK - 12, 4, 3)).containsExactly(TestCpu.CODE + 2, 0x08, 0x0202);
        assertThat(t.cpu.state().flagsRest & Flags.IF).isZero();
    }

    @Test
    void trapGateKeepsIfAndFaultPushesErrorCode() {
        // 8e d8   mov ds, ax (AX = 0x40: beyond the GDT) -> #GP(0x40) through a trap gate
        TestCpu t = TestCpu.protectedFlat(32).code("8e d8").reg(Reg.RAX, 0x40).idt32(13, 0x08, HANDLER, 0xf, 0);
        t.cpu.state().flagsRest |= Flags.IF;
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(words(t, TestCpu.STACK - 16, 4, 4)).containsExactly(0x40, TestCpu.CODE, 0x08, 0x0202);
        assertThat(t.cpu.state().flagsRest & Flags.IF).isEqualTo(Flags.IF);
    }

    @Test
    void privilegeChangeSwitchesToTssStack() {
        // CPL 3: cd 40   int 0x40 (gate DPL 3) -> ring 0 with SS:ESP from the TSS
        TestCpu t = TestCpu.protectedFlat(32).user().code("cd 40").idt32(0x40, 0x08, HANDLER, 0xe, 3)
                .tss32(0x40000, 0x10);
        t.step(1);
        assertThat(t.cpu.cpl()).isZero();
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x10);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x40000 - 20);
        assertThat(words(t, 0x40000 - 20, 4, 5)).containsExactly(TestCpu.CODE + 2, 0x23, 0x0002, TestCpu.STACK, 0x2b);
    }

    @Test
    void gateDplBelowCplIsGpWithIdtErrorCode() {
        // CPL 3: cd 40 with a DPL 0 gate -> #GP(0x40 * 8 + 2); cc (INT3) -> #GP(3 * 8 + 2)
        TestCpu t = TestCpu.protectedFlat(32).user().code("cd 40").idt32(0x40, 0x08, HANDLER, 0xe, 0);
        t.step(1);
        assertThat(t.events.get(1)).containsExactly(13, 0x40 * 8 + 2);
        t = TestCpu.protectedFlat(32).user().code("cc").idt32(3, 0x08, HANDLER, 0xe, 0);
        t.step(1);
        assertThat(t.events.get(1)).containsExactly(13, 3 * 8 + 2);
        // f1 (INT1) is not DPL-checked: delivered as #DB
        t = TestCpu.protectedFlat(32).user().code("f1").idt32(1, 0x08, HANDLER, 0xe, 0).tss32(0x40000, 0x10);
        t.step(1);
        assertThat(t.events).hasSize(1);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(t.bus.read(0x40000 - 20, 4)).isEqualTo(TestCpu.CODE + 1);
    }

    @Test
    void intoTrapsOnlyWithOverflowAndIsUdIn64BitMode() {
        // ce   into
        TestCpu t = TestCpu.protectedFlat(32).code("ce").idt32(4, 0x08, HANDLER, 0xe, 0);
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 1);
        t = TestCpu.protectedFlat(32).code("ce").idt32(4, 0x08, HANDLER, 0xe, 0);
        t.cpu.state().setOszapc(Flags.OF);
        t.step(1);
        assertThat(t.events.get(0)).containsExactly(4, -1);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(t.bus.read(TestCpu.STACK - 12, 4)).isEqualTo(TestCpu.CODE + 1);
        assertThat(TestCpu.long64().code("ce").fault()).containsExactly(6, -1);
    }

    @Test
    void longModeIstAndAlignment() {
        // cd 40 with IST 1 = 0x50008 -> RSP aligned down to 0x50000 before the 5-slot frame
        TestCpu t = TestCpu.long64().code("cd 40").idt64(0x40, 0x18, HANDLER, 0xe, 0, 1).tss64(0x60000, 0x50008);
        t.step(1);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x50000 - 40);
        assertThat(words(t, 0x50000 - 40, 8, 5)).containsExactly(TestCpu.CODE + 2, 0x18, 0x0002, TestCpu.STACK, 0x10);
        // no IST, same privilege: current RSP 0x30008 aligned to 0x30000
        t = TestCpu.long64().code("cd 40").idt64(0x40, 0x18, HANDLER, 0xe, 0, 0).reg(Reg.RSP, TestCpu.STACK + 8);
        t.step(1);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK - 40);
        // from CPL 3: RSP0 from the TSS, SS becomes null with RPL 0
        t = TestCpu.long64().user().code("cd 40").idt64(0x40, 0x18, HANDLER, 0xe, 3, 0).tss64(0x60000);
        t.step(1);
        assertThat(t.cpu.cpl()).isZero();
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x60000 - 40);
        assertThat(t.cpu.state().seg[Reg.SS].selector).isZero();
        assertThat(t.bus.read(0x60000 - 16, 8)).isEqualTo(TestCpu.STACK);
    }

    @Test
    void contributoryPairBecomesDoubleFault() {
        // #GP (mov ds, 0x40) whose gate is not present -> #NP -> #DF through IDT[8]
        TestCpu t = TestCpu.protectedFlat(32).code("8e d8").reg(Reg.RAX, 0x40).idt32(8, 0x08, HANDLER, 0xe, 0);
        t.bus.write(TestCpu.IDT + 13 * 8, 8, TestCpu.gate(0x08, HANDLER, 0xe, 0, 0) & ~(1L << 47));
        t.step(1);
        assertThat(t.events.stream().map(e -> e[0]).toList()).containsExactly(13, 8); // the #NP is never delivered: it became #DF
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(t.bus.read(TestCpu.STACK - 16, 4)).isZero(); // #DF error code
        assertThat(t.bus.read(TestCpu.STACK - 12, 4)).isEqualTo(TestCpu.CODE);
    }

    @Test
    void pageFaultWhileDeliveringPageFaultIsDoubleFault() {
        // 64-bit: 8b 03   mov eax, [rbx] at an unmapped address, RSP also unmapped; #DF uses IST 1
        long unmapped = 0x1_0000_0000L;
        TestCpu t = TestCpu.long64().code("8b 03").reg(Reg.RBX, unmapped).reg(Reg.RSP, unmapped + 0x1000)
                .idt64(14, 0x18, HANDLER, 0xe, 0, 0).idt64(8, 0x18, HANDLER + 0x10, 0xe, 0, 1).tss64(0x60000, 0x50000);
        t.step(1);
        assertThat(t.events.stream().map(e -> e[0]).toList()).containsExactly(14, 8); // the second #PF became #DF
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER + 0x10);
        assertThat(t.cpu.state().cr2).isEqualTo(unmapped + 0x1000 - 8);
    }

    @Test
    void tripleFaultShutsDown() {
        // no IDT at all: #GP -> #GP (IDT limit) -> #DF -> fault -> shutdown
        TestCpu t = TestCpu.protectedFlat(32).code("8e d8").reg(Reg.RAX, 0x40);
        t.cpu.state().idtrLimit = 0;
        assertThat(t.step(1)).isEqualTo(StopReason.SHUTDOWN);
        assertThat(t.cpu.shutdownReason()).contains("#DF");
    }

    @Test
    void virtual8086IntNNeedsIopl3() {
        TestCpu t = TestCpu.protectedFlat(32).idt32(0x21, 0x08, HANDLER, 0xe, 3).idt32(13, 0x08, HANDLER + 0x10, 0xe, 0)
                .tss32(0x40000, 0x10);
        var s = t.cpu.state();
        s.flagsRest |= Flags.VM;
        for (int r = 0; r < 6; r++) {
            s.seg[r].set(0x1000, 0x10000, 0xffff, r == Reg.CS ? 0xfb : 0xf3);
        }
        t.cpu.modeChanged();
        t.reg(Reg.RSP, 0xfff0).code("cd 21");
        t.cpu.state().rip = 0;
        t.step(1);
        assertThat(t.events.get(1)).containsExactly(13, 0);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER + 0x10);
        assertThat(t.cpu.v86()).isFalse();
    }
}
