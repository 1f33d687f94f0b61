package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/**
 * Self-modifying code behaves as on hardware (SDM Vol. 3A 11.6 "Self-Modifying Code"): a store into an
 * instruction that was already decoded (and cached by the decode cache) takes effect when that instruction
 * is next executed, and a REP STOS that overwrites its own bytes completes and execution continues with
 * the new bytes. Each case first executes the target instruction once, so its decoded form is in the
 * cache; the control cases change the bytes behind the CPU's back (a bus write that no CPU store path
 * sees) and show the stale decoded form really is used, so the tests fail if the store path did not
 * invalidate.
 */
class SelfModifyingCodeTest {

    // 64-bit:
    //   CODE+0: c6 05 01 00 00 00 42   mov BYTE PTR [rip+0x1],0x42   ; patches the imm8 at CODE+8
    //   CODE+7: b0 01                  mov al,0x1
    //   CODE+9: f4                     hlt
    private static final String PATCH_NEXT_64 = "c6 05 01 00 00 00 42 b0 01 f4";

    @Test
    void storeIntoTheNextInstructionTakesEffect64() {
        TestCpu t = TestCpu.long64().code(PATCH_NEXT_64);
        t.cpu.state().rip = TestCpu.CODE + 7; // decode and cache "mov al,1"
        t.step(1);
        assertThat(t.reg(Reg.RAX) & 0xff).isEqualTo(1);
        t.cpu.state().rip = TestCpu.CODE;
        assertThat(t.runToHlt()).isEqualTo(StopReason.HALTED);
        assertThat(t.reg(Reg.RAX) & 0xff).isEqualTo(0x42);
    }

    @Test
    void controlABusWriteNoCpuSeesLeavesTheStaleDecode() {
        TestCpu t = TestCpu.long64().code(PATCH_NEXT_64);
        t.cpu.state().rip = TestCpu.CODE + 7;
        t.step(1);
        t.bus.write(TestCpu.CODE + 8, 1, 0x42); // TestBus notifies no CPU of this write
        t.cpu.state().rip = TestCpu.CODE + 7;
        t.step(1);
        assertThat(t.reg(Reg.RAX) & 0xff).isEqualTo(1);
    }

    @Test
    void storeIntoTheNextInstructionTakesEffectInRealMode() {
        // IP 0: 2e c6 06 07 00 42   mov BYTE PTR cs:0x7,0x42   ; patches the imm8 of the next instruction
        // IP 6: b0 01               mov al,0x1
        // IP 8: f4                  hlt
        TestCpu t = TestCpu.real().code("2e c6 06 07 00 42 b0 01 f4");
        t.cpu.state().rip = 6;
        t.step(1);
        assertThat(t.reg(Reg.RAX) & 0xff).isEqualTo(1);
        t.cpu.state().rip = 0;
        t.reg(Reg.RAX, 0);
        assertThat(t.runToHlt()).isEqualTo(StopReason.HALTED);
        assertThat(t.reg(Reg.RAX) & 0xff).isEqualTo(0x42);
    }

    // 64-bit:
    //   CODE+0: f3 aa            rep stos BYTE PTR es:[rdi],al   ; RDI = CODE, RCX = 7, AL = 0x90
    //   CODE+2: b8 01 00 00 00   mov eax,0x1                     ; overwritten with NOPs
    //   CODE+7: f4               hlt
    private static final String REP_STOS_OVER_ITSELF = "f3 aa b8 01 00 00 00 f4";

    @Test
    void repStosOverwritingItselfCompletesAndTheNewBytesRun() {
        TestCpu t = TestCpu.long64().code(REP_STOS_OVER_ITSELF);
        t.cpu.state().rip = TestCpu.CODE + 2; // cache "mov eax,1"
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(1);
        t.cpu.state().rip = TestCpu.CODE;
        t.reg(Reg.RAX, 0x90).reg(Reg.RDI, TestCpu.CODE).reg(Reg.RCX, 7);
        long before = t.cpu.instructions();
        assertThat(t.runToHlt()).isEqualTo(StopReason.HALTED);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x90); // the MOV was replaced by five NOPs
        assertThat(t.reg(Reg.RCX)).isZero();
        assertThat(t.bus.read(TestCpu.CODE, 8)).isEqualTo(0xf4_90_90_90_90_90_90_90L);
        assertThat(t.cpu.instructions() - before).isEqualTo(1 + 5 + 1); // rep stos, 5 NOPs, hlt
    }

    @Test
    void controlStaleDecodeWithoutACpuStore() {
        TestCpu t = TestCpu.long64().code(REP_STOS_OVER_ITSELF);
        t.cpu.state().rip = TestCpu.CODE + 2;
        t.step(1);
        t.reg(Reg.RAX, 0);
        t.bus.load(TestCpu.CODE + 2, new byte[] {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90});
        t.cpu.state().rip = TestCpu.CODE + 2;
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(1); // stale "mov eax,1" still executed
    }

    @Test
    void repStosOverItselfIn16BitRealMode() {
        // IP 0: f3 aa   rep stosb   ; ES:DI = 0x1000:0 (the code itself), CX = 5, AL = 0x90
        // IP 2: b8 01 00 mov ax,0x1 ; overwritten
        // IP 5: f4      hlt
        TestCpu t = TestCpu.real().code("f3 aa b8 01 00 f4");
        t.cpu.state().rip = 2;
        t.step(1);
        t.cpu.state().rip = 0;
        t.cpu.state().seg[Reg.ES].set(0x1000, TestCpu.CODE, 0xffff, 0x93);
        t.reg(Reg.RAX, 0x90).reg(Reg.RDI, 0).reg(Reg.RCX, 5);
        assertThat(t.runToHlt()).isEqualTo(StopReason.HALTED);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x90);
        assertThat(t.cpu.state().rip).isEqualTo(6);
    }
}
