package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** MOV to/from Sreg, PUSH/POP Sreg, LDS/LES/LSS/LFS/LGS (SDM Vol. 2A/2B) in every code size. */
class SegmentInsnsTest {
    static final int GP = 13, UD = 6, NP = 11, SS = 12;

    @Test
    void movFromSregRealPm32And64() {
        // 8c d8   mov ax, ds   (real)
        TestCpu t = TestCpu.real().code("8c d8");
        t.cpu.state().seg[Reg.DS].loadReal(0x1234, 0x93);
        t.step(1);
        assertThat(t.reg(Reg.RAX) & 0xffff).isEqualTo(0x1234);
        // 8c d8   mov eax, ds  (32-bit: zero-extended)
        t = TestCpu.protectedFlat(32).code("8c d8").reg(Reg.RAX, 0xffff_ffffL);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x10);
        // 48 8c d8   mov rax, ds
        t = TestCpu.long64().code("48 8c d8").reg(Reg.RAX, -1);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x10);
    }

    @Test
    void movFromSregToMemoryStoresSixteenBits() {
        // 8c 1d 00 00 02 00   mov [0x20000], ds
        TestCpu t = TestCpu.protectedFlat(32).code("8c 1d 00 00 02 00");
        t.bus.write(TestCpu.DATA, 4, 0xaaaa_aaaaL);
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA, 4)).isEqualTo(0xaaaa_0010L);
    }

    @Test
    void invalidSregAndMovToCsAreUd() {
        // 8c f0   mov ax, <sreg 6> ; 8e c8   mov cs, ax ; 8e f8  mov <sreg 7>, ax
        assertThat(TestCpu.protectedFlat(32).code("8c f0").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.protectedFlat(32).code("8e c8").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.real().code("8e f8").fault()).containsExactly(UD, -1);
    }

    @Test
    void movToSregReal() {
        // 8e d8   mov ds, ax
        TestCpu t = TestCpu.real().code("8e d8").reg(Reg.RAX, 0x2000);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.DS].selector).isEqualTo(0x2000);
        assertThat(t.cpu.state().seg[Reg.DS].base).isEqualTo(0x20000);
    }

    @Test
    void movToSregProtectedChecks() {
        // 8e d8   mov ds, ax   with user data 0x2b at CPL 0: allowed
        TestCpu t = TestCpu.protectedFlat(32).code("8e d8").reg(Reg.RAX, 0x2b);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.DS].selector).isEqualTo(0x2b);
        // beyond the GDT limit: #GP(selector)
        assertThat(TestCpu.protectedFlat(32).code("8e d8").reg(Reg.RAX, 0x40).fault()).containsExactly(GP, 0x40);
        // 8e d0   mov ss, ax : RPL != CPL -> #GP(sel); null SS -> #GP(0); code segment -> #GP(sel)
        assertThat(TestCpu.protectedFlat(32).code("8e d0").reg(Reg.RAX, 0x13).fault()).containsExactly(GP, 0x10);
        assertThat(TestCpu.protectedFlat(32).code("8e d0").reg(Reg.RAX, 0).fault()).containsExactly(GP, 0);
        assertThat(TestCpu.protectedFlat(32).code("8e d0").reg(Reg.RAX, 0x08).fault()).containsExactly(GP, 0x08);
        // DPL 3 data into SS at CPL 0: #GP(sel)
        assertThat(TestCpu.protectedFlat(32).code("8e d0").reg(Reg.RAX, 0x28).fault()).containsExactly(GP, 0x28);
        // not present: SS -> #SS(sel), DS -> #NP(sel)
        TestCpu np = TestCpu.protectedFlat(32).code("8e d0").reg(Reg.RAX, 0x48);
        np.gdt(9, TestCpu.desc(0, 0xfffff, 0x13, 0xc));
        assertThat(np.fault()).containsExactly(SS, 0x48);
        np = TestCpu.protectedFlat(32).code("8e d8").reg(Reg.RAX, 0x48);
        np.gdt(9, TestCpu.desc(0, 0xfffff, 0x13, 0xc));
        assertThat(np.fault()).containsExactly(NP, 0x48);
        // DS at CPL 3 with a DPL 0 segment: #GP(sel)
        assertThat(TestCpu.protectedFlat(32).user().code("8e d8").reg(Reg.RAX, 0x10).fault()).containsExactly(GP, 0x10);
    }

    @Test
    void nullDsLoadsButUseFaults() {
        // 8e d8   mov ds, ax (AX = 0) ; 8b 03   mov eax, [ebx]
        TestCpu t = TestCpu.protectedFlat(32).code("8e d8 8b 03").reg(Reg.RAX, 0).reg(Reg.RBX, TestCpu.DATA);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.DS].unusable()).isTrue();
        assertThat(t.fault()).containsExactly(GP, 0);
    }

    @Test
    void movSsStartsInterruptShadowAndNullSsIn64BitMode() {
        // 8e d0   mov ss, ax ; 90 nop
        TestCpu t = TestCpu.long64().code("8e d0 90").reg(Reg.RAX, 0);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.SS].unusable()).isTrue();
        assertThat(t.cpu.inShadow()).isTrue();
        t.step(1);
        assertThat(t.cpu.inShadow()).isFalse();
        // at CPL 3 in 64-bit mode a null SS is #GP(0)
        assertThat(TestCpu.long64().user().code("8e d0").reg(Reg.RAX, 3).fault()).containsExactly(GP, 0);
    }

    @Test
    void pushPopSregReal() {
        // 1e   push ds ; 07   pop es
        TestCpu t = TestCpu.real().code("1e 07");
        t.cpu.state().seg[Reg.DS].loadReal(0x1234, 0x93);
        t.step(1);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xffee);
        assertThat(t.bus.read(0xffee, 2)).isEqualTo(0x1234);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.ES].base).isEqualTo(0x12340);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0xfff0);
    }

    @Test
    void pushSreg32IntelWritesSixteenBitsAmdZeroExtends() {
        // 0e   push cs
        TestCpu t = TestCpu.protectedFlat(32).code("0e");
        t.bus.write(TestCpu.STACK - 4, 4, 0xdead_beefL);
        t.step(1);
        assertThat(t.bus.read(TestCpu.STACK - 4, 4)).isEqualTo(0xdead_0008L);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK - 4);
        t = TestCpu.protectedFlat(32, "amd-zen").code("0e");
        t.bus.write(TestCpu.STACK - 4, 4, 0xdead_beefL);
        t.step(1);
        assertThat(t.bus.read(TestCpu.STACK - 4, 4)).isEqualTo(8);
    }

    @Test
    void pushPopFsGs64AndSixteenBitForms() {
        // 0f a0   push fs ; 0f a9   pop gs     (64-bit: 8-byte slots)
        TestCpu t = TestCpu.long64().code("0f a0 0f a9");
        t.cpu.state().seg[Reg.FS].selector = 0x2b;
        t.step(1);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK - 8);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.GS].selector).isEqualTo(0x2b);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK);
        // 66 0f a8   push gs (16-bit operand in 32-bit code)
        t = TestCpu.protectedFlat(32).code("66 0f a8");
        t.step(1);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK - 2);
        assertThat(t.bus.read(TestCpu.STACK - 2, 2)).isEqualTo(0x10);
        // 0f a1   pop fs  in 16-bit protected mode (16-bit stack: SP = STACK & 0xffff = 0)
        t = TestCpu.protectedFlat(16).code("0f a1");
        t.bus.write(0, 2, 0x2b);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.FS].selector).isEqualTo(0x2b);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK + 2);
    }

    @Test
    void legacyPushPopSregAreInvalidIn64BitMode() {
        for (String op : new String[] {"06", "07", "0e", "16", "17", "1e", "1f"}) {
            assertThat(TestCpu.long64().code(op).fault()).as(op).containsExactly(UD, -1);
        }
    }

    @Test
    void popSsShadowAndPopFaultKeepsRsp() {
        // 17   pop ss
        TestCpu t = TestCpu.protectedFlat(32).code("17");
        t.bus.write(TestCpu.STACK, 4, 0x10);
        t.step(1);
        assertThat(t.cpu.inShadow()).isTrue();
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK + 4);
        // 1f   pop ds  with a selector beyond the GDT: #GP(sel), ESP unchanged
        t = TestCpu.protectedFlat(32).code("1f");
        t.bus.write(TestCpu.STACK, 4, 0x40);
        assertThat(t.fault()).containsExactly(GP, 0x40);
        assertThat(t.reg(Reg.RSP)).isEqualTo(TestCpu.STACK);
    }

    @Test
    void loadFarPointers() {
        // c5 1e 00 01   lds bx, [0x100]   (real mode)
        TestCpu t = TestCpu.real().code("c5 1e 00 01");
        t.bus.write(0x100, 2, 0x5678);
        t.bus.write(0x102, 2, 0x1234);
        t.step(1);
        assertThat(t.reg(Reg.RBX) & 0xffff).isEqualTo(0x5678);
        assertThat(t.cpu.state().seg[Reg.DS].base).isEqualTo(0x12340);
        // c4 03   les eax, [ebx]   (32-bit)
        t = TestCpu.protectedFlat(32).code("c4 03").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 4, 0x1234_5678L);
        t.bus.write(TestCpu.DATA + 4, 2, 0x2b);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x1234_5678L);
        assertThat(t.cpu.state().seg[Reg.ES].selector).isEqualTo(0x2b);
        // 0f b2 23   lss esp, [ebx]
        t = TestCpu.protectedFlat(32).code("0f b2 23").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 4, 0x2_0000L);
        t.bus.write(TestCpu.DATA + 4, 2, 0x10);
        t.step(1);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x2_0000L);
        assertThat(t.cpu.inShadow()).isFalse();
        // 66 0f b5 03   lgs ax, [ebx]   (16-bit offset)
        t = TestCpu.protectedFlat(32).code("66 0f b5 03").reg(Reg.RBX, TestCpu.DATA).reg(Reg.RAX, 0xffff_ffffL);
        t.bus.write(TestCpu.DATA, 2, 0x4321);
        t.bus.write(TestCpu.DATA + 2, 2, 0x2b);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xffff_4321L);
        assertThat(t.cpu.state().seg[Reg.GS].selector).isEqualTo(0x2b);
    }

    @Test
    void lfsWithRexWIntelVersusAmd() {
        // 48 0f b4 03   lfs rax, [rbx]   Intel m16:64, AMD m16:32
        TestCpu t = TestCpu.long64().code("48 0f b4 03").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 8, 0x1_2345_6789L);
        t.bus.write(TestCpu.DATA + 8, 2, 0x2b);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x1_2345_6789L);
        assertThat(t.cpu.state().seg[Reg.FS].selector).isEqualTo(0x2b);
        t = TestCpu.long64("amd-zen").code("48 0f b4 03").reg(Reg.RBX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 4, 0x2345_6789L);
        t.bus.write(TestCpu.DATA + 4, 2, 0x2b);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x2345_6789L);
        assertThat(t.cpu.state().seg[Reg.FS].selector).isEqualTo(0x2b);
    }

    @Test
    void ldsFaultLeavesRegisterUnchanged() {
        // c5 03   lds eax, [ebx]  selector 0x40 beyond the GDT
        TestCpu t = TestCpu.protectedFlat(32).code("c5 03").reg(Reg.RBX, TestCpu.DATA).reg(Reg.RAX, 7);
        t.bus.write(TestCpu.DATA + 4, 2, 0x40);
        assertThat(t.fault()).containsExactly(GP, 0x40);
        assertThat(t.reg(Reg.RAX)).isEqualTo(7);
    }
}
