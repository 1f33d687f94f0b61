package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.DatactlSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Msr;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.decode.InterceptPoint;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-form tests of NOP, PAUSE, the reserved-NOP/hint space, PREFETCHW, ENDBR32/64, UD0/UD1/UD2, CPUID,
 * RDTSC, RDTSCP, RDPID, RDRAND and RDSEED (SDM Vol. 2A/2B; AMD APM Vol. 3), including the CPUID
 * out-of-range rules per vendor, CR4.TSD at CPL 3 and the intercept points. Columns as in {@link MoveTest}.
 */
class MiscTest {

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 90                   | nop                           | rax=0x1234                       | rax=0x1234 rip=+1
        p32 | 90                   | nop                           |                                  | rip=+1
        l64 | 66 90                | xchg ax,ax                    | rax=0x1234                       | rax=0x1234 rip=+2
        r16 | f3 90                | pause                         |                                  | rip=+2
        l64 | f3 90                | pause                         | rax=5                            | rax=5 rip=+2
        r16 | 0f 1f 00             | nop WORD PTR [bx+si]          |                                  | rip=+3
        p32 | 0f 1f 40 00          | nop DWORD PTR [eax+0x0]       |                                  | rip=+4
        l64 | 0f 1f 00             | nop DWORD PTR [rax]           |                                  | rip=+3
        l64 | 0f 1f 44 00 00       | nop DWORD PTR [rax+rax*1+0x0] |                                  | rip=+5
        l64 | 66 0f 1f 84 00 00 00 00 00 | nop WORD PTR [rax+rax*1+0x0] |                          | rip=+9
        l64 | 66 2e 0f 1f 84 00 00 00 00 00 | cs nop WORD PTR [rax+rax*1+0x0] |                    | rip=+10
        l64 | 0f 1f 00             | nop DWORD PTR [rax]           | rax=0x800000000000               | rip=+3
        l64 | 0f 1f c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 18 00             | prefetchnta BYTE PTR [rax]    |                                  | rip=+3
        l64 | 0f 18 08             | prefetcht0 BYTE PTR [rax]     | rax=0x800000000000               | rip=+3
        l64 | 0f 18 c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 19 c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 1a c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 1b c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 1c c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 1d c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 1e c0             | nop eax                       |                                  | rip=+3
        l64 | 0f 1f 80 00 00 00 00 | nop DWORD PTR [rax+0x0]       |                                  | rip=+7
        p32 | 0f 19 05 00 00 02 00 | nop DWORD PTR ds:0x20000      |                                  | rip=+7
        l64 | 0f 0d 08             | prefetchw BYTE PTR [rax]      |                                  | rip=+3
        r16 | 0f 0d 0f             | prefetchw BYTE PTR [bx]       |                                  | rip=+3
        l64 | 0f 0d c0             | (0F 0D register form)         |                                  | #UD
        l64 | f3 0f 1e fa          | endbr64                       |                                  | rip=+4
        p32 | f3 0f 1e fb          | endbr32                       |                                  | rip=+4
        l64 | 0f 0b                | ud2                           |                                  | #UD rip=+0
        r16 | 0f 0b                | ud2                           |                                  | #UD rip=+0
        p32 | 0f b9 c0             | ud1 eax,eax                   |                                  | #UD
        l64 | 0f b9 04 24          | ud1 eax,DWORD PTR [rsp]       |                                  | #UD
        l64 | 0f ff c0             | ud0 eax,eax                   |                                  | #UD
        r16 | 0f ff 07             | ud0 ax,WORD PTR [bx]          |                                  | #UD
        l64 | f0 90                | lock nop                      |                                  | #UD
        l64 | f0 0f 1f 00          | lock nop DWORD PTR [rax]      |                                  | #UD
        """)
    void nopsAndUd(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    // ------------------------------------------------------------------ CPUID

    private static long[] cpuid(TestCpu t, long leaf, long subleaf) {
        // 0f a2   cpuid
        t.code("0f a2").reg(Reg.RAX, leaf | 0xffff_ffff_0000_0000L).reg(Reg.RCX, subleaf)
                .reg(Reg.RBX, -1).reg(Reg.RDX, -1);
        t.step(1);
        return new long[] {t.reg(Reg.RAX), t.reg(Reg.RBX), t.reg(Reg.RCX), t.reg(Reg.RDX)};
    }

    @ParameterizedTest(name = "{0} leaf {1}.{2}")
    @CsvSource(delimiter = '|', textBlock = """
        intel-core | 0x0        | 0 | 0x0000000d 0x756e6547 0x6c65746e 0x49656e69
        amd-zen    | 0x0        | 0 | 0x0000000d 0x68747541 0x444d4163 0x69746e65
        intel-core | 0x1        | 0 | 0x000906ea 0x00000800 0x45e22008 0x010bab7d
        amd-zen    | 0x1        | 0 | 0x00800f12 0x00000800 0x44e22008 0x010bab7d
        intel-core | 0x7        | 0 | 0x00000000 0x001c0789 0x00410008 0x00000000
        intel-core | 0x7        | 1 | 0x00000000 0x00000000 0x00000000 0x00000000
        intel-core | 0x2        | 0 | 0x00000000 0x00000000 0x00000000 0x00000000
        intel-core | 0xd        | 0 | 0x00000003 0x00000240 0x00000240 0x00000000
        intel-core | 0xd        | 1 | 0x00000000 0x00000000 0x00000000 0x00000000
        intel-core | 0x20       | 0 | 0x00000003 0x00000240 0x00000240 0x00000000
        amd-zen    | 0x20       | 0 | 0x00000000 0x00000000 0x00000000 0x00000000
        intel-core | 0x40000000 | 0 | 0x00000003 0x00000240 0x00000240 0x00000000
        amd-zen    | 0x40000000 | 0 | 0x00000000 0x00000000 0x00000000 0x00000000
        intel-core | 0x80000000 | 0 | 0x80000008 0x00000000 0x00000000 0x00000000
        amd-zen    | 0x80000000 | 0 | 0x8000000a 0x68747541 0x444d4163 0x69746e65
        intel-core | 0x80000008 | 0 | 0x00003927 0x00000000 0x00000000 0x00000000
        amd-zen    | 0x80000008 | 0 | 0x00003030 0x00000000 0x00000000 0x00000000
        intel-core | 0x80000009 | 1 | 0x00000000 0x00000000 0x00000000 0x00000000
        intel-core | 0x80000009 | 0 | 0x00000003 0x00000240 0x00000240 0x00000000
        amd-zen    | 0x80000009 | 0 | 0x00000000 0x00000000 0x00000000 0x00000000
        amd-zen    | 0xffffffff | 0 | 0x00000000 0x00000000 0x00000000 0x00000000
        """)
    void cpuidFromTheProfile(String profile, String leaf, int subleaf, String regs) {
        long[] got = cpuid(TestCpu.long64(profile), Long.decode(leaf), subleaf);
        String[] want = regs.split(" ");
        for (int i = 0; i < 4; i++) {
            assertThat(got[i]).as("reg %d", i).isEqualTo(Long.decode(want[i]));
        }
    }

    @Test
    void cpuidDynamicBits() {
        // leaf 1 EBX[31:24] = initial APIC ID
        Cpu cpu = DatactlSupport.realWith(CpuProfile.load("intel-core"), "66 0f a2", 5);
        cpu.state().gpr[Reg.RAX] = 1;
        cpu.run(1, Long.MAX_VALUE);
        assertThat(cpu.state().gpr[Reg.RBX]).isEqualTo(0x05000800L);
        // leaf 1 ECX[27] follows CR4.OSXSAVE
        TestCpu t = TestCpu.long64();
        t.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
        // VMX (bit 5) is reported only while a VMX model is installed (vmx-model), never by the bare core
        assertThat(cpuid(t, 1, 0)[2]).isEqualTo(0x4de22008L);
        // leaf 7.0 ECX[4] follows CR4.PKE (not for subleaf 1)
        TestCpu u = TestCpu.long64();
        u.cpu.state().cr4 |= Cpu.CR4_PKE;
        assertThat(cpuid(u, 7, 0)[2]).isEqualTo(0x00410018L);
        assertThat(cpuid(u, 7, 1)[2]).isZero();
        // the substituted answer for an out-of-range leaf gets no dynamic bits
        TestCpu v = TestCpu.long64();
        v.cpu.state().cr4 |= Cpu.CR4_OSXSAVE;
        assertThat(cpuid(v, 0x100, 0)[0]).isEqualTo(3);
    }

    @Test
    void cpuidInRealModeWritesOnlyTheLowHalves() {
        // 0f a2   cpuid   (real mode): the results are 32-bit values
        TestCpu t = TestCpu.real().code("0f a2").reg(Reg.RAX, 0);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xd);
        assertThat(t.reg(Reg.RBX)).isEqualTo(0x756e6547L);
    }

    // ------------------------------------------------------------------ time stamp

    @Test
    void rdtscReadsTheTscAndClearsTheUpperHalves() {
        // 90 0f 31   nop ; rdtsc   (64-bit; the NOP warms the TLB, then the TSC is set to 0x1_00000005)
        TestCpu t = TestCpu.long64().code("90 0f 31").reg(Reg.RAX, -1).reg(Reg.RDX, -1);
        t.step(1);
        t.cpu.setTsc(0x1_0000_0005L);
        t.step(1);
        assertThat(t.reg(Reg.RDX)).isEqualTo(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(5);
        // 90 90 0f 31   nop ; nop ; rdtsc: between two RDTSC-visible points the TSC advances by the cycles
        TestCpu u = TestCpu.long64().code("90 90 0f 31");
        u.step(1);
        long before = u.cpu.tsc();
        u.step(2);
        assertThat(u.reg(Reg.RAX) - before).isEqualTo(u.cpu.profile().cycles("nop"));
    }

    @Test
    void rdtscAndRdtscpFaultAtCpl3WhenCr4TsdIsSet() {
        for (String hex : new String[] {"0f 31", "0f 01 f9"}) { // rdtsc ; rdtscp
            TestCpu t = DatactlSupport.cpl3(0).code(hex);
            t.cpu.state().cr4 |= Cpu.CR4_TSD;
            assertThat(DatactlSupport.fault(t)).as(hex).isEqualTo(Vectors.GP);
            TestCpu cpl0 = TestCpu.protectedFlat(32).code(hex);
            cpl0.cpu.state().cr4 |= Cpu.CR4_TSD;
            assertThat(DatactlSupport.fault(cpl0)).as(hex).isEqualTo(DatactlSupport.NONE);
            TestCpu noTsd = DatactlSupport.cpl3(0).code(hex);
            assertThat(DatactlSupport.fault(noTsd)).as(hex).isEqualTo(DatactlSupport.NONE);
            TestCpu v86 = DatactlSupport.v86(3, false).code(hex);
            v86.cpu.state().cr4 |= Cpu.CR4_TSD;
            assertThat(DatactlSupport.fault(v86)).as(hex).isEqualTo(Vectors.GP);
        }
    }

    @Test
    void tsdFaultTakesPriorityOverTheIntercept() {
        // 0f 31   rdtsc   at CPL 3 with CR4.TSD under a guest mode: #GP(0), no intercept asked
        TestCpu t = DatactlSupport.cpl3(0).code("0f 31");
        t.cpu.state().cr4 |= Cpu.CR4_TSD;
        DatactlSupport.InterceptLog log = new DatactlSupport.InterceptLog();
        t.cpu.setGuestMode(log);
        assertThat(DatactlSupport.fault(t)).isEqualTo(Vectors.GP);
        assertThat(log.points).isEmpty();
    }

    @Test
    void rdtscpAndRdpidReadTscAux() {
        // 90 0f 01 f9   nop ; rdtscp   (64-bit): ECX = IA32_TSC_AUX, upper half of RCX cleared
        TestCpu t = TestCpu.long64().code("90 0f 01 f9").reg(Reg.RCX, -1);
        t.cpu.state().msr.put(Msr.IA32_TSC_AUX, 0x1234);
        t.step(1);
        t.cpu.setTsc(0x2_0000_0007L);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isEqualTo(0x1234);
        assertThat(t.reg(Reg.RDX)).isEqualTo(2);
        assertThat(t.reg(Reg.RAX)).isEqualTo(7);
        // f3 0f c7 f8   rdpid rax   (64-bit: the whole register)
        TestCpu u = TestCpu.long64().code("f3 0f c7 f8").reg(Reg.RAX, -1);
        u.cpu.state().msr.put(Msr.IA32_TSC_AUX, 0x55);
        u.step(1);
        assertThat(u.reg(Reg.RAX)).isEqualTo(0x55);
        // f3 41 0f c7 f8   rdpid r8
        TestCpu w = TestCpu.long64().code("f3 41 0f c7 f8").reg(Reg.R8, -1);
        w.cpu.state().msr.put(Msr.IA32_TSC_AUX, 0x66);
        w.step(1);
        assertThat(w.reg(Reg.R8)).isEqualTo(0x66);
        // f3 0f c7 f9   rdpid ecx   (32-bit)
        TestCpu v = TestCpu.protectedFlat(32).code("f3 0f c7 f9");
        v.cpu.state().msr.put(Msr.IA32_TSC_AUX, 0x77);
        v.step(1);
        assertThat(v.reg(Reg.RCX)).isEqualTo(0x77);
        // f3 0f c7 38   (RDPID has no memory form): #UD
        assertThat(DatactlSupport.fault(TestCpu.long64().code("f3 0f c7 38"))).isEqualTo(Vectors.UD);
    }

    @Test
    void timeAndRandomInstructionsAreUdWithoutTheirFeature() {
        String[][] cases = {
            {"RDTSCP", "0f 01 f9"}, {"RDPID", "f3 0f c7 f8"}, {"RDRAND", "0f c7 f0"}, {"RDSEED", "0f c7 f8"}};
        Feature[] features = {Feature.RDTSCP, Feature.RDPID, Feature.RDRAND, Feature.RDSEED};
        for (int i = 0; i < cases.length; i++) {
            Cpu without = DatactlSupport.realWith(DatactlSupport.without("intel-core", features[i]), cases[i][1]);
            assertThat(DatactlSupport.stepRecording(without).vector).as(cases[i][0]).isEqualTo(Vectors.UD);
            Cpu with = DatactlSupport.realWith(CpuProfile.load("intel-core"), cases[i][1]);
            assertThat(DatactlSupport.stepRecording(with).vector).as(cases[i][0]).isEqualTo(DatactlSupport.NONE);
        }
    }

    // ------------------------------------------------------------------ RDRAND / RDSEED

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 0f c7 f0             | rdrand ax                     | rax=0xffff0000 zf=1 sf=1 of=1    | cf=1 zf=0 sf=0 of=0 pf=0 af=0 rip=+3
        p32 | 0f c7 f0             | rdrand eax                    | zf=1                             | cf=1 zf=0
        p32 | 66 0f c7 f3          | rdrand bx                     | zf=1                             | cf=1 zf=0 rip=+4
        l64 | 48 0f c7 f0          | rdrand rax                    | of=1                             | cf=1 of=0
        l64 | 41 0f c7 f1          | rdrand r9d                    | sf=1                             | cf=1 sf=0
        r16 | 0f c7 f8             | rdseed ax                     | zf=1                             | cf=1 zf=0
        p32 | 0f c7 f8             | rdseed eax                    | zf=1                             | cf=1 zf=0
        l64 | 48 0f c7 f8          | rdseed rax                    | zf=1                             | cf=1 zf=0
        l64 | 66 0f c7 fa          | rdseed dx                     | zf=1                             | cf=1 zf=0
        r16 | 0f c7 37             | vmptrld QWORD PTR [bx]        |                                  | #UD
        l64 | f3 0f c7 f0          | (F3 0F C7 /6 register: SENDUIPI, not modelled) |                 | #UD
        l64 | f2 0f c7 f0          | (F2 0F C7 /6 register)        |                                  | #UD
        """)
    void rdrandRdseedForms(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @Test
    void rdrandIsDeterministicPerCpuAndWritesTheOperandSize() {
        // 48 0f c7 f0 48 0f c7 f3   rdrand rax ; rdrand rbx
        TestCpu a = TestCpu.long64().code("48 0f c7 f0 48 0f c7 f3");
        TestCpu b = TestCpu.long64().code("48 0f c7 f0 48 0f c7 f3");
        a.step(2);
        b.step(2);
        assertThat(a.reg(Reg.RAX)).isEqualTo(b.reg(Reg.RAX));
        assertThat(a.reg(Reg.RBX)).isEqualTo(b.reg(Reg.RBX));
        assertThat(a.reg(Reg.RAX)).isNotEqualTo(a.reg(Reg.RBX));
        // 0f c7 f0   rdrand eax   (64-bit): zero-extended
        TestCpu c = TestCpu.long64().code("0f c7 f0").reg(Reg.RAX, -1);
        c.step(1);
        assertThat(c.reg(Reg.RAX) >>> 32).isZero();
        assertThat(c.reg(Reg.RAX)).isEqualTo(a.reg(Reg.RAX) & 0xffffffffL);
        // 66 0f c7 f0   rdrand ax   keeps the upper bits
        TestCpu d = TestCpu.long64().code("66 0f c7 f0").reg(Reg.RAX, -1);
        d.step(1);
        assertThat(d.reg(Reg.RAX) >>> 16).isEqualTo(0xffff_ffff_ffffL);
    }

    // ------------------------------------------------------------------ intercepts and costs

    @Test
    void interceptPointsAreAskedBeforeExecution() {
        Object[][] cases = {
            {"0f a2", InterceptPoint.CPUID}, {"f3 90", InterceptPoint.PAUSE}, {"0f 31", InterceptPoint.RDTSC},
            {"0f 01 f9", InterceptPoint.RDTSCP}, {"f3 0f c7 f8", InterceptPoint.RDPID},
            {"0f c7 f0", InterceptPoint.RDRAND}, {"0f c7 f8", InterceptPoint.RDSEED},
            {"9c", InterceptPoint.PUSHF}, {"9d", InterceptPoint.POPF}};
        for (Object[] c : cases) {
            TestCpu t = TestCpu.long64().code((String) c[0]);
            DatactlSupport.InterceptLog log = new DatactlSupport.InterceptLog();
            t.cpu.setGuestMode(log);
            t.step(1);
            assertThat(log.points).as((String) c[0]).isEqualTo(List.of(c[1]));
        }
        TestCpu nop = TestCpu.long64().code("90");
        DatactlSupport.InterceptLog log = new DatactlSupport.InterceptLog();
        nop.cpu.setGuestMode(log);
        nop.step(1);
        assertThat(log.points).isEmpty();
    }

    @Test
    void pauseAndCpuidCostTheirLatencyClass() {
        // 90 f3 90 0f a2   nop (warms the TLB) ; pause ; cpuid
        TestCpu t = TestCpu.long64().code("90 f3 90 0f a2").reg(Reg.RAX, 0);
        t.step(1);
        long c0 = t.cpu.cycles();
        t.step(1);
        assertThat(t.cpu.cycles() - c0).isEqualTo(t.cpu.profile().cycles("pause"));
        long c1 = t.cpu.cycles();
        t.step(1);
        assertThat(t.cpu.cycles() - c1).isEqualTo(t.cpu.profile().cycles("cpuid"));
        assertThat(t.cpu.profile().cycles("pause")).isGreaterThan(t.cpu.profile().cycles("nop"));
    }

    @Test
    void rdrandClearsAllStatusFlags() {
        // 0f c7 f0   rdrand eax   with every status flag set before: only CF remains
        TestCpu t = TestCpu.protectedFlat(32).code("0f c7 f0");
        t.cpu.state().setRflags(Flags.OSZAPC | Flags.FIXED1);
        t.step(1);
        assertThat(t.cpu.state().oszapc()).isEqualTo(Flags.CF);
    }
}
