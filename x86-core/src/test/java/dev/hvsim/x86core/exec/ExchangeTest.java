package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.DatactlSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-form tests of XCHG (86/87, 90+r, REX.B 90), XADD, CMPXCHG, CMPXCHG8B and CMPXCHG16B (SDM Vol. 2A/2B).
 * The 64-bit register-destination CMPXCHG rows and the REX.B 90 rows reproduce results measured on an x86-64
 * host. Columns as in {@link MoveTest}.
 */
class ExchangeTest {

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 86 c4                | xchg ah,al                    | rax=0x1234                       | rax=0x3412 rip=+2
        r16 | 87 1f                | xchg WORD PTR [bx],bx         | rbx=0x2000 [0x2000]2=0x1111      | rbx=0x1111 [0x2000]2=0x2000
        p32 | 87 18                | xchg DWORD PTR [eax],ebx      | rax=0x20000 rbx=0x11 [0x20000]4=0x22 | rbx=0x22 [0x20000]4=0x11
        p32 | f0 87 18             | lock xchg DWORD PTR [eax],ebx | rax=0x20000 rbx=0x11 [0x20000]4=0x22 | rbx=0x22 [0x20000]4=0x11 rip=+3
        p32 | f0 87 d8             | lock xchg eax,ebx             |                                  | #UD rip=+0
        p32 | 66 87 d8             | xchg ax,bx                    | rax=0x11112222 rbx=0x33334444    | rax=0x11114444 rbx=0x33332222
        l64 | 48 87 18             | xchg QWORD PTR [rax],rbx      | rax=0x20000 rbx=-2 [0x20000]8=0x0102030405060708 | rbx=0x0102030405060708 [0x20000]8=-2
        l64 | 86 18                | xchg BYTE PTR [rax],bl        | rax=0x20000 rbx=0x1234 [0x20000]4=0xaabbccdd | rbx=0x12dd [0x20000]4=0xaabbcc34
        l64 | 87 d8                | xchg eax,ebx                  | rax=0xffffffff00000001 rbx=0xffffffff00000002 | rax=2 rbx=1
        l64 | 4d 87 c8             | xchg r8,r9                    | r8=1 r9=2                        | r8=2 r9=1
        l64 | 48 87 18             | xchg QWORD PTR [rax],rbx      | rax=0x800000000000 rbx=5         | #GP(0) rbx=5
        r16 | 93                   | xchg bx,ax                    | rax=0x1 rbx=0x2                  | rax=2 rbx=1 rip=+1
        r16 | 66 93                | xchg ebx,eax                  | rax=0x10000001 rbx=0x20000002    | rax=0x20000002 rbx=0x10000001
        p32 | 91                   | xchg ecx,eax                  | rax=0x1 rcx=0x2                  | rax=2 rcx=1
        p32 | 66 91                | xchg cx,ax                    | rax=0x10001 rcx=0x20002          | rax=0x10002 rcx=0x20001
        l64 | 48 97                | xchg rdi,rax                  | rax=-1 rdi=1                     | rax=1 rdi=-1
        l64 | 97                   | xchg edi,eax                  | rax=0xffffffff00000001 rdi=0xffffffff00000002 | rax=2 rdi=1
        l64 | 49 90                | xchg r8,rax                   | rax=1 r8=2                       | rax=2 r8=1
        l64 | 41 90                | xchg r8d,eax                  | rax=0x1111111122222222 r8=0x3333333344444444 | rax=0x44444444 r8=0x22222222
        l64 | 66 41 90             | xchg r8w,ax                   | rax=0x1111111122222222 r8=0x3333333344444444 | rax=0x1111111122224444 r8=0x3333333344442222
        l64 | f3 41 90             | (F3 REX.B 90: xchg r8d,eax)   | rax=0x1111111122222222 r8=0x3333333344444444 | rax=0x44444444 r8=0x22222222
        l64 | 90                   | nop                           | rax=0x1111111122222222           | rax=0x1111111122222222 rip=+1
        l64 | 48 90                | rex.W nop                     | rax=0x1111111122222222           | rax=0x1111111122222222
        r16 | 0f c0 d8             | xadd al,bl                    | rax=0x01 rbx=0xff                | rax=0 rbx=1 cf=1 zf=1 rip=+3
        p32 | 0f c1 18             | xadd DWORD PTR [eax],ebx      | rax=0x20000 rbx=3 [0x20000]4=5   | rbx=5 [0x20000]4=8 zf=0
        p32 | f0 0f c1 18          | lock xadd DWORD PTR [eax],ebx | rax=0x20000 rbx=3 [0x20000]4=5   | rbx=5 [0x20000]4=8
        p32 | f0 0f c1 d8          | lock xadd eax,ebx             |                                  | #UD
        l64 | 48 0f c1 c0          | xadd rax,rax                  | rax=3                            | rax=6
        l64 | 0f c1 d8             | xadd eax,ebx                  | rax=0xffffffff00000001 rbx=0xffffffff00000002 | rax=3 rbx=1
        l64 | 66 0f c1 d8          | xadd ax,bx                    | rax=0x7fff rbx=1                 | rax=0x8000 rbx=0x7fff of=1 sf=1
        l64 | 48 0f c1 18          | xadd QWORD PTR [rax],rbx      | rax=0x800000000000 rbx=1         | #GP(0) rbx=1
        l64 | 0f b1 d1             | cmpxchg ecx,edx               | rax=0xaaaaaaaa00000001 rcx=0xbbbbbbbb00000002 rdx=0xcccccccc00000003 | rax=2 rcx=0xbbbbbbbb00000002 zf=0 cf=1
        l64 | 0f b1 d1             | cmpxchg ecx,edx               | rax=0xaaaaaaaa00000002 rcx=0xbbbbbbbb00000002 rdx=0xcccccccc00000003 | rax=0xaaaaaaaa00000002 rcx=3 zf=1
        l64 | 48 0f b1 d1          | cmpxchg rcx,rdx               | rax=5 rcx=5 rdx=9                | rcx=9 rax=5 zf=1
        l64 | 66 0f b1 d1          | cmpxchg cx,dx                 | rax=-1 rcx=0x12345 rdx=9         | rax=0xffffffffffff2345 rcx=0x12345 zf=0
        r16 | 0f b0 d9             | cmpxchg cl,bl                 | rax=0x05 rcx=0x05 rbx=0x09       | rcx=9 zf=1
        r16 | 0f b0 d9             | cmpxchg cl,bl                 | rax=0x01 rcx=0x02 rbx=0x09       | rax=2 rcx=2 zf=0 cf=1 sf=1
        r16 | 0f b1 0f             | cmpxchg WORD PTR [bx],cx      | rbx=0x2000 rax=7 rcx=9 [0x2000]2=7 | [0x2000]2=9 zf=1
        p32 | 0f b1 0b             | cmpxchg DWORD PTR [ebx],ecx   | rbx=0x20000 rax=7 rcx=9 [0x20000]4=7 | [0x20000]4=9 zf=1 rax=7
        p32 | 0f b1 0b             | cmpxchg DWORD PTR [ebx],ecx   | rbx=0x20000 rax=8 rcx=9 [0x20000]4=7 | [0x20000]4=7 zf=0 rax=7
        p32 | 66 0f b1 0b          | cmpxchg WORD PTR [ebx],cx     | rbx=0x20000 rax=0x10007 rcx=9 [0x20000]4=0x50007 | [0x20000]4=0x50009 zf=1
        l64 | 48 0f b1 0b          | cmpxchg QWORD PTR [rbx],rcx   | rbx=0x20000 rax=-1 rcx=1 [0x20000]8=-1 | [0x20000]8=1 zf=1
        l64 | f0 48 0f b1 0b       | lock cmpxchg QWORD PTR [rbx],rcx | rbx=0x20000 rax=0 rcx=1 [0x20000]8=-1 | [0x20000]8=-1 rax=-1 zf=0
        l64 | f0 0f b1 d1          | lock cmpxchg ecx,edx          |                                  | #UD
        p32 | 0f c7 0b             | cmpxchg8b QWORD PTR [ebx]     | rbx=0x20000 rax=1 rdx=2 rcx=3 [0x20000]8=0x0000000200000001 | [0x20000]8=0x0000000300020000 zf=1 rip=+3
        p32 | 0f c7 0b             | cmpxchg8b QWORD PTR [ebx]     | rbx=0x20000 rax=1 rdx=2 rcx=3 cf=1 sf=1 [0x20000]8=0x5555555566666666 | [0x20000]8=0x5555555566666666 rax=0x66666666 rdx=0x55555555 zf=0 cf=1 sf=1
        r16 | 0f c7 0f             | cmpxchg8b QWORD PTR [bx]      | rbx=0x2000 rax=1 rdx=2 rcx=3 [0x2000]8=0x0000000200000001 | [0x2000]8=0x0000000300002000 zf=1
        l64 | 0f c7 0b             | cmpxchg8b QWORD PTR [rbx]     | rbx=0x20000 rax=0xffffffff00000000 rdx=-1 [0x20000]8=0x5555555566666666 | rax=0x66666666 rdx=0x55555555 zf=0
        l64 | 0f c7 0b             | cmpxchg8b QWORD PTR [rbx]     | rbx=0x20000 rax=0xffffffff00000001 rdx=0xffffffff00000002 rcx=0xffffffff00000003 [0x20000]8=0x0000000200000001 | rax=0xffffffff00000001 [0x20000]8=0x0000000300020000 zf=1
        l64 | f0 0f c7 0b          | lock cmpxchg8b QWORD PTR [rbx] | rbx=0x20000 rax=1 rdx=0 rcx=0 [0x20000]8=1 | zf=1 [0x20000]8=0x20000
        l64 | 0f c7 c8             | (cmpxchg8b, register form)    |                                  | #UD
        l64 | 48 0f c7 0b          | cmpxchg16b OWORD PTR [rbx]    | rbx=0x20000 rax=1 rdx=2 rcx=3 [0x20000]8=1 [0x20008]8=2 | [0x20000]8=0x20000 [0x20008]8=3 zf=1 rip=+4
        l64 | 48 0f c7 0b          | cmpxchg16b OWORD PTR [rbx]    | rbx=0x20000 rax=1 rdx=2 rcx=3 of=1 [0x20000]8=1 [0x20008]8=7 | [0x20000]8=1 [0x20008]8=7 rax=1 rdx=7 zf=0 of=1
        l64 | f0 48 0f c7 4b 10    | lock cmpxchg16b OWORD PTR [rbx+0x10] | rbx=0x20000 rax=0 rdx=0 rcx=5 | [0x20010]8=0x20000 [0x20018]8=5 zf=1
        l64 | 48 0f c7 0b          | cmpxchg16b OWORD PTR [rbx]    | rbx=0x20008 rax=9                | #GP(0) rax=9
        l64 | 48 0f c7 0b          | cmpxchg16b OWORD PTR [rbx]    | rbx=0x800000000000               | #GP(0)
        """)
    void exchange(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @Test
    void cmpxchgWritesMemoryEvenWhenTheComparisonFails() {
        // 0f b1 0b   cmpxchg [ebx],ecx  with DS read-only: the write cycle faults although EAX != [EBX]
        TestCpu t = TestCpu.protectedFlat(32).code("0f b1 0b").reg(Reg.RBX, 0x20000).reg(Reg.RAX, 1).reg(Reg.RCX, 2);
        t.bus.write(0x20000, 4, 7);
        t.cpu.state().seg[Reg.DS].attr = 0x91 | Segment.ATTR_G | Segment.ATTR_DB;
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.GP);
        assertThat(r.at.gpr[Reg.RAX]).isEqualTo(1); // the accumulator is not loaded by a faulting instruction
    }

    @Test
    void cmpxchg16bNeedsCx16AndCmpxchg8bNeedsCx8() {
        // 48 0f c7 0b   cmpxchg16b [rbx]   (64-bit, profile without CX16)
        Cpu cpu = DatactlSupport.long64With(DatactlSupport.without("intel-core", Feature.CX16), "48 0f c7 0b");
        cpu.state().gpr[Reg.RBX] = 0x20000;
        assertThat(DatactlSupport.stepRecording(cpu).vector).isEqualTo(Vectors.UD);
        // 0f c7 0b   cmpxchg8b [rbx]: still fine without CX16
        Cpu ok = DatactlSupport.long64With(DatactlSupport.without("intel-core", Feature.CX16), "0f c7 0b");
        ok.state().gpr[Reg.RBX] = 0x20000;
        assertThat(DatactlSupport.stepRecording(ok).vector).isEqualTo(DatactlSupport.NONE);
        // 0f c7 0f   cmpxchg8b [bx]   (real mode, profile without CX8)
        Cpu cx8 = DatactlSupport.realWith(DatactlSupport.without("amd-zen", Feature.CX8), "0f c7 0f");
        assertThat(DatactlSupport.stepRecording(cx8).vector).isEqualTo(Vectors.UD);
        Cpu control = DatactlSupport.long64With(CpuProfile.load("intel-core"), "48 0f c7 0b");
        control.state().gpr[Reg.RBX] = 0x20000;
        assertThat(DatactlSupport.stepRecording(control).vector).isEqualTo(DatactlSupport.NONE);
    }
}
