package dev.hvsim.x86core.jit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.StopReason;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Self-modifying code under block translation (SDM Vol. 3A 11.6): a subroutine on its own page is
 * called often enough to be translated, then the caller stores new immediates into it; every later call
 * must see the new bytes, exactly as the interpreter does.
 */
class JitSelfModifyingCodeTest {
    static final long SUB = TestCpu.CODE + 0x1000;

    // CODE+0:  83 f9 05           cmp ecx,5
    // CODE+3:  77 06              ja CODE+11
    // CODE+5:  89 0d <d32>        mov [rip+d],ecx     ; the imm32 of SUB's mov eax
    // CODE+11: e8 <r32>           call SUB
    // CODE+16: 48 01 c2           add rdx,rax
    // CODE+19: ff c9              dec ecx
    // CODE+21: 0f 85 e5 ff ff ff  jnz CODE
    // CODE+27: f4                 hlt
    // SUB:     b8 00 10 00 00     mov eax,0x1000
    // SUB+5:   c3                 ret
    private static TestCpu program(boolean jit) {
        TestCpu t = TestCpu.long64();
        t.cpu.setJit(jit, 64);
        String main = "83f905 7706 890d" + le32(SUB + 1 - (TestCpu.CODE + 11)) + " e8" + le32(SUB - (TestCpu.CODE + 16))
                + " 4801c2 ffc9 0f85e5ffffff f4";
        t.code(main);
        t.bus.load(SUB, HexFormat.of().parseHex("b800100000c3"));
        t.cpu.flushDecodeCache();
        t.reg(Reg.RCX, 200).reg(Reg.RDX, 0);
        return t;
    }

    private static String le32(long v) {
        return String.format("%02x%02x%02x%02x", v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    }

    @Test
    void storesIntoATranslatedSubroutineTakeEffectAtItsNextCall() {
        TestCpu jit = program(true);
        TestCpu ref = program(false);
        assertThat(jit.runToHlt()).isEqualTo(StopReason.HALTED);
        assertThat(ref.runToHlt()).isEqualTo(StopReason.HALTED);
        // 195 calls return 0x1000; the last five return the ECX value just stored: 5 + 4 + 3 + 2 + 1
        assertThat(jit.reg(Reg.RDX)).isEqualTo(195L * 0x1000 + 15);
        assertThat(jit.cpu.state().diff(ref.cpu.state())).isEmpty();
        assertThat(jit.cpu.cycles()).isEqualTo(ref.cpu.cycles());
        assertThat(jit.cpu.instructions()).isEqualTo(ref.cpu.instructions());
        assertThat(jit.cpu.translationFailures()).isZero();
        assertThat(jit.cpu.blocksTranslated()).as("the loop and the subroutine were translated").isGreaterThanOrEqualTo(2);
    }
}
