package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;

/** SYSCALL/SYSRET/SYSENTER/SYSEXIT (SDM Vol. 2B; Vol. 3A 5.8.7-5.8.8; AMD APM Vol. 2 6.1). */
class FastSystemCallTest {
    static final int GP = 13, UD = 6;
    static final long STAR = 0x0023_0008_0000_0000L; // SYSRET base 0x20 (0x23 | 3), SYSCALL CS 0x08

    private static TestCpu syscallSetup(String profile, String code) {
        TestCpu t = TestCpu.long64(profile).user().code(code);
        var s = t.cpu.state();
        s.msr.put(Msr.IA32_STAR, 0x0023_0018_0000_0000L);
        s.msr.put(Msr.IA32_LSTAR, 0x11000);
        s.msr.put(Msr.IA32_CSTAR, 0x12000);
        s.msr.put(Msr.IA32_FMASK, Flags.IF | Flags.DF);
        s.flagsRest |= Flags.IF | Flags.DF;
        return t;
    }

    @Test
    void syscallAndSysretq64() {
        // 0f 05   syscall ; at LSTAR: 48 0f 07   sysretq
        TestCpu t = syscallSetup("intel-core", "0f 05").mem(0x11000, "48 0f 07");
        t.step(1);
        var s = t.cpu.state();
        assertThat(s.rip).isEqualTo(0x11000);
        assertThat(t.reg(Reg.RCX)).isEqualTo(TestCpu.CODE + 2);
        assertThat(t.reg(Reg.R11)).isEqualTo(0x602);
        assertThat(s.seg[Reg.CS].selector).isEqualTo(0x18);
        assertThat(s.seg[Reg.SS].selector).isEqualTo(0x20);
        assertThat(t.cpu.cpl()).isZero();
        assertThat(s.flagsRest & (Flags.IF | Flags.DF)).isZero();
        t.step(1);
        assertThat(s.rip).isEqualTo(TestCpu.CODE + 2);
        assertThat(s.seg[Reg.CS].selector).isEqualTo(0x33);
        assertThat(s.seg[Reg.SS].selector).isEqualTo(0x2b);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.codeSize()).isEqualTo(64);
        assertThat(s.rflags()).isEqualTo(0x602);
    }

    @Test
    void sysret32ReturnsToCompatibilityMode() {
        // 0f 07   sysret (32-bit) at CPL 0
        TestCpu t = TestCpu.long64().code("0f 07").reg(Reg.RCX, 0x1_0000_4000L).reg(Reg.R11, 0x202);
        t.cpu.state().msr.put(Msr.IA32_STAR, STAR);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].selector).isEqualTo(0x23);
        assertThat(t.cpu.codeSize()).isEqualTo(32);
        assertThat(t.cpu.state().rip).isEqualTo(0x4000);
    }

    @Test
    void udAndVendorRules() {
        // SCE = 0: #UD
        TestCpu t = TestCpu.long64().code("0f 05");
        t.cpu.state().efer &= ~Cpu.EFER_SCE;
        assertThat(t.fault()).containsExactly(UD, -1);
        // Intel: SYSCALL outside 64-bit mode is #UD; AMD legacy mode: ECX = EIP, EIP = STAR[31:0]
        TestCpu pm = TestCpu.protectedFlat(32).code("0f 05");
        pm.cpu.state().efer = Cpu.EFER_SCE;
        assertThat(pm.fault()).containsExactly(UD, -1);
        TestCpu amd = TestCpu.protectedFlat(32, "amd-zen").code("0f 05");
        amd.cpu.state().efer = Cpu.EFER_SCE;
        amd.cpu.state().msr.put(Msr.IA32_STAR, STAR | 0x11000);
        amd.cpu.state().flagsRest |= Flags.IF;
        amd.step(1);
        assertThat(amd.cpu.state().rip).isEqualTo(0x11000);
        assertThat(amd.reg(Reg.RCX)).isEqualTo(TestCpu.CODE + 2);
        assertThat(amd.cpu.state().flagsRest & Flags.IF).isZero();
        // AMD compatibility mode uses CSTAR
        TestCpu compat = syscallSetup("amd-zen", "0f 05");
        compat.cpu.state().seg[Reg.CS].set(0x23, 0, 0xffffffffL, 0xc0fb);
        compat.cpu.modeChanged();
        compat.step(1);
        assertThat(compat.cpu.state().rip).isEqualTo(0x12000);
        assertThat(compat.cpu.codeSize()).isEqualTo(64);
        assertThat(syscallSetup("intel-core", "0f 05").code("0f 05").user().fault()).isNull();
    }

    @Test
    void sysretNonCanonicalIntelFaultsAmdLoads() {
        long bad = 0x8000_0000_0000L;
        TestCpu t = TestCpu.long64().code("48 0f 07").reg(Reg.RCX, bad).reg(Reg.R11, 2);
        t.cpu.state().msr.put(Msr.IA32_STAR, STAR);
        assertThat(t.fault()).containsExactly(GP, 0);
        assertThat(t.cpu.cpl()).isZero();
        t = TestCpu.long64("amd-zen").code("48 0f 07").reg(Reg.RCX, bad).reg(Reg.R11, 2);
        t.cpu.state().msr.put(Msr.IA32_STAR, STAR);
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(t.cpu.state().rip).isEqualTo(bad);
        // AMD keeps the SS descriptor cache (only the selector changes)
        assertThat(t.cpu.state().seg[Reg.SS].dpl()).isZero();
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x2b);
    }

    @Test
    void sysenterSysexit() {
        // 0f 34   sysenter (32-bit protected mode, CPL 3) ; at EIP: 0f 35   sysexit
        TestCpu t = TestCpu.protectedFlat(32).user().code("0f 34").mem(0x11000, "0f 35")
                .reg(Reg.RDX, TestCpu.CODE + 0x100).reg(Reg.RCX, 0x2_8000);
        var s = t.cpu.state();
        s.msr.put(Msr.IA32_SYSENTER_CS, 0x08);
        s.msr.put(Msr.IA32_SYSENTER_ESP, 0x4_0000);
        s.msr.put(Msr.IA32_SYSENTER_EIP, 0x11000);
        s.flagsRest |= Flags.IF;
        t.step(1);
        assertThat(t.cpu.cpl()).isZero();
        assertThat(s.rip).isEqualTo(0x11000);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x4_0000);
        assertThat(s.seg[Reg.SS].selector).isEqualTo(0x10);
        assertThat(s.flagsRest & Flags.IF).isZero();
        t.step(1);
        assertThat(t.cpu.cpl()).isEqualTo(3);
        assertThat(s.seg[Reg.CS].selector).isEqualTo(0x1b);
        assertThat(s.seg[Reg.SS].selector).isEqualTo(0x23);
        assertThat(s.rip).isEqualTo(TestCpu.CODE + 0x100);
        assertThat(t.reg(Reg.RSP)).isEqualTo(0x2_8000);
        // SYSENTER_CS = 0: #GP(0); real mode: #GP(0); AMD in long mode: #UD
        assertThat(TestCpu.protectedFlat(32).code("0f 34").fault()).containsExactly(GP, 0);
        TestCpu r = TestCpu.real().code("0f 34");
        r.cpu.state().msr.put(Msr.IA32_SYSENTER_CS, 0x08);
        assertThat(r.fault()).containsExactly(GP, 0);
        assertThat(TestCpu.long64("amd-zen").code("0f 34").fault()).containsExactly(UD, -1);
        assertThat(TestCpu.long64("amd-zen").code("48 0f 35").fault()).containsExactly(UD, -1);
        // 48 0f 35   sysexit to 64-bit mode (Intel): CS = SYSENTER_CS + 32, SS = + 40
        t = TestCpu.long64().code("48 0f 35").reg(Reg.RDX, 0x7000).reg(Reg.RCX, 0x8000);
        t.cpu.state().msr.put(Msr.IA32_SYSENTER_CS, 0x10);
        t.step(1);
        assertThat(t.cpu.state().seg[Reg.CS].selector).isEqualTo(0x33);
        assertThat(t.cpu.state().seg[Reg.SS].selector).isEqualTo(0x3b);
        assertThat(t.cpu.codeSize()).isEqualTo(64);
        // SYSENTER in IA-32e mode (Intel) enters 64-bit mode
        t = TestCpu.long64().user().code("0f 34");
        t.cpu.state().msr.put(Msr.IA32_SYSENTER_CS, 0x18);
        t.cpu.state().msr.put(Msr.IA32_SYSENTER_EIP, 0x1_0000_0000L);
        t.step(1);
        assertThat(t.cpu.codeSize()).isEqualTo(64);
        assertThat(t.cpu.state().rip).isEqualTo(0x1_0000_0000L);
    }
}
