package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.DatactlSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-form tests of the near transfers JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE and JCXZ/JECXZ/JRCXZ (SDM
 * Vol. 2A/2B) in each code size, including 16-bit IP wrap, 66-prefixed forms (16-bit truncation; in 64-bit
 * mode ignored by Intel and honoured by AMD: rows marked ":amd" run on the amd-zen profile) and the #GP for
 * targets outside CS or non-canonical. Disassembly addresses are those of CS:IP (real mode) or the linear
 * RIP (code at 0x10000). Columns as in {@link MoveTest}.
 */
class BranchTest {

    @ParameterizedTest(name = "{0}: {2} {3}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | eb 10                | jmp 0x12                      |                                  | rip=0x12
        r16 | eb fe                | jmp 0x0                       |                                  | rip=0
        r16 | e9 00 10             | jmp 0x1003                    |                                  | rip=0x1003
        r16 | e9 fc ff             | jmp 0xffff                    |                                  | rip=0xffff
        r16 | 66 e9 00 01 00 00    | jmpd 0x106                    |                                  | rip=0x106
        r16 | 66 e9 00 00 01 00    | jmpd 0x10006                  |                                  | #GP(0) rip=0
        p32 | eb 10                | jmp 0x10012                   |                                  | rip=0x10012
        p32 | e9 00 01 00 00       | jmp 0x10105                   |                                  | rip=0x10105
        p32 | 66 e9 00 01          | jmpw 0x104                    |                                  | rip=0x104
        l64 | eb 10                | jmp 0x10012                   |                                  | rip=0x10012
        l64 | eb f0                | jmp 0xfff2                    |                                  | rip=0xfff2
        l64 | e9 00 01 00 00       | jmp 0x10105                   |                                  | rip=0x10105
        l64 | 66 e9 00 01 00 00    | (Intel: 66 ignored, rel32)    |                                  | rip=0x10106
        l64:amd | 66 e9 00 01      | jmpw 0x104                    |                                  | rip=0x104
        r16 | 74 10                | je 0x12                       | zf=1                             | rip=0x12
        r16 | 74 10                | je 0x12                       | zf=0                             | rip=2
        r16 | 0f 84 00 10          | je 0x1004                     | zf=1                             | rip=0x1004
        r16 | 66 0f 84 00 00 00 00 | je 0x7                        | zf=1                             | rip=7
        p32 | 0f 85 00 01 00 00    | jne 0x10106                   | zf=0                             | rip=0x10106
        p32 | 66 0f 85 00 01       | jne 0x105                     | zf=0                             | rip=0x105
        p32 | 66 0f 85 00 01       | jne 0x105                     | zf=1                             | rip=0x10005
        l64 | 0f 8f 00 01 00 00    | jg 0x10106                    | zf=0 sf=0 of=0                   | rip=0x10106
        l64 | 7c f0                | jl 0xfff2                     | sf=1                             | rip=0xfff2
        l64 | 66 0f 84 00 01 00 00 | (Intel: 66 ignored, rel32)    | zf=1                             | rip=0x10107
        l64:amd | 66 0f 84 00 01   | je 0x105                      | zf=1                             | rip=0x105
        r16 | e8 10 00             | call 0x13                     |                                  | rip=0x13 rsp=0xffee [0xffee]2=3
        r16 | 66 e8 10 00 00 00    | calld 0x16                    |                                  | rip=0x16 rsp=0xffec [0xffec]4=6
        p32 | e8 00 01 00 00       | call 0x10105                  |                                  | rip=0x10105 rsp=0x2fffc [0x2fffc]4=0x10005
        p32 | 66 e8 00 01          | callw 0x104                   |                                  | rip=0x104 rsp=0x2fffe [0x2fffe]2=4
        l64 | e8 00 01 00 00       | call 0x10105                  |                                  | rip=0x10105 rsp=0x2fff8 [0x2fff8]8=0x10005
        l64 | 66 e8 00 01 00 00    | (Intel: 66 ignored, rel32)    |                                  | rip=0x10106 rsp=0x2fff8 [0x2fff8]8=0x10006
        l64:amd | 66 e8 00 01      | callw 0x104                   |                                  | rip=0x104 rsp=0x2fffe [0x2fffe]2=4
        l64 | e8 00 00 00 00       | call 0x10005                  | rsp=0x800000000008               | #SS(0) rip=+0 rsp=0x800000000008
        r16 | ff d3                | call bx                       | rbx=0x1234                       | rip=0x1234 rsp=0xffee [0xffee]2=2
        r16 | ff 17                | call WORD PTR [bx]            | rbx=0x2000 [0x2000]2=0x4321      | rip=0x4321 [0xffee]2=2
        r16 | 66 ff d3             | call ebx                      | rbx=0x1234                       | rip=0x1234 rsp=0xffec [0xffec]4=3
        p32 | ff d0                | call eax                      | rax=0x12345                      | rip=0x12345 [0x2fffc]4=0x10002
        p32 | ff 10                | call DWORD PTR [eax]          | rax=0x20000 [0x20000]4=0x11111   | rip=0x11111 [0x2fffc]4=0x10002
        p32 | 66 ff d0             | call ax                       | rax=0x12345                      | rip=0x2345 rsp=0x2fffe [0x2fffe]2=3
        l64 | ff d0                | call rax                      | rax=0x123456789                  | rip=0x123456789 [0x2fff8]8=0x10002
        l64 | 41 ff d3             | call r11                      | r11=0x20000                      | rip=0x20000 [0x2fff8]8=0x10003
        l64 | ff 14 24             | call QWORD PTR [rsp]          | [0x30000]8=0x20000               | rip=0x20000 rsp=0x2fff8 [0x2fff8]8=0x10003
        l64 | ff 15 10 00 00 00    | call QWORD PTR [rip+0x10]     | [0x10016]8=0x20000               | rip=0x20000 [0x2fff8]8=0x10006
        l64 | 66 ff d0             | (Intel: call rax)             | rax=0x123456789                  | rip=0x123456789 rsp=0x2fff8
        l64:amd | 66 ff d0         | call ax                       | rax=0x123456789                  | rip=0x6789 rsp=0x2fffe [0x2fffe]2=3
        l64 | ff d0                | call rax                      | rax=0x800000000000               | #GP(0) rsp=0x30000 rip=+0
        r16 | ff e3                | jmp bx                        | rbx=0x1234                       | rip=0x1234
        r16 | ff 27                | jmp WORD PTR [bx]             | rbx=0x2000 [0x2000]2=0x4321      | rip=0x4321
        p32 | ff e0                | jmp eax                       | rax=0x12345                      | rip=0x12345
        p32 | ff 20                | jmp DWORD PTR [eax]           | rax=0x20000 [0x20000]4=0x11111   | rip=0x11111
        p32 | 66 ff e0             | jmp ax                        | rax=0x12345                      | rip=0x2345
        l64 | ff e0                | jmp rax                       | rax=0x123456789                  | rip=0x123456789
        l64 | ff 24 25 00 00 02 00 | jmp QWORD PTR ds:0x20000      | [0x20000]8=0x30000               | rip=0x30000
        l64 | 41 ff e7             | jmp r15                       | r15=0x40000                      | rip=0x40000
        l64:amd | 66 ff e0         | jmp ax                        | rax=0x123456789                  | rip=0x6789
        l64 | ff e0                | jmp rax                       | rax=0xffff800000000000           | rip=0xffff800000000000
        l64 | ff e0                | jmp rax                       | rax=0x800000000000               | #GP(0) rip=+0
        r16 | c3                   | ret                           | rsp=0x1000 [0x1000]2=0x1234      | rip=0x1234 rsp=0x1002
        r16 | c2 04 00             | ret 0x4                       | rsp=0x1000 [0x1000]2=0x1234      | rip=0x1234 rsp=0x1006
        r16 | 66 c3                | retd                          | rsp=0x1000 [0x1000]4=0x1234      | rip=0x1234 rsp=0x1004
        p16 | c3                   | ret                           | rsp=0x3fffe [0xfffe]2=0x1234     | rip=0x1234 rsp=0x30000
        p32 | c3                   | ret                           | [0x30000]4=0x12345               | rip=0x12345 rsp=0x30004
        p32 | c2 08 00             | ret 0x8                       | [0x30000]4=0x12345               | rip=0x12345 rsp=0x3000c
        p32 | 66 c3                | retw                          | [0x30000]4=0x12345               | rip=0x2345 rsp=0x30002
        p32 | 66 c2 02 00          | retw 0x2                      | [0x30000]4=0x12345               | rip=0x2345 rsp=0x30004
        l64 | c3                   | ret                           | [0x30000]8=0x123456789           | rip=0x123456789 rsp=0x30008
        l64 | c2 10 00             | ret 0x10                      | [0x30000]8=0x20000               | rip=0x20000 rsp=0x30018
        l64 | 66 c3                | (Intel: ret, 66 ignored)      | [0x30000]8=0x123456789           | rip=0x123456789 rsp=0x30008
        l64:amd | 66 c3            | retw                          | [0x30000]8=0x123456789           | rip=0x6789 rsp=0x30002
        l64 | c3                   | ret                           | [0x30000]8=0x800000000000        | #GP(0) rsp=0x30000
        """)
    void jmpCallRet(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2} {3}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | e2 fe                | loop 0x0                      | rcx=0x10005                      | rcx=0x10004 rip=0
        r16 | e2 fe                | loop 0x0                      | rcx=1                            | rcx=0 rip=2
        r16 | e2 fe                | loop 0x0                      | rcx=0x30000                      | rcx=0x3ffff rip=0
        r16 | 67 e2 fd             | addr32 loop 0x0               | rcx=0x10001                      | rcx=0x10000 rip=0
        p32 | e2 fe                | loop 0x10000                  | rcx=2                            | rcx=1 rip=0x10000
        p32 | 67 e2 fd             | addr16 loop 0x10000           | rcx=0x10000                      | rcx=0x1ffff rip=0x10000
        l64 | e2 fe                | loop 0x10000                  | rcx=0x100000000                  | rcx=0xffffffff rip=0x10000
        l64 | 67 e2 fd             | addr32 loop 0x10000           | rcx=0xffffffff00000001           | rcx=0 rip=0x10003
        r16 | e1 fe                | loope 0x0                     | zf=1 rcx=2                       | rcx=1 rip=0
        r16 | e1 fe                | loope 0x0                     | zf=0 rcx=2                       | rcx=1 rip=2
        r16 | e0 fe                | loopne 0x0                    | zf=0 rcx=2                       | rcx=1 rip=0
        r16 | e0 fe                | loopne 0x0                    | zf=1 rcx=2                       | rcx=1 rip=2
        p32 | e1 fe                | loope 0x10000                 | zf=1 rcx=1                       | rcx=0 rip=0x10002 zf=1
        p32 | e0 fe                | loopne 0x10000                | zf=0 rcx=3                       | rcx=2 rip=0x10000
        l64 | e2 fe                | loop 0x10000                  | cf=1 zf=1 rcx=1                  | rcx=0 cf=1 zf=1 rip=0x10002
        l64 | e1 fe                | loope 0x10000                 | zf=1 rcx=5                       | rcx=4 rip=0x10000
        l64 | e0 fe                | loopne 0x10000                | zf=1 rcx=5                       | rcx=4 rip=0x10002
        l64 | 66 e2 fe             | (Intel: loop, 66 ignored)     | rcx=2                            | rcx=1 rip=0x10001
        l64:amd | 66 e2 fe         | (AMD: loopw, IP truncated)    | rcx=2                            | rcx=1 rip=1
        r16 | e3 10                | jcxz 0x12                     | rcx=0x10000                      | rip=0x12
        r16 | 67 e3 10             | jecxz 0x13                    | rcx=0x10000                      | rip=3
        p32 | e3 10                | jecxz 0x10012                 | rcx=0                            | rip=0x10012
        p32 | e3 10                | jecxz 0x10012                 | rcx=0x10000                      | rip=0x10002
        p32 | 67 e3 10             | jcxz 0x10013                  | rcx=0x10000                      | rip=0x10013
        l64 | e3 10                | jrcxz 0x10012                 | rcx=0x100000000                  | rip=0x10002
        l64 | e3 10                | jrcxz 0x10012                 | rcx=0                            | rip=0x10012
        l64 | 67 e3 10             | jecxz 0x10013                 | rcx=0x100000000                  | rip=0x10013
        """)
    void loopAndJrcxz(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    /** Jcc rel8 and rel32 for every condition against every CF/PF/ZF/SF/OF combination (SDM Vol. 1 Table B-1). */
    @Test
    void jccConditionTable() {
        for (int cc = 0; cc < 16; cc++) {
            for (int combo = 0; combo < 32; combo++) {
                boolean cf = (combo & 1) != 0, pf = (combo & 2) != 0, zf = (combo & 4) != 0;
                boolean sf = (combo & 8) != 0, of = (combo & 16) != 0;
                boolean[] byPair = {of, cf, zf, cf | zf, sf, pf, sf != of, zf | (sf != of)};
                boolean want = byPair[cc >> 1] ^ ((cc & 1) != 0);
                long flags = 2 | (cf ? 1 : 0) | (pf ? 4 : 0) | (zf ? 0x40 : 0) | (sf ? 0x80 : 0) | (of ? 0x800 : 0);
                // 7x 10   jcc rel8 (+0x10)
                TestCpu t = TestCpu.long64().code(String.format("%02x 10", 0x70 + cc));
                t.cpu.state().setRflags(flags);
                t.step(1);
                assertThat(t.cpu.state().rip).as("J%s rel8 combo %d", Branch.COND[cc], combo)
                        .isEqualTo(TestCpu.CODE + 2 + (want ? 0x10 : 0));
                // 0f 8x 00 01 00 00   jcc rel32 (+0x100), 32-bit protected mode
                TestCpu u = TestCpu.protectedFlat(32).code(String.format("0f %02x 00 01 00 00", 0x80 + cc));
                u.cpu.state().setRflags(flags);
                u.step(1);
                assertThat(u.cpu.state().rip).as("J%s rel32 combo %d", Branch.COND[cc], combo)
                        .isEqualTo(TestCpu.CODE + 6 + (want ? 0x100 : 0));
            }
        }
    }

    @Test
    void sixteenBitIpWrapsAtTheSegmentEnd() {
        // eb 10   jmp short +0x10 at IP 0xfffe: the next IP wraps to 0, the target is 0x10
        TestCpu t = TestCpu.real();
        t.bus.load(TestCpu.CODE + 0xfffe, new byte[] {(byte) 0xeb, 0x10});
        t.cpu.flushDecodeCache();
        t.cpu.state().rip = 0xfffe;
        t.step(1);
        assertThat(t.cpu.state().rip).isEqualTo(0x10);
        // e8 00 00   call +0 at IP 0xfffd: pushes return IP 0
        TestCpu u = TestCpu.real().reg(Reg.RSP, 0x1000);
        u.bus.load(TestCpu.CODE + 0xfffd, new byte[] {(byte) 0xe8, 0, 0});
        u.cpu.flushDecodeCache();
        u.cpu.state().rip = 0xfffd;
        u.step(1);
        assertThat(u.cpu.state().rip).isZero();
        assertThat(u.bus.read(0xffe, 2)).isZero();
    }

    @Test
    void targetsBeyondTheCsLimitFaultWithoutSideEffects() {
        // e2 70   loop +0x70   (CS limit 0x10010): #GP(0), ECX unchanged
        TestCpu t = TestCpu.protectedFlat(32).code("e2 70").reg(Reg.RCX, 5);
        t.cpu.state().seg[Reg.CS].limit = 0x10010;
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.GP);
        assertThat(r.at.gpr[Reg.RCX]).isEqualTo(5);
        assertThat(r.at.rip).isEqualTo(TestCpu.CODE);
        // e8 70 00 00 00   call +0x70: #GP(0) before the push
        TestCpu u = TestCpu.protectedFlat(32).code("e8 70 00 00 00");
        u.cpu.state().seg[Reg.CS].limit = 0x10010;
        DatactlSupport.FaultRecorder r2 = DatactlSupport.stepRecording(u);
        assertThat(r2.vector).isEqualTo(Vectors.GP);
        assertThat(r2.at.gpr[Reg.RSP]).isEqualTo(TestCpu.STACK);
        // control: within the limit
        TestCpu v = TestCpu.protectedFlat(32).code("eb 0e");
        v.cpu.state().seg[Reg.CS].limit = 0x10010;
        v.step(1);
        assertThat(v.cpu.state().rip).isEqualTo(0x10010);
    }
}
