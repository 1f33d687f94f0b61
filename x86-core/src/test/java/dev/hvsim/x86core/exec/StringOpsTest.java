package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.DatactlSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-form tests of MOVS, CMPS, SCAS, LODS and STOS with REP/REPE/REPNE (SDM Vol. 2A/2B): every operand
 * size, every address size (SI/ESI/RSI selected by 67), DF, REPE/REPNE termination, count zero, the fault
 * state in the middle of a REP, and the per-step work bound. Columns as in {@link MoveTest}.
 */
class StringOpsTest {

    @ParameterizedTest(name = "{0}: {2} {3}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | a4                   | movs BYTE PTR es:[di],BYTE PTR ds:[si] | rsi=0x2000 rdi=0x3000 [0x2000]1=0x5a | [0x3000]1=0x5a rsi=0x2001 rdi=0x3001 rip=+1
        r16 | a5                   | movs WORD PTR es:[di],WORD PTR ds:[si] | rsi=0x2000 rdi=0x3000 [0x2000]2=0x1234 | [0x3000]2=0x1234 rsi=0x2002 rdi=0x3002
        r16 | 66 a5                | movs DWORD PTR es:[di],DWORD PTR ds:[si] | rsi=0x2000 rdi=0x3000 [0x2000]4=0x12345678 | [0x3000]4=0x12345678 rsi=0x2004 rdi=0x3004
        r16 | a4                   | movs BYTE PTR es:[di],BYTE PTR ds:[si] | df=1 rsi=0x2000 rdi=0x3000 [0x2000]1=0x5a | [0x3000]1=0x5a rsi=0x1fff rdi=0x2fff
        r16 | f3 a4                | rep movs BYTE PTR es:[di],BYTE PTR ds:[si] | rcx=4 rsi=0x2000 rdi=0x3000 [0x2000]4=0x44332211 | [0x3000]4=0x44332211 rcx=0 rsi=0x2004 rdi=0x3004
        r16 | f3 a4                | rep movs BYTE PTR es:[di],BYTE PTR ds:[si] | rcx=0x10000 rsi=0x2000 rdi=0x3000 [0x2000]1=1 | rcx=0x10000 rsi=0x2000 rdi=0x3000 [0x3000]1=0
        r16 | 67 a4                | movs BYTE PTR es:[edi],BYTE PTR ds:[esi] | rsi=0x2000 rdi=0x3000 [0x2000]1=7 | [0x3000]1=7 rsi=0x2001 rdi=0x3001
        r16 | a4                   | movs BYTE PTR es:[di],BYTE PTR ds:[si] | rsi=0x1ffff rdi=0x3000 [0xffff]1=0x77 | [0x3000]1=0x77 rsi=0x10000
        r16 | a5                   | movs WORD PTR es:[di],WORD PTR ds:[si] | rsi=0xffff rdi=0x3000 | #GP(0) rsi=0xffff
        p16 | f3 a4                | rep movs BYTE PTR es:[di],BYTE PTR ds:[si] | rcx=0x50002 rsi=0x2000 rdi=0x3000 [0x2000]2=0x2211 | [0x3000]2=0x2211 rcx=0x50000 rsi=0x2002
        p32 | a5                   | movs DWORD PTR es:[edi],DWORD PTR ds:[esi] | rsi=0x20000 rdi=0x21000 [0x20000]4=0xdeadbeef | [0x21000]4=0xdeadbeef rsi=0x20004 rdi=0x21004
        p32 | 66 a5                | movs WORD PTR es:[edi],WORD PTR ds:[esi] | rsi=0x20000 rdi=0x21000 [0x20000]4=0xdeadbeef | [0x21000]4=0xbeef rsi=0x20002 rdi=0x21002
        p32 | f3 a5                | rep movs DWORD PTR es:[edi],DWORD PTR ds:[esi] | rcx=3 rsi=0x20000 rdi=0x21000 [0x20000]8=0x1111111122222222 [0x20008]4=0x33333333 | [0x21000]8=0x1111111122222222 [0x21008]4=0x33333333 rcx=0 rsi=0x2000c rdi=0x2100c
        p32 | f3 a5                | rep movs DWORD PTR es:[edi],DWORD PTR ds:[esi] | df=1 rcx=2 rsi=0x20004 rdi=0x21004 [0x20000]8=0x1111111122222222 | [0x21000]8=0x1111111122222222 rcx=0 rsi=0x1fffc rdi=0x20ffc
        p32 | 67 f3 a4             | rep movs BYTE PTR es:[di],BYTE PTR ds:[si] | rcx=0x10002 rsi=0x2000 rdi=0x3000 [0x2000]2=0x2211 | [0x3000]2=0x2211 rcx=0x10000 rsi=0x2002 rdi=0x3002
        l64 | 48 a5                | movs QWORD PTR es:[rdi],QWORD PTR ds:[rsi] | rsi=0x20000 rdi=0x21000 [0x20000]8=-2 | [0x21000]8=-2 rsi=0x20008 rdi=0x21008
        l64 | f3 48 a5             | rep movs QWORD PTR es:[rdi],QWORD PTR ds:[rsi] | rcx=2 rsi=0x20000 rdi=0x21000 [0x20000]8=1 [0x20008]8=2 | [0x21000]8=1 [0x21008]8=2 rcx=0 rsi=0x20010
        l64 | 67 a4                | movs BYTE PTR es:[edi],BYTE PTR ds:[esi] | rsi=0xffffffff00020000 rdi=0xffffffff00021000 [0x20000]1=9 | [0x21000]1=9 rsi=0x20001 rdi=0x21001
        l64 | 67 f3 a4             | rep movs BYTE PTR es:[edi],BYTE PTR ds:[esi] | rcx=0xffffffff00000000 rsi=0xffffffff00020000 | rcx=0xffffffff00000000 rsi=0xffffffff00020000
        l64 | f2 a4                | repnz movs BYTE PTR es:[rdi],BYTE PTR ds:[rsi] | rcx=4 rsi=0x20000 rdi=0x21000 [0x20000]4=0x44332211 | [0x21000]4=0x44332211 rcx=0
        l64 | a4                   | movs BYTE PTR es:[rdi],BYTE PTR ds:[rsi] | rsi=0x800000000000 rdi=0x21000 | #GP(0)
        r16 | a6                   | cmps BYTE PTR ds:[si],BYTE PTR es:[di] | rsi=0x2000 rdi=0x3000 [0x2000]1=5 [0x3000]1=3 | cf=0 zf=0 rsi=0x2001 rdi=0x3001
        r16 | a6                   | cmps BYTE PTR ds:[si],BYTE PTR es:[di] | rsi=0x2000 rdi=0x3000 [0x2000]1=3 [0x3000]1=5 | cf=1 sf=1
        r16 | f3 a6                | repz cmps BYTE PTR ds:[si],BYTE PTR es:[di] | rcx=5 rsi=0x2000 rdi=0x3000 [0x2000]4=0x58636261 [0x2004]1=0x65 [0x3000]4=0x59636261 [0x3004]1=0x65 | rcx=1 rsi=0x2004 rdi=0x3004 zf=0 cf=1
        r16 | f2 a6                | repnz cmps BYTE PTR ds:[si],BYTE PTR es:[di] | rcx=5 rsi=0x2000 rdi=0x3000 [0x2000]4=0x64636261 [0x3000]4=0x647a7978 | rcx=1 zf=1 rsi=0x2004
        r16 | f3 a6                | repz cmps BYTE PTR ds:[si],BYTE PTR es:[di] | rcx=0 cf=1 zf=0 rsi=0x2000 | cf=1 zf=0 rsi=0x2000
        r16 | 66 a7                | cmps DWORD PTR ds:[si],DWORD PTR es:[di] | rsi=0x2000 rdi=0x3000 [0x2000]4=7 [0x3000]4=7 | zf=1 rsi=0x2004 rdi=0x3004
        p32 | a7                   | cmps DWORD PTR ds:[esi],DWORD PTR es:[edi] | rsi=0x20000 rdi=0x21000 [0x20000]4=1 [0x21000]4=2 | cf=1 sf=1 zf=0
        p32 | 66 a7                | cmps WORD PTR ds:[esi],WORD PTR es:[edi] | rsi=0x20000 rdi=0x21000 [0x20000]2=0x8000 [0x21000]2=1 | of=1 sf=0 rsi=0x20002
        l64 | 48 a7                | cmps QWORD PTR ds:[rsi],QWORD PTR es:[rdi] | rsi=0x20000 rdi=0x21000 [0x20000]8=-1 [0x21000]8=-1 | zf=1 rsi=0x20008 rdi=0x21008
        l64 | f3 48 a7             | repz cmps QWORD PTR ds:[rsi],QWORD PTR es:[rdi] | rcx=3 rsi=0x20000 rdi=0x21000 | rcx=0 zf=1 rsi=0x20018
        r16 | ae                   | scas al,BYTE PTR es:[di]      | rax=0x41 rdi=0x3000 [0x3000]1=0x41 | zf=1 rdi=0x3001
        r16 | f2 ae                | repnz scas al,BYTE PTR es:[di] | rax=0 rcx=10 rdi=0x3000 [0x3000]4=0x00636261 | rcx=6 rdi=0x3004 zf=1
        r16 | af                   | scas ax,WORD PTR es:[di]      | rax=0x1234 rdi=0x3000 [0x3000]2=0x1235 | cf=1 rdi=0x3002
        p32 | af                   | scas eax,DWORD PTR es:[edi]   | rax=5 rdi=0x20000 [0x20000]4=6   | cf=1 zf=0 rdi=0x20004
        p32 | 66 af                | scas ax,WORD PTR es:[edi]     | rax=0x10005 rdi=0x20000 [0x20000]2=5 | zf=1 rdi=0x20002
        l64 | 48 af                | scas rax,QWORD PTR es:[rdi]   | rax=-1 rdi=0x20000 [0x20000]8=-1 | zf=1 rdi=0x20008
        l64 | f3 ae                | repz scas al,BYTE PTR es:[rdi] | rax=0x61 rcx=8 rdi=0x20000 [0x20000]4=0x62616161 | rcx=4 rdi=0x20004 zf=0
        l64 | ae                   | scas al,BYTE PTR es:[rdi]     | df=1 rdi=0x20000                 | rdi=0x1ffff
        l64 | 67 ae                | scas al,BYTE PTR es:[edi]     | rdi=0x100020000                  | rdi=0x20001
        r16 | ac                   | lods al,BYTE PTR ds:[si]      | rax=0x1200 rsi=0x2000 [0x2000]1=0x34 | rax=0x1234 rsi=0x2001
        r16 | ad                   | lods ax,WORD PTR ds:[si]      | rax=0x10000 rsi=0x2000 [0x2000]2=0xbeef | rax=0x1beef rsi=0x2002
        r16 | 66 ad                | lods eax,DWORD PTR ds:[si]    | rsi=0x2000 [0x2000]4=0xcafebabe  | rax=0xcafebabe rsi=0x2004
        p32 | ad                   | lods eax,DWORD PTR ds:[esi]   | rsi=0x20000 [0x20000]4=0xcafebabe | rax=0xcafebabe rsi=0x20004
        p32 | 66 ad                | lods ax,WORD PTR ds:[esi]     | rax=0x11110000 rsi=0x20000 [0x20000]2=0xbabe | rax=0x1111babe
        l64 | 48 ad                | lods rax,QWORD PTR ds:[rsi]   | rsi=0x20000 [0x20000]8=-7        | rax=-7 rsi=0x20008
        l64 | ad                   | lods eax,DWORD PTR ds:[rsi]   | rax=-1 rsi=0x20000 [0x20000]4=5  | rax=5
        l64 | f3 ac                | rep lods al,BYTE PTR ds:[rsi] | rax=0 rcx=3 rsi=0x20000 [0x20000]4=0x00332211 | rax=0x33 rcx=0 rsi=0x20003
        l64 | ac                   | lods al,BYTE PTR ds:[rsi]     | df=1 rsi=0x20000                 | rsi=0x1ffff
        l64 | ac                   | lods al,BYTE PTR ds:[rsi]     | rsi=0x800000000000               | #GP(0)
        r16 | aa                   | stos BYTE PTR es:[di],al      | rax=0x77 rdi=0x3000              | [0x3000]1=0x77 rdi=0x3001
        r16 | ab                   | stos WORD PTR es:[di],ax      | rax=0x7788 rdi=0x3000            | [0x3000]2=0x7788 rdi=0x3002
        r16 | 66 ab                | stos DWORD PTR es:[di],eax    | rax=0x11223344 rdi=0x3000        | [0x3000]4=0x11223344 rdi=0x3004
        r16 | f3 ab                | rep stos WORD PTR es:[di],ax  | rcx=3 rax=0xabcd rdi=0x3000      | [0x3000]4=0xabcdabcd [0x3004]2=0xabcd rcx=0 rdi=0x3006
        p32 | ab                   | stos DWORD PTR es:[edi],eax   | rax=0x11223344 rdi=0x20000       | [0x20000]4=0x11223344 rdi=0x20004
        p32 | 66 ab                | stos WORD PTR es:[edi],ax     | rax=0x11223344 rdi=0x20000       | [0x20000]4=0x3344 rdi=0x20002
        p32 | f3 ab                | rep stos DWORD PTR es:[edi],eax | rcx=2 rax=0x5a5a5a5a rdi=0x20000 | [0x20000]8=0x5a5a5a5a5a5a5a5a rcx=0 rdi=0x20008
        l64 | 48 ab                | stos QWORD PTR es:[rdi],rax   | rax=-3 rdi=0x20000               | [0x20000]8=-3 rdi=0x20008
        l64 | f3 48 ab             | rep stos QWORD PTR es:[rdi],rax | rcx=3 rax=-1 rdi=0x20000       | [0x20000]8=-1 [0x20008]8=-1 [0x20010]8=-1 rcx=0 rdi=0x20018
        l64 | f3 aa                | rep stos BYTE PTR es:[rdi],al | df=1 rcx=3 rax=0x5a rdi=0x20002  | [0x20000]4=0x5a5a5a rdi=0x1ffff rcx=0
        l64 | 67 aa                | stos BYTE PTR es:[edi],al     | rax=1 rdi=0xffffffff00020000     | [0x20000]1=1 rdi=0x20001
        l64 | aa                   | stos BYTE PTR es:[rdi],al     | rdi=0x800000000000               | #GP(0)
        l64 | f0 aa                | lock stos BYTE PTR es:[rdi],al | rdi=0x20000                     | #UD
        l64 | f0 f3 a4             | lock rep movs BYTE PTR es:[rdi],BYTE PTR ds:[rsi] | rdi=0x20000 | #UD
        """)
    void strings(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @Test
    void faultInTheMiddleOfARepLeavesTheRemainingWorkInTheRegisters() {
        // f3 aa   rep stosb   (32-bit, ES limit 0x20003): the 5th store faults with ECX = 6, EDI = 0x20004,
        // RIP at the instruction; after the limit is raised the same instruction finishes the job
        TestCpu t = TestCpu.protectedFlat(32).code("f3 aa 90").reg(Reg.RCX, 10).reg(Reg.RDI, 0x20000).reg(Reg.RAX, 0xee);
        t.cpu.state().seg[Reg.ES].limit = 0x20003;
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.GP);
        assertThat(r.at.gpr[Reg.RCX]).isEqualTo(6);
        assertThat(r.at.gpr[Reg.RDI]).isEqualTo(0x20004);
        assertThat(r.at.rip).isEqualTo(TestCpu.CODE);
        assertThat(t.bus.read(0x20000, 8)).isEqualTo(0xeeeeeeeeL);
        // resume: same registers, limit fixed
        TestCpu u = TestCpu.protectedFlat(32).code("f3 aa 90").reg(Reg.RCX, 6).reg(Reg.RDI, 0x20004).reg(Reg.RAX, 0xee);
        u.step(1);
        assertThat(u.reg(Reg.RCX)).isZero();
        assertThat(u.reg(Reg.RDI)).isEqualTo(0x2000a);
        assertThat(u.cpu.state().rip).isEqualTo(TestCpu.CODE + 2);
    }

    @Test
    void pageFaultInTheMiddleOfARepMovs() {
        // f3 a4   rep movsb   (64-bit) from 0x1ffffe upwards; the 2 MiB page at 0x200000 is made not present:
        // #PF on the 3rd read with CR2 = 0x200000, RCX = 3, RSI = 0x200000, RDI = 0x20002
        TestCpu t = TestCpu.long64().code("f3 a4").reg(Reg.RCX, 5).reg(Reg.RSI, 0x1ffffe).reg(Reg.RDI, 0x20000);
        t.bus.write(TestCpu.PAGING + 0x2000 + 8, 8, 0);
        t.cpu.mmu().flushAll();
        t.bus.write(0x1ffffe, 2, 0xbbaa);
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.PF);
        assertThat(r.at.cr2).isEqualTo(0x200000);
        assertThat(r.at.gpr[Reg.RCX]).isEqualTo(3);
        assertThat(r.at.gpr[Reg.RSI]).isEqualTo(0x200000);
        assertThat(r.at.gpr[Reg.RDI]).isEqualTo(0x20002);
        assertThat(t.bus.read(0x20000, 2)).isEqualTo(0xbbaa);
    }

    @Test
    void sourceSegmentIsOverridableButTheDestinationIsAlwaysEs() {
        // 64 a4   movs byte es:[edi],fs:[esi]   (32-bit, FS base 0x1000, ES base 0x4000)
        TestCpu t = TestCpu.protectedFlat(32).code("64 a4").reg(Reg.RSI, 0x20000).reg(Reg.RDI, 0x20000);
        t.cpu.state().seg[Reg.FS].base = 0x1000;
        t.cpu.state().seg[Reg.ES].base = 0x4000;
        t.bus.write(0x21000, 1, 0x5c);
        t.step(1);
        assertThat(t.bus.read(0x24000, 1)).isEqualTo(0x5c);
        // 64 aa   stos byte es:[edi],al   with an FS prefix: still ES
        TestCpu u = TestCpu.protectedFlat(32).code("64 aa").reg(Reg.RDI, 0x20000).reg(Reg.RAX, 0x6d);
        u.cpu.state().seg[Reg.FS].base = 0x1000;
        u.cpu.state().seg[Reg.ES].base = 0x4000;
        u.step(1);
        assertThat(u.bus.read(0x24000, 1)).isEqualTo(0x6d);
        assertThat(u.bus.read(0x21000, 1)).isZero();
        // 26 ac   lods al,es:[si]   (real mode, ES = 0x100)
        TestCpu v = TestCpu.real().code("26 ac").reg(Reg.RSI, 0x10);
        v.cpu.state().seg[Reg.ES].set(0x100, 0x1000, 0xffff, 0x93);
        v.bus.write(0x1010, 1, 0x42);
        v.step(1);
        assertThat(v.reg(Reg.RAX) & 0xff).isEqualTo(0x42);
        // 65 a6   cmps byte gs:[rsi],es:[rdi]   (64-bit, GS base 0x1000)
        TestCpu w = TestCpu.long64().code("65 a6").reg(Reg.RSI, 0x20000).reg(Reg.RDI, 0x21000);
        w.cpu.state().seg[Reg.GS].base = 0x1000;
        w.bus.write(0x21000, 1, 9);
        w.step(1);
        assertThat(w.cpu.state().zf()).isTrue();
    }

    @Test
    void longRepYieldsEveryChunkAndAHugeCountCannotHangAStep() {
        // f3 aa   rep stosb   with RCX = 10000: RIP stays on the instruction until the count is done
        TestCpu t = TestCpu.long64().code("f3 aa f4").reg(Reg.RCX, 10000).reg(Reg.RDI, 0x20000).reg(Reg.RAX, 1);
        t.step(1);
        assertThat(t.reg(Reg.RCX)).isEqualTo(10000 - StringOps.CHUNK);
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE);
        t.step(2);
        assertThat(t.reg(Reg.RCX)).isZero();
        assertThat(t.cpu.state().rip).isEqualTo(TestCpu.CODE + 2);
        assertThat(t.bus.read(0x20000 + 9999, 1)).isEqualTo(1);
        assertThat(t.bus.read(0x20000 + 10000, 1)).isZero();
        // RCX = 2^40: one step does one chunk
        TestCpu u = TestCpu.long64().code("f3 48 ab").reg(Reg.RCX, 1L << 40).reg(Reg.RDI, 0x20000);
        long before = u.cpu.instructions();
        u.step(1);
        assertThat(u.cpu.instructions() - before).isEqualTo(1);
        assertThat(u.reg(Reg.RCX)).isEqualTo((1L << 40) - StringOps.CHUNK);
        assertThat(u.reg(Reg.RDI)).isEqualTo(0x20000 + 8L * StringOps.CHUNK);
    }

    @Test
    void singleStepTrapsAfterEachIteration() {
        // f3 aa   rep stosb   (real mode, TF = 1, CX = 3): #DB after the first iteration, CX = 2, IP at the insn
        TestCpu t = TestCpu.real().code("f3 aa").reg(Reg.RCX, 3).reg(Reg.RDI, 0x3000);
        t.cpu.state().flagsRest |= Flags.TF;
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.DB);
        assertThat(r.at.gpr[Reg.RCX]).isEqualTo(2);
        assertThat(r.at.gpr[Reg.RDI]).isEqualTo(0x3001);
        assertThat(r.at.rip).isZero();
    }

    @Test
    void unusableEsFaults() {
        // aa   stosb   (32-bit protected mode, ES null/unusable): #GP(0)
        TestCpu t = TestCpu.protectedFlat(32).code("aa").reg(Reg.RDI, 0x20000);
        t.cpu.state().seg[Reg.ES].set(0, 0, 0, Segment.ATTR_UNUSABLE);
        assertThat(DatactlSupport.fault(t)).isEqualTo(Vectors.GP);
    }
}
