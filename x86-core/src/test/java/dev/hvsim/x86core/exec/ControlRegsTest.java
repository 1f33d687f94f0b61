package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** MOV to/from CR0/CR2/CR3/CR4/CR8 and DR0-DR7 (SDM Vol. 2B MOV CR/DR; Vol. 3A 2.5, 4.4.1, 10.8.5, 18.2). */
class ControlRegsTest {
    static final int GP = 13, UD = 6, DB = 1;
    static final long PG = Cpu.CR0_PG, PE = Cpu.CR0_PE;

    /** 0f 22 c0   mov cr0, eax (rax in 64-bit mode) with the given value; returns the fault or null. */
    private static int[] cr0(TestCpu t, long v) {
        return t.code("0f 22 c0").reg(Reg.RAX, v).fault();
    }

    @Test
    void cr0ConsistencyRules() {
        long base = 0x11;
        assertThat(cr0(TestCpu.protectedFlat(32), base | PG & ~PE | 0x10)).isNull(); // PE kept: legal (32-bit paging)
        assertThat(cr0(TestCpu.protectedFlat(32), PG | 0x10)).containsExactly(GP, 0); // PG without PE
        assertThat(cr0(TestCpu.protectedFlat(32), base | Cpu.CR0_NW)).containsExactly(GP, 0); // NW without CD
        assertThat(cr0(TestCpu.long64(), 0x1_8000_0011L)).containsExactly(GP, 0); // bits 63:32
        assertThat(cr0(TestCpu.long64(), 0x11)).containsExactly(GP, 0); // clearing PG in 64-bit mode
        // ET reads 1 and undefined low bits are ignored
        TestCpu t = TestCpu.protectedFlat(32);
        cr0(t, 0x1 | 0x40);
        assertThat(t.cpu.state().cr0).isEqualTo(0x11);
    }

    @Test
    void activatingIa32eNeedsPaeAndSetsLma() {
        // EFER.LME = 1, CR4.PAE = 0: setting PG is #GP(0)
        TestCpu t = TestCpu.protectedFlat(32);
        t.cpu.state().efer = Cpu.EFER_LME;
        assertThat(cr0(t, 0x8000_0011L)).containsExactly(GP, 0);
        // with PAE and 4-level tables: LMA = 1, compatibility mode
        t = TestCpu.long64();
        var s = t.cpu.state();
        s.cr0 = 0x11;
        s.efer = Cpu.EFER_LME;
        s.seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0xc09b);
        t.cpu.modeChanged();
        assertThat(cr0(t, 0x8000_0011L)).isNull();
        assertThat(t.cpu.longMode()).isTrue();
        assertThat(t.cpu.codeSize()).isEqualTo(32);
        // clearing PG in compatibility mode leaves IA-32e mode
        assertThat(cr0(t, 0x11)).isNull();
        assertThat(t.cpu.longMode()).isFalse();
        // CR4.PCIDE = 1: clearing PG is #GP(0) even in compatibility mode
        t = TestCpu.long64();
        t.cpu.state().cr4 |= Cpu.CR4_PCIDE;
        t.cpu.state().seg[Reg.CS].set(0x08, 0, 0xffffffffL, 0xc09b);
        t.cpu.modeChanged();
        assertThat(cr0(t, 0x11)).containsExactly(GP, 0);
    }

    @Test
    void cr4Rules() {
        // 0f 22 e0   mov cr4, eax
        assertThat(TestCpu.protectedFlat(32).code("0f 22 e0").reg(Reg.RAX, Cpu.CR4_VME).fault()).containsExactly(GP, 0);
        assertThat(TestCpu.protectedFlat(32).code("0f 22 e0").reg(Reg.RAX, Cpu.CR4_PCIDE).fault()).containsExactly(GP, 0);
        assertThat(TestCpu.long64("amd-zen").code("0f 22 e0").reg(Reg.RAX, 0x20 | Cpu.CR4_LA57).fault())
                .containsExactly(GP, 0); // AMD profile lacks LA57
        assertThat(TestCpu.long64().code("0f 22 e0").reg(Reg.RAX, 0x20 | Cpu.CR4_LA57).fault())
                .containsExactly(GP, 0); // LA57 change while IA-32e mode is active
        assertThat(TestCpu.long64().code("0f 22 e0").reg(Reg.RAX, 0).fault()).containsExactly(GP, 0); // clear PAE
        assertThat(TestCpu.long64().code("0f 22 e0").reg(Reg.RAX, 0x1_0000_0020L).fault()).containsExactly(GP, 0);
        TestCpu t = TestCpu.long64().code("0f 22 e0").reg(Reg.RAX, 0x20 | Cpu.CR4_PCIDE);
        t.cpu.state().cr3 |= 1;
        assertThat(t.fault()).containsExactly(GP, 0); // PCIDE with CR3[11:0] != 0
        t = TestCpu.long64().code("0f 22 e0").reg(Reg.RAX, 0x20 | Cpu.CR4_PCIDE | Cpu.CR4_SMEP | Cpu.CR4_OSXSAVE);
        assertThat(t.fault()).isNull();
        assertThat(t.cpu.state().cr4).isEqualTo(0x20 | Cpu.CR4_PCIDE | Cpu.CR4_SMEP | Cpu.CR4_OSXSAVE);
    }

    @Test
    void cr3ReservedBitsAndPcidNoFlush() {
        // 0f 22 d8   mov cr3, rax : bits above MAXPHYADDR (39 on intel-core)
        assertThat(TestCpu.long64().code("0f 22 d8").reg(Reg.RAX, TestCpu.PAGING | 1L << 40).fault()).containsExactly(GP, 0);
        assertThat(TestCpu.long64("amd-zen").code("0f 22 d8").reg(Reg.RAX, TestCpu.PAGING | 1L << 40).fault()).isNull();
        // bit 63 without PCIDE is reserved; with PCIDE it is the no-flush hint and is not stored
        assertThat(TestCpu.long64().code("0f 22 d8").reg(Reg.RAX, TestCpu.PAGING | 1L << 63).fault()).containsExactly(GP, 0);
        TestCpu t = TestCpu.long64().code("0f 22 d8").reg(Reg.RAX, TestCpu.PAGING | 1L << 63 | 5);
        t.cpu.state().cr4 |= Cpu.CR4_PCIDE;
        assertThat(t.fault()).isNull();
        assertThat(t.cpu.state().cr3).isEqualTo(TestCpu.PAGING | 5);
    }

    @Test
    void paePdptesAreLoadedAndChecked() {
        // PAE paging enabled by MOV CR0: PDPT at 0x4000 with a reserved bit (bit 1) in a present entry
        TestCpu t = TestCpu.protectedFlat(32);
        t.cpu.state().cr4 = Cpu.CR4_PAE;
        t.cpu.state().cr3 = 0x4000;
        t.bus.write(0x4000, 8, 0x5001 | 2);
        assertThat(cr0(t, 0x8000_0011L)).containsExactly(GP, 0);
        assertThat(t.cpu.pagingEnabled()).isFalse();
        t.bus.write(0x4000, 8, 0x5001);
        t.bus.write(0x4018, 8, 0x7001);
        assertThat(cr0(t, 0x8000_0011L)).isNull();
        assertThat(t.cpu.mmu().pdpte).containsExactly(0x5001, 0, 0, 0x7001);
    }

    @Test
    void cr8AndInvalidControlRegisters() {
        // 44 0f 22 c0   mov cr8, rax ; 44 0f 20 c1   mov rcx, cr8
        TestCpu t = TestCpu.long64().code("44 0f 22 c0 44 0f 20 c1").reg(Reg.RAX, 9);
        t.step(2);
        assertThat(t.reg(Reg.RCX)).isEqualTo(9);
        assertThat(TestCpu.long64().code("44 0f 22 c0").reg(Reg.RAX, 16).fault()).containsExactly(GP, 0);
        // CR1, CR5, CR9 (44 0f 22 c8): #UD
        assertThat(TestCpu.protectedFlat(32).code("0f 22 c8").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.protectedFlat(32).code("0f 20 e8").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.long64().code("44 0f 22 c8").fault()).containsExactly(UD, -1);
        // 0f 20 d0   mov eax, cr2 ; 32-bit read of CR0 zero-extends
        t = TestCpu.protectedFlat(32).code("0f 22 d0 0f 20 c3").reg(Reg.RAX, 0xdead_beefL);
        t.step(2);
        assertThat(t.cpu.state().cr2).isEqualTo(0xdead_beefL);
        assertThat(t.reg(Reg.RBX)).isEqualTo(0x11);
    }

    @Test
    void debugRegisters() {
        // 0f 23 c0   mov dr0, eax ; 0f 21 c3   mov ebx, dr0
        TestCpu t = TestCpu.protectedFlat(32).code("0f 23 c0 0f 21 c3").reg(Reg.RAX, 0x1234);
        t.step(2);
        assertThat(t.reg(Reg.RBX)).isEqualTo(0x1234);
        // 0f 21 e0   mov eax, dr4 -> DR6 alias; with CR4.DE = 1 -> #UD
        t = TestCpu.protectedFlat(32).code("0f 21 e0");
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xffff_0ff0L);
        t = TestCpu.protectedFlat(32).code("0f 21 e0");
        t.cpu.state().cr4 |= Cpu.CR4_DE;
        assertThat(t.fault()).containsExactly(UD, -1);
        // 0f 23 f0   mov dr6, eax ; 0f 23 f8   mov dr7, eax (fixed bits forced; this sets GD last)
        t = TestCpu.protectedFlat(32).code("0f 23 f0 0f 23 f8").reg(Reg.RAX, 0xffff_ffffL);
        t.step(2);
        assertThat(t.cpu.state().dr[7]).isEqualTo(0xffff_27ffL);
        assertThat(t.cpu.state().dr[6]).isEqualTo(0xffff_eff0L | 0xf);
        // DR7.GD: #DB fault with DR6.BD set and GD cleared
        t = TestCpu.protectedFlat(32).code("0f 21 c0");
        t.cpu.state().dr[7] |= 1L << 13;
        assertThat(t.fault()).containsExactly(DB, -1);
        assertThat(t.cpu.state().dr[6] & (1L << 13)).isNotZero();
        assertThat(t.cpu.state().dr[7] & (1L << 13)).isZero();
        // 64-bit: bits 63:32 of DR6/DR7 are reserved; DR8 (44 0f 21 c0) is #UD
        assertThat(TestCpu.long64().code("0f 23 f8").reg(Reg.RAX, 1L << 32).fault()).containsExactly(GP, 0);
        assertThat(TestCpu.long64().code("44 0f 21 c0").fault()).containsExactly(UD, -1);
    }
}
