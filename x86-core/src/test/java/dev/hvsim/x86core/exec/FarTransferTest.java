package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** Far JMP/CALL/RET direct and through call gates (SDM Vol. 2A CALL/JMP, Vol. 2B RET; Vol. 3A 5.8). */
class FarTransferTest {
    static final int GP = 13, NP = 11, UD = 6;
    static final long HANDLER = 0x11000;

    @Test
    void realModeFarJmpCallRet() {
        // ea 00 01 00 20   jmp 0x2000:0x0100
        TestCpu t = TestCpu.real().code("ea 00 01 00 20");
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].base).isEqualTo(0x20000);
        assertThat(t.cpu.state().rip).isEqualTo(0x100);
        // 9a 34 12 00 20   call 0x2000:0x1234 ; then at 0x21234: cb   retf
        t = TestCpu.real().code("9a 34 12 00 20").mem(0x21234, "cb");
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x1234);
        assertThat(t.bus.read(0xffee, 2)).isEqualTo(0x1000);
        assertThat(t.bus.read(0xffec, 2)).isEqualTo(5);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].selector).isEqualTo(0x1000);
        assertThat(t.cpu.state().rip).isEqualTo(5);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xfff0);
        // 66 ea 00 00 01 00 00 20   jmp 0x2000:0x10000 -> beyond the 64 KiB limit: #GP(0)
        assertThat(TestCpu.real().code("66 ea 00 00 01 00 00 20").fault()).containsExactly(GP, 0);
    }

    @Test
    void protectedDirectJmpAndCodeSizeChange() {
        // ea 78 56 34 12 08 00   jmp 0x08:0x12345678
        TestCpu t = TestCpu.protectedFlat(32).code("ea 78 56 34 12 08 00");
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x1234_5678L);
        // to a 16-bit code segment (GDT 0x60)
        t = TestCpu.protectedFlat(32).code("ea 00 10 00 00 60 00");
        t.gdt(12, TestCpu.desc(0, 0xffff, 0x9b, 0));
        t.step(1);
        assertThat(t.cpu.codeSize()).isEqualTo(16);
        assertThat(t.cpu.state().seg[Reg.CS].selector).isEqualTo(0x60);
    }

    @Test
    void directTransferChecks() {
        // non-conforming DPL 3 from CPL 0: #GP(sel); null: #GP(0); data: #GP(sel); not present: #NP(sel)
        assertThat(TestCpu.protectedFlat(32).code("ea 00 00 00 00 20 00").fault()).containsExactly(GP, 0x20);
        assertThat(TestCpu.protectedFlat(32).code("ea 00 00 00 00 00 00").fault()).containsExactly(GP, 0);
        assertThat(TestCpu.protectedFlat(32).code("9a 00 00 00 00 10 00").fault()).containsExactly(GP, 0x10);
        TestCpu t = TestCpu.protectedFlat(32).code("ea 00 00 00 00 48 00");
        t.gdt(9, TestCpu.desc(0, 0xfffff, 0x1b, 0xc));
        assertThat(t.fault()).containsExactly(NP, 0x48);
        // RPL 3 to a DPL 0 non-conforming segment from CPL 0: #GP(sel)
        assertThat(TestCpu.protectedFlat(32).code("ea 00 00 00 00 0b 00").fault()).containsExactly(GP, 0x08);
        // beyond the target limit: #GP(0)
        t = TestCpu.protectedFlat(32).code("ea 00 00 01 00 60 00");
        t.gdt(12, TestCpu.desc(0, 0xffff, 0x9b, 0));
        assertThat(t.fault()).containsExactly(GP, 0);
    }

    @Test
    void conformingSegmentKeepsCpl() {
        // from CPL 3: ea 00 10 01 00 5b 00   jmp 0x5b:0x11000 (DPL 0 conforming)
        TestCpu t = TestCpu.protectedFlat(32).user().code("ea 00 10 01 00 5b 00");
        t.gdt(11, TestCpu.desc(0, 0xfffff, 0x9f, 0xc));
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.state().seg[Reg.CS].selector).isEqualTo(0x5b);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
    }

    @Test
    void farIndirect64ToCompatibilityModeAndRexW() {
        // ff 2b   jmp far [rbx]   (m16:32) to 0x08: compatibility mode
        TestCpu t = TestCpu.long64().code("ff 2b").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 4, HANDLER);
        t.bus.write(TestCpu.DATA + 4, 2, 0x08);
        t.step(1);
        assertThat(t.cpu.codeSize()).isEqualTo(32);
        assertThat(t.cpu.longMode()).isTrue();
        // 48 ff 1b   call far [rbx]  (m16:64, Intel) to 0x18
        t = TestCpu.long64().code("48 ff 1b").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 8, HANDLER);
        t.bus.write(TestCpu.DATA + 8, 2, 0x18);
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(t.bus.read(TestCpu.STACK - 8, 8)).isEqualTo(0x18);
        assertThat(t.bus.read(TestCpu.STACK - 16, 8)).isEqualTo(TestCpu.CODE + 3);
        // ff 2b with L=1 and D=1 target: #GP(sel)
        t = TestCpu.long64().code("ff 2b").reg(Reg.RBX, TestCpu.DATA);
        t.gdt(12, TestCpu.desc(0, 0xfffff, 0x9b, 0xe));
        t.bus.write(TestCpu.DATA + 4, 2, 0x60);
        assertThat(t.fault()).containsExactly(GP, 0x60);
        // ea is invalid in 64-bit mode
        assertThat(TestCpu.long64().code("ea 00 00 00 00 08 00").fault()).containsExactly(UD, -1);
    }

    @Test
    void callGate32WithPrivilegeChangeCopiesParametersAndRetfReturnsOuter() {
        // CPL 3: 9a 00 00 00 00 53 00   call 0x53:0  (32-bit call gate DPL 3, 2 parameters, to 0x08:HANDLER)
        TestCpu t = TestCpu.protectedFlat(32).user().code("9a 00 00 00 00 53 00").tss32(0x40000, 0x10);
        t.gdt(10, TestCpu.gate(0x08, HANDLER, 0xc, 3, 2));
        t.mem(HANDLER, "ca 08 00"); // retf 8
        t.bus.write(TestCpu.STACK, 4, 0x1111);
        t.bus.write(TestCpu.STACK + 4, 4, 0x2222);
        t.step(1);
        assertThat(t.cpu.cpl()).isZero();
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x10);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x40000 - 24);
        long[] frame = {TestCpu.CODE + 7, 0x23, 0x1111, 0x2222, TestCpu.STACK, 0x2b};
        for (int i = 0; i < frame.length; i++) {
            assertThat(t.bus.read(0x40000 - 24 + 4L * i, 4)).as("slot %d", i).isEqualTo(frame[i]);
        }
        t.cpu.state().seg[Reg.DS].set(0x10, 0, 0xffffffffL, 0xc093);
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.state().seg[Reg.CS].selector).isEqualTo(0x23);
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 7);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK + 8);
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x2b);
        assertThat(t.cpu.state().seg[Reg.DS].selector).isZero(); // DPL 0 data nulled on return to CPL 3
        assertThat(t.cpu.state().seg[Reg.ES].selector).isEqualTo(0x2b);
    }

    @Test
    void callGate16SamePrivilegePushesWords() {
        // 9a 00 00 00 00 50 00   call 0x50:0 through a 16-bit call gate (type 4) to 0x08:0x1000
        TestCpu t = TestCpu.protectedFlat(32).code("9a 00 00 00 00 50 00");
        t.gdt(10, TestCpu.gate(0x08, 0x1000, 0x4, 0, 0));
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x1000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK - 4);
        assertThat(t.bus.read(TestCpu.STACK - 2, 2)).isEqualTo(0x08);
        assertThat(t.bus.read(TestCpu.STACK - 4, 2)).isEqualTo(7);
    }

    @Test
    void callGateChecks() {
        // gate DPL 0 from CPL 3: #GP(gate); gate not present: #NP(gate); JMP through a gate to an inner level: #GP(cs)
        TestCpu t = TestCpu.protectedFlat(32).user().code("9a 00 00 00 00 53 00");
        t.gdt(10, TestCpu.gate(0x08, HANDLER, 0xc, 0, 0));
        assertThat(t.fault()).containsExactly(GP, 0x50);
        t = TestCpu.protectedFlat(32).code("9a 00 00 00 00 50 00");
        t.gdt(10, TestCpu.gate(0x08, HANDLER, 0xc, 0, 0) & ~(1L << 47));
        assertThat(t.fault()).containsExactly(NP, 0x50);
        t = TestCpu.protectedFlat(32).user().code("ea 00 00 00 00 53 00");
        t.gdt(10, TestCpu.gate(0x08, HANDLER, 0xc, 3, 0));
        assertThat(t.fault()).containsExactly(GP, 0x08);
        // gate to a data segment: #GP(cs selector)
        t = TestCpu.protectedFlat(32).code("9a 00 00 00 00 50 00");
        t.gdt(10, TestCpu.gate(0x10, HANDLER, 0xc, 0, 0));
        assertThat(t.fault()).containsExactly(GP, 0x10);
    }

    @Test
    void callGate64ToRing0AndRetfqBack() {
        // CPL 3, 64-bit: ff 1b   call far [rbx] -> 64-bit call gate 0x53 -> 0x18:HANDLER ; handler: 48 cb  retfq
        TestCpu t = TestCpu.long64().user().code("ff 1b").reg(Reg.RBX, TestCpu.DATA).tss64(0x50000);
        t.gdt16(10, TestCpu.gate(0x18, HANDLER, 0xc, 3, 0), 0);
        t.mem(HANDLER, "48 cb");
        t.bus.write(TestCpu.DATA + 4, 2, 0x53);
        t.step(1);
        assertThat(t.cpu.cpl()).isZero();
        assertThat(t.cpu.state().seg[Reg.SS].selector).isZero();
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x50000 - 32);
        long[] frame = {TestCpu.CODE + 2, 0x33, TestCpu.STACK, 0x2b};
        for (int i = 0; i < 4; i++) {
            assertThat(t.bus.read(0x50000 - 32 + 8L * i, 8)).as("slot %d", i).isEqualTo(frame[i]);
        }
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.codeSize()).isEqualTo(64);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK);
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x2b);
        // upper type field not 0: #GP(gate)
        t = TestCpu.long64().code("ff 1b").reg(Reg.RBX, TestCpu.DATA);
        t.gdt16(10, TestCpu.gate(0x18, HANDLER, 0xc, 0, 0), 0x0000_0c00_0000_0000L);
        t.bus.write(TestCpu.DATA + 4, 2, 0x50);
        assertThat(t.fault()).containsExactly(GP, 0x50);
        // a 16-bit call gate type is invalid in IA-32e mode: #GP(gate)
        t = TestCpu.long64().code("ff 1b").reg(Reg.RBX, TestCpu.DATA);
        t.gdt16(10, TestCpu.gate(0x18, HANDLER, 0x4, 0, 0), 0);
        t.bus.write(TestCpu.DATA + 4, 2, 0x50);
        assertThat(t.fault()).containsExactly(GP, 0x50);
    }

    @Test
    void taskSwitchIsShutdownInLegacyModeAndGpInIa32e() {
        // ea 00 00 00 00 40 00   jmp 0x40:0 (a TSS)
        TestCpu t = TestCpu.protectedFlat(32).code("ea 00 00 00 00 40 00").tss32(0x40000, 0x10);
        t.cpu.state().tr.set(0, 0, 0, 0x8b);
        t.bus.write(TestCpu.GDT + 0x45, 1, 0x89); // available
        assertThat(t.step(1)).isEqualTo(StopReason.SHUTDOWN);
        assertThat(t.cpu.shutdownReason()).contains("task switching");
        t = TestCpu.long64().code("ff 2b").reg(Reg.RBX, TestCpu.DATA).tss64(0x50000);
        t.bus.write(TestCpu.DATA + 4, 2, 0x40);
        assertThat(t.fault()).containsExactly(GP, 0x40);
    }

    @Test
    void retFarSamePrivilegeAndChecks() {
        // cb   retf (32-bit) to 0x08:HANDLER
        TestCpu t = TestCpu.protectedFlat(32).code("cb");
        t.bus.write(TestCpu.STACK, 4, HANDLER);
        t.bus.write(TestCpu.STACK + 4, 4, 0x08);
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(HANDLER);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK + 8);
        // return to RPL 0 from CPL 3: #GP(sel), ESP unchanged
        t = TestCpu.protectedFlat(32).user().code("cb");
        t.bus.write(TestCpu.STACK + 4, 4, 0x08);
        assertThat(t.fault()).containsExactly(GP, 0x08);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK);
        // outer return with a stack selector of the wrong RPL: #GP(ss)
        t = TestCpu.protectedFlat(32).code("cb");
        t.bus.write(TestCpu.STACK, 4, HANDLER);
        t.bus.write(TestCpu.STACK + 4, 4, 0x23);
        t.bus.write(TestCpu.STACK + 8, 4, 0x1000);
        t.bus.write(TestCpu.STACK + 12, 4, 0x10);
        assertThat(t.fault()).containsExactly(GP, 0x10);
        // 66 cb   16-bit retf in 16-bit real mode via CA: ca 04 00   retf 4
        t = TestCpu.real().code("ca 04 00");
        t.bus.write(0xfff0, 2, 0x10);
        t.bus.write(0xfff2, 2, 0x2000);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].base).isEqualTo(0x20000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xfff0 + 8);
    }
}
