package dev.hvsim.x86core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RDMSR/WRMSR and the MSR file (SDM Vol. 2B RDMSR/WRMSR; Vol. 4 ch. 2). */
class MsrTest {
    static final int GP = 13;

    /** 0f 30   wrmsr ; returns the fault or null. */
    private static int[] wrmsr(TestCpu t, long index, long value) {
        return t.code("0f 30").reg(Reg.RCX, index).reg(Reg.RAX, value & 0xffff_ffffL).reg(Reg.RDX, value >>> 32).fault();
    }

    /** 0f 32   rdmsr ; returns EDX:EAX (or throws if it faulted). */
    private static long rdmsr(TestCpu t, long index) {
        int[] f = t.code("0f 32").reg(Reg.RCX, index).fault();
        assertThat(f).as("rdmsr %x", index).isNull();
        return t.reg(Reg.RDX) << 32 | t.reg(Reg.RAX);
    }

    @ParameterizedTest(name = "msr {0} = {1} (intel {2}, amd {3})")
    @CsvSource({
        // index, value, intel ok, amd ok
        "0xc0000081, 0x0023001000000000, true, true",      // STAR
        "0xc0000082, 0xffff800000001000, true, true",      // LSTAR canonical
        "0xc0000082, 0x0100000000000000, false, false",    // LSTAR non-canonical (57-bit intel, 48-bit amd)
        "0xc0000102, 0x00007fffffffffff, true, true",      // KERNEL_GS_BASE
        "0xc0000103, 0x0000000000000005, true, true",      // TSC_AUX
        "0xc0000103, 0x0000000100000000, false, false",    // TSC_AUX bits 63:32
        "0x277, 0x0007010600070106, true, true",           // PAT valid
        "0x277, 0x0007040600070402, false, false",         // PAT type 2 reserved
        "0x2ff, 0x0000000000000c06, true, true",           // MTRR_DEF_TYPE
        "0x2ff, 0x0000000000000007, false, false",         // type 7 invalid for MTRRs
        "0x200, 0x0000000000100006, true, true",           // PHYSBASE0
        "0x201, 0x00000000fff00001, false, false",         // PHYSMASK0 reserved bit 0
        "0x250, 0x0606060606060606, true, true",           // FIX64K
        "0x1b, 0x00000000fee00900, true, true",            // APIC_BASE (enable + BSP)
        "0x1b, 0x00000000fee00901, false, false",          // APIC_BASE reserved bit 0
        "0x1b, 0x00000000fee00d00, true, true",            // APIC_BASE xAPIC -> x2APIC (EXTD, 11.12.5)
        "0x1b, 0x00000000fee00500, false, false",          // APIC_BASE EN=0 EXTD=1: invalid state
        "0x3a, 0x0000000000000005, false, false",          // FEATURE_CONTROL read-only
        "0xfe, 0x0000000000000000, false, false",          // MTRRCAP read-only
        "0x1a0, 0x0000000000000001, true, false",          // MISC_ENABLE (Intel only)
        "0x48, 0x0000000000000001, false, false",          // SPEC_CTRL: IBRS not advertised
        "0x174, 0x0000000000000010, true, true",           // SYSENTER_CS
        "0x176, 0x0100000000000000, false, true",           // SYSENTER_EIP: Intel canonical, AMD truncates
        "0x179, 0x0000000000000000, false, false",         // MCG_CAP read-only
        "0x12345, 0x0000000000000000, false, false"})      // unknown
    void writeRules(String index, String value, boolean intelOk, boolean amdOk) {
        long i = Long.decode(index), v = Long.parseUnsignedLong(value.substring(2), 16);
        for (String p : new String[] {"intel-core", "amd-zen"}) {
            boolean ok = p.equals("intel-core") ? intelOk : amdOk;
            TestCpu t = TestCpu.long64(p);
            int[] f = wrmsr(t, i, v);
            if (ok) {
                assertThat(f).as(p).isNull();
                long expect = p.equals("amd-zen") && i == Msr.IA32_SYSENTER_EIP ? v & 0xffff_ffffL : v;
                assertThat(rdmsr(t, i)).as(p).isEqualTo(expect);
            } else {
                assertThat(f).as(p).containsExactly(GP, 0);
            }
        }
    }

    /** SDM Vol. 3A 11.12.5, Figure 11-27: x2APIC to xAPIC and disabled to x2APIC are #GP(0). */
    @Test
    void apicBaseModeTransitions() {
        for (String p : new String[] {"intel-core", "amd-zen"}) {
            TestCpu t = TestCpu.long64(p);
            assertThat(wrmsr(t, Msr.IA32_APIC_BASE, 0xfee00d00L)).as(p).isNull();      // xAPIC -> x2APIC
            assertThat(wrmsr(t, Msr.IA32_APIC_BASE, 0xfee00900L)).as(p).containsExactly(GP, 0); // -> xAPIC
            assertThat(rdmsr(t, Msr.IA32_APIC_BASE)).as(p).isEqualTo(0xfee00d00L);
            assertThat(wrmsr(t, Msr.IA32_APIC_BASE, 0xfee00100L)).as(p).isNull();      // x2APIC -> disabled
            assertThat(wrmsr(t, Msr.IA32_APIC_BASE, 0xfee00d00L)).as(p).containsExactly(GP, 0); // -> x2APIC
            assertThat(wrmsr(t, Msr.IA32_APIC_BASE, 0xfee00900L)).as(p).isNull();      // disabled -> xAPIC
        }
    }

    @Test
    void readOnlyAndUnknownReads() {
        assertThat(rdmsr(TestCpu.long64(), Msr.IA32_FEATURE_CONTROL)).isZero();
        assertThat(rdmsr(TestCpu.long64(), Msr.IA32_MTRRCAP)).isEqualTo(0x508);
        assertThat(rdmsr(TestCpu.long64(), Msr.IA32_MISC_ENABLE)).isEqualTo(1);
        assertThat(TestCpu.long64("amd-zen").code("0f 32").reg(Reg.RCX, Msr.IA32_FEATURE_CONTROL).fault())
                .containsExactly(GP, 0);
        assertThat(TestCpu.long64().code("0f 32").reg(Reg.RCX, 0xdead).fault()).containsExactly(GP, 0);
        assertThat(rdmsr(TestCpu.long64(), Msr.IA32_PAT)).isEqualTo(0x0007_0406_0007_0406L);
    }

    @Test
    void eferRules() {
        TestCpu t = TestCpu.long64();
        assertThat(rdmsr(t, Msr.IA32_EFER)).isEqualTo(0x501);
        // NXE settable; LMA write ignored; reserved bit 2 / SVME (SVM not advertised) #GP
        assertThat(wrmsr(t, Msr.IA32_EFER, 0x901)).isNull();
        assertThat(t.cpu.state().efer).isEqualTo(0xd01);
        assertThat(wrmsr(TestCpu.long64(), Msr.IA32_EFER, 0x505)).containsExactly(GP, 0);
        assertThat(wrmsr(TestCpu.long64(), Msr.IA32_EFER, 0x1501)).containsExactly(GP, 0);
        // LME cannot change while paging is enabled
        assertThat(wrmsr(TestCpu.long64(), Msr.IA32_EFER, 0x001)).containsExactly(GP, 0);
        t = TestCpu.protectedFlat(32);
        assertThat(wrmsr(t, Msr.IA32_EFER, Cpu.EFER_LME)).isNull();
        assertThat(t.cpu.state().efer).isEqualTo(Cpu.EFER_LME);
    }

    @Test
    void tscAndSegmentBases() {
        TestCpu t = TestCpu.long64();
        assertThat(wrmsr(t, Msr.IA32_TIME_STAMP_COUNTER, 1_000_000)).isNull();
        long tsc = rdmsr(t, Msr.IA32_TIME_STAMP_COUNTER);
        assertThat(tsc).isBetween(1_000_000L, 1_000_200L);
        assertThat(wrmsr(t, Msr.IA32_FS_BASE, 0x7fff_0000_1000L)).isNull();
        assertThat(t.cpu.state().seg[Reg.FS].base).isEqualTo(0x7fff_0000_1000L);
        t.cpu.state().seg[Reg.GS].base = 0x1234;
        assertThat(rdmsr(t, Msr.IA32_GS_BASE)).isEqualTo(0x1234);
        // intel-core has LA57: canonical checks use 57 bits
        assertThat(wrmsr(TestCpu.long64(), Msr.IA32_GS_BASE, 0x0100_0000_0000_0000L)).containsExactly(GP, 0);
        assertThat(wrmsr(TestCpu.long64(), Msr.IA32_GS_BASE, 0x0000_8000_0000_0000L)).isNull();
        assertThat(wrmsr(TestCpu.long64("amd-zen"), Msr.IA32_GS_BASE, 0x0000_8000_0000_0000L)).containsExactly(GP, 0);
    }
}
