package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Descriptor-table, privilege and miscellaneous system instructions (SDM Vol. 2A-2C; Vol. 3A 2.8).
 */
class SystemInsnsTest {
    static final int GP = 13, UD = 6, NP = 11;

    /** Every privileged instruction is #GP(0) at CPL 3 (protected mode and 64-bit mode). */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "f4, hlt", "0f 06, clts", "0f 01 10, lgdt [eax]", "0f 01 18, lidt [eax]", "0f 01 f0, lmsw ax",
        "0f 00 d0, lldt ax", "0f 00 d8, ltr ax", "0f 22 c0, mov cr0 eax", "0f 20 c0, mov eax cr0",
        "0f 22 d8, mov cr3 eax", "0f 21 c0, mov eax dr0", "0f 23 f8, mov dr7 eax", "0f 32, rdmsr", "0f 30, wrmsr",
        "0f 09, wbinvd", "0f 08, invd", "0f 01 38, invlpg [eax]", "0f 35, sysexit", "66 0f 38 82 00, invpcid",
        "0f 01 d1, xsetbv", "0f 33, rdpmc", "fa, cli", "fb, sti", "e4 60, in al 0x60", "ee, out dx al"})
    void privilegedAtCpl3(String bytes, String disasm) {
        TestCpu t = TestCpu.protectedFlat(32).user().code(bytes).reg(Reg.RAX, TestCpu.DATA).tss32(0x40000, 0x10);
        t.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
        assertThat(t.fault()).as(disasm).containsExactly(GP, 0);
        TestCpu l = TestCpu.long64().user().code(bytes.replace("0f 35", "48 0f 35")).reg(Reg.RAX, TestCpu.DATA)
                .tss64(0x40000);
        l.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
        assertThat(l.fault()).as(disasm + " (64-bit)").containsExactly(GP, 0);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({"0f 01 f8, swapgs", "0f 07, sysret", "48 0f 07, sysretq"})
    void privileged64Only(String bytes, String disasm) {
        assertThat(TestCpu.long64().user().code(bytes).fault()).as(disasm).containsExactly(GP, 0);
    }

    @Test
    void monitorMwaitAreUdAtCpl3AndNeedEcxZero() {
        // 0f 01 c8   monitor ; 0f 01 c9   mwait
        assertThat(TestCpu.protectedFlat(32).user().code("0f 01 c8").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.protectedFlat(32).user().code("0f 01 c9").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.protectedFlat(32).code("0f 01 c9").reg(Reg.RCX, 1).fault()).containsExactly(GP, 0);
        TestCpu t = TestCpu.long64().code("0f 01 c8 0f 01 c9").reg(Reg.RAX, TestCpu.DATA);
        t.step(2);
        assertThat(t.events).isEmpty();
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 6);
        // monitor with a DS:EAX beyond the segment limit: #GP(0)
        TestCpu r = TestCpu.real().code("67 0f 01 c8").reg(Reg.RAX, 0x10000);
        assertThat(r.fault()).containsExactly(GP, 0);
    }

    @Test
    void lgdtSgdtLidtSidtAllSizes() {
        // 0f 01 10   lgdt [eax] (32-bit) ; 0f 01 00   sgdt [eax]
        TestCpu t = TestCpu.protectedFlat(32).code("0f 01 10 0f 01 03").reg(Reg.RAX, TestCpu.DATA)
                .reg(Reg.RBX, TestCpu.DATA + 0x100);
        t.bus.write(TestCpu.DATA, 2, 0x3f);
        t.bus.write(TestCpu.DATA + 2, 4, 0xff00_0800L);
        t.step(1);
        assertThat(t.cpu.state().gdtrBase).isEqualTo(0xff00_0800L);
        assertThat(t.cpu.state().gdtrLimit).isEqualTo(0x3f);
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA + 0x100, 2)).isEqualTo(0x3f);
        assertThat(t.bus.read(TestCpu.DATA + 0x102, 4)).isEqualTo(0xff00_0800L);
        // 66 0f 01 18   lidt [eax] with a 16-bit operand: 24-bit base
        t = TestCpu.protectedFlat(32).code("66 0f 01 18").reg(Reg.RAX, TestCpu.DATA);
        t.bus.write(TestCpu.DATA, 2, 0x7ff);
        t.bus.write(TestCpu.DATA + 2, 4, 0xff12_3456L);
        t.step(1);
        assertThat(t.cpu.state().idtrBase).isEqualTo(0x12_3456L);
        // 64-bit: 0f 01 18 lidt [rax] (10 bytes) ; 0f 01 0b   sidt [rbx]
        t = TestCpu.long64().code("0f 01 18 0f 01 0b").reg(Reg.RAX, TestCpu.DATA).reg(Reg.RBX, TestCpu.DATA + 0x100);
        t.bus.write(TestCpu.DATA, 2, 0xfff);
        t.bus.write(TestCpu.DATA + 2, 8, 0xffff_8000_0000_1000L);
        t.step(2);
        assertThat(t.cpu.state().idtrBase).isEqualTo(0xffff_8000_0000_1000L);
        assertThat(t.bus.read(TestCpu.DATA + 0x102, 8)).isEqualTo(0xffff_8000_0000_1000L);
        // real mode: 0f 01 16 00 01   lgdt [0x100]
        t = TestCpu.real().code("0f 01 16 00 01");
        t.bus.write(0x100, 2, 0x17);
        t.bus.write(0x102, 4, 0x9000);
        t.step(1);
        assertThat(t.cpu.state().gdtrBase).isEqualTo(0x9000);
        // register form is #UD: 0f 01 d0 is XGETBV (valid), 0f 01 c0 (VMCALL row absent) is #UD
        assertThat(TestCpu.protectedFlat(32).code("0f 01 c0").fault()).containsExactly(UD, -1);
    }

    @Test
    void sgdtAtCpl3WithoutUmipIsAllowed() {
        TestCpu t = TestCpu.protectedFlat(32).user().code("0f 01 00").reg(Reg.RAX, TestCpu.DATA);
        t.step(1);
        assertThat(t.events).isEmpty();
        assertThat(t.bus.read(TestCpu.DATA + 2, 4)).isEqualTo(TestCpu.GDT);
    }

    @Test
    void lldtSldtLtrStr() {
        // 0f 00 d0   lldt ax (0x50 = LDT at 0x5000) ; 0f 00 c3   sldt bx
        TestCpu t = TestCpu.protectedFlat(32).code("0f 00 d0 0f 00 c3").reg(Reg.RAX, 0x50).reg(Reg.RBX, -1);
        t.gdt(10, TestCpu.desc(0x5000, 0xff, 0x82, 0));
        t.step(2);
        assertThat(t.cpu.state().ldtr.base).isEqualTo(0x5000);
        assertThat(t.reg(Reg.RBX)).isEqualTo(0x50);
        // lldt with a null selector: LDTR unusable
        t = TestCpu.protectedFlat(32).code("0f 00 d0").reg(Reg.RAX, 0);
        t.step(1);
        assertThat(t.cpu.state().ldtr.unusable()).isTrue();
        // lldt of a data segment: #GP(sel); TI = 1: #GP(sel); not present: #NP(sel)
        assertThat(TestCpu.protectedFlat(32).code("0f 00 d0").reg(Reg.RAX, 0x10).fault()).containsExactly(GP, 0x10);
        assertThat(TestCpu.protectedFlat(32).code("0f 00 d0").reg(Reg.RAX, 0x54).fault()).containsExactly(GP, 0x54);
        t = TestCpu.protectedFlat(32).code("0f 00 d0").reg(Reg.RAX, 0x50);
        t.gdt(10, TestCpu.desc(0x5000, 0xff, 0x02, 0));
        assertThat(t.fault()).containsExactly(NP, 0x50);
        // 0f 00 d8   ltr ax: marks the TSS busy ; 0f 00 cb   str bx
        t = TestCpu.protectedFlat(32).code("0f 00 d8 0f 00 cb").reg(Reg.RAX, 0x50);
        t.gdt(10, TestCpu.desc(0x6000, 0x67, 0x89, 0));
        t.step(2);
        assertThat(t.cpu.state().tr.base).isEqualTo(0x6000);
        assertThat(t.cpu.state().tr.type()).isEqualTo(0xb);
        assertThat(t.bus.read(TestCpu.GDT + 0x55, 1)).isEqualTo(0x8b);
        assertThat(t.reg(Reg.RBX) & 0xffff).isEqualTo(0x50);
        // ltr of a busy TSS: #GP(sel); null: #GP(0)
        t = TestCpu.protectedFlat(32).code("0f 00 d8").reg(Reg.RAX, 0x50);
        t.gdt(10, TestCpu.desc(0x6000, 0x67, 0x8b, 0));
        assertThat(t.fault()).containsExactly(GP, 0x50);
        assertThat(TestCpu.protectedFlat(32).code("0f 00 d8").reg(Reg.RAX, 0).fault()).containsExactly(GP, 0);
        // 64-bit: 16-byte TSS descriptor with a high base
        t = TestCpu.long64().code("0f 00 d8").reg(Reg.RAX, 0x50);
        t.gdt16(10, TestCpu.desc(0x6000, 0x67, 0x89, 0), 0x1);
        t.step(1);
        assertThat(t.cpu.state().tr.base).isEqualTo(0x1_0000_6000L);
        // real mode: #UD
        assertThat(TestCpu.real().code("0f 00 d8").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.real().code("0f 00 c0").fault()).containsExactly(UD, -1);
    }

    @Test
    void verrVerwLarLsl() {
        // 0f 00 e0 verr ax ; 0f 00 e8 verw ax
        Object[][] cases = {
            {"0f 00 e0", 0x10, true}, {"0f 00 e8", 0x10, true}, {"0f 00 e0", 0x08, true}, {"0f 00 e8", 0x08, false},
            {"0f 00 e0", 0x40, false}, {"0f 00 e0", 0, false}};
        for (Object[] c : cases) {
            TestCpu t = TestCpu.protectedFlat(32).code((String) c[0]).reg(Reg.RAX, (int) c[1]);
            t.step(1);
            assertThat(t.cpu.state().zf()).as("%s sel %x", c[0], c[1]).isEqualTo(c[2]);
        }
        // at CPL 3 a DPL 0 data segment is not visible
        TestCpu u = TestCpu.protectedFlat(32).user().code("0f 00 e0").reg(Reg.RAX, 0x10);
        u.step(1);
        assertThat(u.cpu.state().zf()).isFalse();
        // 0f 02 c8   lar ecx, eax ; 0f 03 c8   lsl ecx, eax
        TestCpu t = TestCpu.protectedFlat(32).code("0f 02 c8 0f 03 d0").reg(Reg.RAX, 0x10);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isEqualTo(0x00c0_9300L);
        assertThat(t.cpu.state().zf()).isTrue();
        t.step(1);
        assertThat(t.reg(Reg.RDX)).isEqualTo(0xffff_ffffL);
        // 66 0f 02 c8   lar cx, ax: 16-bit keeps bits 15:8 only
        t = TestCpu.protectedFlat(32).code("66 0f 02 c8").reg(Reg.RAX, 0x10).reg(Reg.RCX, 0xffff_ffffL);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isEqualTo(0xffff_9300L);
        // LSL of a call gate fails, LAR of it succeeds; 64-bit LAR zero-extends
        t = TestCpu.protectedFlat(32).code("0f 03 c8").reg(Reg.RAX, 0x50).reg(Reg.RCX, 7);
        t.gdt(10, TestCpu.gate(0x08, 0, 0xc, 0, 0));
        t.step(1);
        assertThat(t.cpu.state().zf()).isFalse();
        assertThat(t.reg(Reg.RCX)).isEqualTo(7);
        t = TestCpu.long64().code("48 0f 02 c8").reg(Reg.RAX, 0x18).reg(Reg.RCX, -1);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isEqualTo(0x00a0_9b00L);
    }

    @Test
    void arpl() {
        // 63 d8   arpl ax, bx
        TestCpu t = TestCpu.protectedFlat(32).code("63 d8").reg(Reg.RAX, 0x10).reg(Reg.RBX, 0x2b);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x13);
        assertThat(t.cpu.state().zf()).isTrue();
        t = TestCpu.protectedFlat(16).code("63 d8").reg(Reg.RAX, 0x13).reg(Reg.RBX, 0x10);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x13);
        assertThat(t.cpu.state().zf()).isFalse();
        // 63 18   arpl [eax], bx
        t = TestCpu.protectedFlat(32).code("63 18").reg(Reg.RAX, TestCpu.DATA).reg(Reg.RBX, 2);
        t.bus.write(TestCpu.DATA, 2, 0x28);
        t.step(1);
        assertThat(t.bus.read(TestCpu.DATA, 2)).isEqualTo(0x2a);
        assertThat(TestCpu.real().code("63 d8").fault()).containsExactly(UD, -1);
    }

    @Test
    void smswLmswClts() {
        // 0f 01 e0   smsw eax ; 0f 01 20   smsw [eax]
        TestCpu t = TestCpu.protectedFlat(32).code("0f 01 e0").reg(Reg.RAX, -1L);
        t.cpu.state().cr0 |= Cpu.CR0_NE;
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0x31);
        // 0f 01 f0   lmsw ax : sets TS and MP, cannot clear PE
        t = TestCpu.protectedFlat(32).code("0f 01 f0").reg(Reg.RAX, 0xa);
        t.step(1);
        assertThat(t.cpu.state().cr0 & 0xf).isEqualTo(0xb);
        // in real mode LMSW can set PE
        t = TestCpu.real().code("0f 01 f0").reg(Reg.RAX, 1);
        t.step(1);
        assertThat(t.cpu.protectedMode()).isTrue();
        // 0f 06   clts
        t = TestCpu.protectedFlat(32).code("0f 06");
        t.cpu.state().cr0 |= Cpu.CR0_TS;
        t.step(1);
        assertThat(t.cpu.state().cr0 & Cpu.CR0_TS).isZero();
    }

    @Test
    void swapgsAndFsgsbase() {
        // 0f 01 f8   swapgs
        TestCpu t = TestCpu.long64().code("0f 01 f8");
        t.cpu.state().msr.put(Msr.IA32_KERNEL_GS_BASE, 0x1234);
        t.cpu.state().seg[Reg.GS].base = 0x5678;
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.GS].base).isEqualTo(0x1234);
        assertThat(t.cpu.state().msr(Msr.IA32_KERNEL_GS_BASE)).isEqualTo(0x5678);
        assertThat(TestCpu.protectedFlat(32).code("0f 01 f8").fault()).containsExactly(UD, -1);
        // f3 48 0f ae d0   wrfsbase rax ; f3 0f ae c3   rdfsbase ebx ; f3 48 0f ae cb  rdgsbase rbx
        t = TestCpu.long64().code("f3 48 0f ae d0 f3 0f ae c3").reg(Reg.RAX, 0x1_2345_6789L);
        assertThat(t.fault()).containsExactly(UD, -1); // CR4.FSGSBASE = 0
        t.cpu.state().cr4 |= Cpu.CR4_FSGSBASE;
        t.step(2);
        assertThat(t.cpu.state().seg[Reg.FS].base).isEqualTo(0x1_2345_6789L);
        assertThat(t.reg(Reg.RBX)).isEqualTo(0x2345_6789L);
        t = TestCpu.long64().code("f3 48 0f ae d8").reg(Reg.RAX, 0x8000_0000_0000L);
        t.cpu.state().cr4 |= Cpu.CR4_FSGSBASE;
        assertThat(t.fault()).containsExactly(GP, 0);
        t = TestCpu.long64().code("f3 48 0f ae cb").reg(Reg.RBX, 0);
        t.cpu.state().cr4 |= Cpu.CR4_FSGSBASE;
        t.cpu.state().seg[Reg.GS].base = 0xffff_8000_0000_0000L;
        t.step(1);
        assertThat(t.reg(Reg.RBX)).isEqualTo(0xffff_8000_0000_0000L);
    }

    @Test
    void rdpmcXgetbvXsetbv() {
        // 0f 33   rdpmc: counters read 0; CPL 3 allowed with CR4.PCE; bad index #GP(0)
        TestCpu t = TestCpu.protectedFlat(32).user().code("0f 33").reg(Reg.RAX, -1L).reg(Reg.RCX, 1);
        t.cpu.state().cr4 |= Cpu.CR4_PCE;
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isZero();
        assertThat(TestCpu.protectedFlat(32).code("0f 33").reg(Reg.RCX, 9).fault()).containsExactly(GP, 0);
        assertThat(TestCpu.protectedFlat(32, "amd-zen").code("0f 33").reg(Reg.RCX, 5).fault()).isNull();
        // 0f 01 d0 xgetbv / 0f 01 d1 xsetbv: #UD without CR4.OSXSAVE
        assertThat(TestCpu.protectedFlat(32).code("0f 01 d0").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.protectedFlat(32).code("0f 01 d1").fault()).containsExactly(UD, -1);
        Object[][] xcr0 = {{3L, null}, {1L, null}, {0L, GP}, {2L, GP}, {7L, GP}, {5L, GP}};
        for (Object[] c : xcr0) {
            t = TestCpu.protectedFlat(32).code("0f 01 d1 0f 01 d0").reg(Reg.RAX, (long) c[0]).reg(Reg.RCX, 0)
                    .reg(Reg.RDX, 0);
            t.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
            int[] f = t.fault();
            if (c[1] == null) {
                assertThat(f).as("xcr0 %s", c[0]).isNull();
                t.reg(Reg.RAX, 0).step(1);
                assertThat(t.reg(Reg.RAX)).isEqualTo((long) c[0]);
            } else {
                assertThat(f).as("xcr0 %s", c[0]).containsExactly(GP, 0);
            }
        }
        t = TestCpu.protectedFlat(32).code("0f 01 d1").reg(Reg.RAX, 3).reg(Reg.RCX, 1).reg(Reg.RDX, 0);
        t.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
        assertThat(t.fault()).containsExactly(GP, 0);
    }

    @Test
    void cacheAndFenceInstructions() {
        // 0f 09 wbinvd ; 0f 08 invd ; 0f ae 38 clflush [eax]
        TestCpu t = TestCpu.protectedFlat(32).code("0f 09 0f 08 0f ae 38").reg(Reg.RAX, TestCpu.DATA);
        t.step(3);
        assertThat(t.events).isEmpty();
        // clflush beyond a segment limit: #GP(0) (real mode, 64 KiB limit) ; register form is a fence
        assertThat(TestCpu.real().code("67 0f ae 38").reg(Reg.RAX, 0x10000).fault()).containsExactly(GP, 0);
        // LFENCE/MFENCE/SFENCE need SSE2, which neither profile advertises: #UD
        for (String f : new String[] {"0f ae e8", "0f ae f0", "0f ae f8"}) {
            assertThat(TestCpu.long64().code(f).fault()).as(f).containsExactly(UD, -1);
        }
    }

    @Test
    void cliStiRules() {
        // fb   sti at CPL 3 with IOPL 3: allowed and shadowed
        TestCpu t = TestCpu.protectedFlat(32).user().code("fb 90");
        t.cpu.state().flagsRest |= Flags.IOPL;
        t.step(1);
        assertThat(t.cpu.state().flagsRest & Flags.IF).isEqualTo(Flags.IF);
        assertThat(t.cpu.inShadow()).isTrue();
        // virtual-8086 mode with IOPL < 3: #GP(0)
        t = TestCpu.protectedFlat(32);
        var s = t.cpu.state();
        s.flagsRest |= Flags.VM | (2L << 12);
        for (int r = 0; r < 6; r++) {
            s.seg[r].set(0x1000, 0x10000, 0xffff, r == Reg.CS ? 0xfb : 0xf3);
        }
        t.cpu.modeChanged();
        t.code("fa");
        t.cpu.state().rip = 0;
        assertThat(t.fault()).containsExactly(GP, 0);
    }
}
