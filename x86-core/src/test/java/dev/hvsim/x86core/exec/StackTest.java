package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.DatactlSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.CpuState;
import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-form tests of PUSH, POP, PUSHA/POPA, PUSHF/POPF, ENTER and LEAVE (SDM Vol. 2A/2B). The stack is at
 * SS:0x1000 in real mode, 0x30000 in 32-bit protected and 64-bit mode; "p16" rows show 16-bit stack address
 * size wrapping (SS.B = 0, SP 0 wraps to 0xfffe). Columns as in {@link MoveTest}.
 */
class StackTest {

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 53                   | push bx                       | rbx=0x1234 rsp=0x1000            | rsp=0xffe [0xffe]2=0x1234 rip=+1
        r16 | 66 53                | push ebx                      | rbx=0x12345678 rsp=0x1000        | rsp=0xffc [0xffc]4=0x12345678
        r16 | 5b                   | pop bx                        | rsp=0x1000 [0x1000]2=0xbeef rbx=0x10000 | rbx=0x1beef rsp=0x1002
        r16 | 66 5b                | pop ebx                       | rsp=0x1000 [0x1000]4=0xdeadbeef  | rbx=0xdeadbeef rsp=0x1004
        r16 | 54                   | push sp                       | rsp=0x1000                       | [0xffe]2=0x1000 rsp=0xffe
        r16 | 50                   | push ax                       | rsp=1 rax=0x1234                 | #SS(0) rsp=1
        p16 | 50                   | push ax                       | rax=0x1234 rsp=0x30000           | rsp=0x3fffe [0xfffe]2=0x1234
        p32 | 50                   | push eax                      | rax=0x12345678                   | rsp=0x2fffc [0x2fffc]4=0x12345678
        p32 | 66 50                | push ax                       | rax=0x12345678                   | rsp=0x2fffe [0x2fffe]2=0x5678
        p32 | 58                   | pop eax                       | [0x30000]4=0x87654321            | rax=0x87654321 rsp=0x30004
        p32 | 66 58                | pop ax                        | rax=0x11110000 [0x30000]2=0x4321 | rax=0x11114321 rsp=0x30002
        p32 | 5c                   | pop esp                       | [0x30000]4=0x12340             | rsp=0x12340
        p32 | 54                   | push esp                      |                                  | [0x2fffc]4=0x30000
        l64 | 50                   | push rax                      | rax=0x1122334455667788           | rsp=0x2fff8 [0x2fff8]8=0x1122334455667788
        l64 | 41 57                | push r15                      | r15=-1                           | rsp=0x2fff8 [0x2fff8]8=-1
        l64 | 66 50                | push ax                       | rax=0x1122334455667788           | rsp=0x2fffe [0x2fffe]2=0x7788
        l64 | 58                   | pop rax                       | [0x30000]8=0x1122334455667788    | rax=0x1122334455667788 rsp=0x30008
        l64 | 41 5f                | pop r15                       | [0x30000]8=7                     | r15=7 rsp=0x30008
        l64 | 66 58                | pop ax                        | rax=-1 [0x30000]2=0x1234         | rax=0xffffffffffff1234 rsp=0x30002
        l64 | 54                   | push rsp                      |                                  | [0x2fff8]8=0x30000 rsp=0x2fff8
        l64 | 5c                   | pop rsp                       | [0x30000]8=0x12345               | rsp=0x12345
        l64 | 50                   | push rax                      | rsp=0x800000000008               | #SS(0) rsp=0x800000000008
        r16 | 68 34 12             | push 0x1234                   | rsp=0x1000                       | [0xffe]2=0x1234 rsp=0xffe rip=+3
        r16 | 6a ff                | push 0xffff                   | rsp=0x1000                       | [0xffe]2=0xffff rsp=0xffe rip=+2
        r16 | 66 68 78 56 34 12    | pushd 0x12345678              | rsp=0x1000                       | [0xffc]4=0x12345678 rsp=0xffc rip=+6
        p32 | 68 78 56 34 12       | push 0x12345678               |                                  | [0x2fffc]4=0x12345678 rsp=0x2fffc rip=+5
        p32 | 6a 80                | push 0xffffff80               |                                  | [0x2fffc]4=0xffffff80
        p32 | 66 6a 80             | pushw 0xff80                  |                                  | [0x2fffc]4=0xff800000 rsp=0x2fffe
        l64 | 68 00 00 00 80       | push 0xffffffff80000000       |                                  | [0x2fff8]8=0xffffffff80000000 rsp=0x2fff8
        l64 | 6a 80                | push 0xffffffffffffff80       |                                  | [0x2fff8]8=-128
        l64 | 66 68 34 12          | pushw 0x1234                  |                                  | [0x2fffe]2=0x1234 rsp=0x2fffe rip=+4
        l64 | 66 6a ff             | pushw 0xffff                  |                                  | [0x2fffe]2=0xffff rsp=0x2fffe
        r16 | ff 37                | push WORD PTR [bx]            | rbx=0x2000 [0x2000]2=0xbeef rsp=0x1000 | [0xffe]2=0xbeef rsp=0xffe
        p32 | ff 30                | push DWORD PTR [eax]          | rax=0x20000 [0x20000]4=0xdeadbeef | [0x2fffc]4=0xdeadbeef rsp=0x2fffc
        p32 | ff f3                | push ebx                      | rbx=0x42                         | [0x2fffc]4=0x42
        p32 | 66 ff 30             | push WORD PTR [eax]           | rax=0x20000 [0x20000]4=0xdeadbeef | [0x2fffe]2=0xbeef rsp=0x2fffe
        l64 | ff 34 24             | push QWORD PTR [rsp]          | [0x30000]8=0x1122                | [0x2fff8]8=0x1122 rsp=0x2fff8
        l64 | 66 ff 30             | push WORD PTR [rax]           | rax=0x20000 [0x20000]2=0x3344    | [0x2fffe]2=0x3344 rsp=0x2fffe
        l64 | 41 ff f0             | push r8                       | r8=-5                            | [0x2fff8]8=-5
        l64 | ff 30                | push QWORD PTR [rax]          | rax=0x800000000000               | #GP(0) rsp=0x30000
        r16 | 8f 07                | pop WORD PTR [bx]             | rbx=0x2000 rsp=0x1000 [0x1000]2=0x4321 | [0x2000]2=0x4321 rsp=0x1002
        p16 | 8f 06 00 20          | pop WORD PTR ds:0x2000        | rsp=0x30000 [0x0]2=0x5a5a        | [0x2000]2=0x5a5a rsp=0x30002
        p32 | 8f 00                | pop DWORD PTR [eax]           | rax=0x20000 [0x30000]4=0x77      | [0x20000]4=0x77 rsp=0x30004
        p32 | 8f 04 24             | pop DWORD PTR [esp]           | [0x30000]4=0x11                  | [0x30004]4=0x11 rsp=0x30004
        l64 | 8f 44 24 08          | pop QWORD PTR [rsp+0x8]       | [0x30000]8=0x99                  | [0x30010]8=0x99 rsp=0x30008
        l64 | 8f c0                | pop rax                       | [0x30000]8=-3                    | rax=-3 rsp=0x30008
        l64 | 66 8f 00             | pop WORD PTR [rax]            | rax=0x20000 [0x30000]2=0x1234    | [0x20000]2=0x1234 rsp=0x30002
        l64 | 8f 00                | pop QWORD PTR [rax]           | rax=0x800000000000               | #GP(0) rsp=0x30000
        """)
    void pushPop(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 60                   | pusha                         | rax=1 rcx=2 rdx=3 rbx=4 rsp=0x1000 rbp=6 rsi=7 rdi=8 | rsp=0xff0 [0xffe]2=1 [0xffc]2=2 [0xffa]2=3 [0xff8]2=4 [0xff6]2=0x1000 [0xff4]2=6 [0xff2]2=7 [0xff0]2=8
        r16 | 66 60                | pushad                        | rax=1 rcx=2 rdx=3 rbx=4 rsp=0x1000 rbp=6 rsi=7 rdi=8 | rsp=0xfe0 [0xffc]4=1 [0xff8]4=2 [0xff4]4=3 [0xff0]4=4 [0xfec]4=0x1000 [0xfe8]4=6 [0xfe4]4=7 [0xfe0]4=8
        r16 | 60                   | pusha                         | rsp=7                            | #GP(0) rsp=7
        p32 | 60                   | pusha                         | rax=1 rcx=2 rdx=3 rbx=4 rbp=6 rsi=7 rdi=8 | rsp=0x2ffe0 [0x2fffc]4=1 [0x2fff8]4=2 [0x2fff4]4=3 [0x2fff0]4=4 [0x2ffec]4=0x30000 [0x2ffe8]4=6 [0x2ffe4]4=7 [0x2ffe0]4=8
        p32 | 66 60                | pushaw                        | rax=0x10001 rdi=0x80008          | rsp=0x2fff0 [0x2fffe]2=1 [0x2fff6]2=0 [0x2fff0]2=8
        r16 | 61                   | popa                          | rdx=0 rsp=0x1000 [0x1000]8=0x5555000600070008 [0x1008]8=0x0001000200030004 | rdi=8 rsi=7 rbp=6 rbx=4 rdx=3 rcx=2 rax=1 rsp=0x1010
        r16 | 66 61                | popad                         | rsp=0x1000 [0x1000]4=8 [0x1004]4=7 [0x1008]4=6 [0x100c]4=0x5555 [0x1010]4=4 [0x1014]4=3 [0x1018]4=2 [0x101c]4=0x80000001 | rdi=8 rsi=7 rbp=6 rbx=4 rdx=3 rcx=2 rax=0x80000001 rsp=0x1020
        p32 | 61                   | popa                          | [0x30000]4=8 [0x30004]4=7 [0x30008]4=6 [0x3000c]4=0x5555 [0x30010]4=4 [0x30014]4=3 [0x30018]4=2 [0x3001c]4=1 | rdi=8 rsi=7 rbp=6 rbx=4 rdx=3 rcx=2 rax=1 rsp=0x30020
        p32 | 66 61                | popaw                         | rax=0x10000 [0x30000]8=0x5555000600070008 [0x30008]8=0x0009000200030004 | rdi=8 rax=0x10009 rsp=0x30010
        l64 | 60                   | (bad)                         |                                  | #UD
        l64 | 61                   | (bad)                         |                                  | #UD
        r16 | 9c                   | pushf                         | cf=1 zf=1 rsp=0x1000             | [0xffe]2=0x43 rsp=0xffe
        r16 | 66 9c                | pushfd                        | cf=1 zf=1 rsp=0x1000             | [0xffc]4=0x43 rsp=0xffc
        p32 | 9c                   | pushf                         | cf=1 df=1                        | [0x2fffc]4=0x403 rsp=0x2fffc
        p32 | 66 9c                | pushfw                        | of=1                             | [0x2fffe]2=0x802 rsp=0x2fffe
        l64 | 9c                   | pushf                         | sf=1                             | [0x2fff8]8=0x82 rsp=0x2fff8
        l64 | 66 9c                | pushfw                        | sf=1                             | [0x2fffe]2=0x82 rsp=0x2fffe
        r16 | 9d                   | popf                          | rsp=0x1000 [0x1000]2=0x0cd5      | cf=1 pf=1 af=1 zf=1 sf=1 df=1 of=1 rsp=0x1002
        r16 | 66 9d                | popfd                         | rsp=0x1000 [0x1000]4=0x00000001  | cf=1 zf=0 rsp=0x1004
        p32 | 9d                   | popf                          | cf=1 [0x30000]4=0x40             | cf=0 zf=1 rsp=0x30004
        p32 | 66 9d                | popfw                         | [0x30000]2=0x0001                | cf=1 rsp=0x30002
        l64 | 9d                   | popf                          | [0x30000]8=0x0000000000000480    | sf=1 df=1 rsp=0x30008
        l64 | 66 9d                | popfw                         | [0x30000]2=0x0800                | of=1 rsp=0x30002
        """)
    void pushaPushf(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        p32 | c8 10 00 00          | enter 0x10,0x0                | rbp=0x1234                       | [0x2fffc]4=0x1234 rbp=0x2fffc rsp=0x2ffec rip=+4
        p32 | c8 08 00 01          | enter 0x8,0x1                 | rbp=0x1234                       | [0x2fffc]4=0x1234 [0x2fff8]4=0x2fffc rbp=0x2fffc rsp=0x2fff0
        p32 | c8 00 00 03          | enter 0x0,0x3                 | rbp=0x30100 [0x300fc]4=0xaaaa [0x300f8]4=0xbbbb | [0x2fffc]4=0x30100 [0x2fff8]4=0xaaaa [0x2fff4]4=0xbbbb [0x2fff0]4=0x2fffc rbp=0x2fffc rsp=0x2fff0
        p32 | c8 00 00 21          | enter 0x0,0x21                | rbp=0x1234                       | [0x2fff8]4=0x2fffc rbp=0x2fffc rsp=0x2fff8
        p32 | 66 c8 02 00 00       | enterw 0x2,0x0                | rbp=0xaaaa1234                   | [0x2fffe]2=0x1234 rbp=0xaaaafffe rsp=0x2fffc
        r16 | c8 04 00 00          | enter 0x4,0x0                 | rsp=0x1000 rbp=0x5555            | [0xffe]2=0x5555 rbp=0xffe rsp=0xffa
        r16 | c8 00 00 02          | enter 0x0,0x2                 | rsp=0x1000 rbp=0x2000 [0x1ffe]2=0x7777 | [0xffe]2=0x2000 [0xffc]2=0x7777 [0xffa]2=0xffe rbp=0xffe rsp=0xffa
        r16 | 66 c8 00 00 01       | enterd 0x0,0x1                | rsp=0x1000 rbp=0x12345678        | [0xffc]4=0x12345678 [0xff8]4=0xffc rbp=0xffc rsp=0xff8
        l64 | c8 20 00 00          | enter 0x20,0x0                | rbp=0x1234                       | [0x2fff8]8=0x1234 rbp=0x2fff8 rsp=0x2ffd8
        l64 | c8 00 00 02          | enter 0x0,0x2                 | rbp=0x30100 [0x300f8]8=0xabc     | [0x2fff8]8=0x30100 [0x2fff0]8=0xabc [0x2ffe8]8=0x2fff8 rsp=0x2ffe8 rbp=0x2fff8
        l64 | 66 c8 08 00 00       | enterw 0x8,0x0                | rbp=0x11111234                   | [0x2fffe]2=0x1234 rbp=0x1111fffe rsp=0x2fff6
        l64 | c8 10 00 00          | enter 0x10,0x0                | rsp=0x800000000008 rbp=5         | #SS(0) rsp=0x800000000008 rbp=5
        r16 | c9                   | leave                         | rbp=0x2000 [0x2000]2=0x1234 rsp=0x100 | rsp=0x2002 rbp=0x1234 rip=+1
        p16 | c9                   | leave                         | rsp=0x30000 rbp=0x2000 [0x2000]2=0x55 | rsp=0x32002 rbp=0x55
        p32 | c9                   | leave                         | rbp=0x20000 [0x20000]4=0x12345678 | rsp=0x20004 rbp=0x12345678
        p32 | 66 c9                | leavew                        | rbp=0x20000 [0x20000]2=0x1234    | rsp=0x20002 rbp=0x21234
        l64 | c9                   | leave                         | rbp=0x20000 [0x20000]8=-8        | rsp=0x20008 rbp=-8
        l64 | 66 c9                | leavew                        | rbp=0x20000 [0x20000]2=0xabcd    | rsp=0x20002 rbp=0x2abcd
        l64 | c9                   | leave                         | rbp=0x800000000000               | #SS(0) rsp=0x30000
        """)
    void enterLeave(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    // ------------------------------------------------------------------ POPF / PUSHF privilege rules

    /** Runs {@code hex} (a PUSHF or POPF form) with {@code image} on the stack; returns the CPU. */
    private static TestCpu run(TestCpu t, String hex, long image) {
        t.code(hex);
        long sp = t.cpu.stackAddrSize() == 2 ? t.reg(Reg.RSP) & 0xffff : t.reg(Reg.RSP);
        t.bus.write(t.cpu.state().seg[Reg.SS].base + sp, 4, image);
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).as("fault").isEqualTo(DatactlSupport.NONE);
        return t;
    }

    private static int faultOf(TestCpu t, String hex, long image) {
        t.code(hex);
        long sp = t.reg(Reg.RSP) & 0xffff;
        t.bus.write(t.cpu.state().seg[Reg.SS].base + sp, 4, image);
        return DatactlSupport.fault(t);
    }

    @Test
    void popfAtCpl0ChangesAllButRfVmVifVipAndClearsRf() {
        // 9d   popfd   (32-bit, CPL 0, RF set before)
        TestCpu t = TestCpu.protectedFlat(32);
        t.cpu.state().flagsRest |= Flags.RF | Flags.VIP;
        run(t, "9d", 0xffffffffL & ~Flags.TF);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x247ed7L | Flags.VIP);
    }

    @Test
    void popfAtCpl3KeepsIoplAndIfWhenCplAboveIopl() {
        // 9d   popfd   (CPL 3, IOPL 0): IF and IOPL unaffected
        TestCpu t = DatactlSupport.cpl3(0);
        run(t, "9d", 0xffffffffL & ~Flags.TF);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x247ed7L & ~(Flags.IF | Flags.IOPL));
        // IF=1 before, image IF=0: still 1
        TestCpu u = DatactlSupport.cpl3(0);
        u.cpu.state().flagsRest |= Flags.IF;
        run(u, "9d", 0);
        assertThat(u.cpu.state().flagsRest & Flags.IF).isEqualTo(Flags.IF);
    }

    @Test
    void popfAtCpl3WithIopl3ChangesIfButNotIopl() {
        // 9d   popfd   (CPL 3, IOPL 3)
        TestCpu t = DatactlSupport.cpl3(3);
        t.cpu.state().flagsRest |= Flags.IF;
        run(t, "9d", 0);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x3002);
    }

    @Test
    void popf16ChangesOnlyTheLowWordAndKeepsRf() {
        // 66 9d   popfw   (32-bit code, CPL 0; AC and RF set before)
        TestCpu t = TestCpu.protectedFlat(32);
        t.cpu.state().flagsRest |= Flags.AC | Flags.RF;
        run(t, "66 9d", 0xffff & ~Flags.TF);
        assertThat(t.cpu.state().rflags()).isEqualTo(0x7ed7L | Flags.AC | Flags.RF);
        // 66 9d   popfw   at CPL 3 IOPL 0: IOPL and IF stay
        TestCpu u = DatactlSupport.cpl3(0);
        run(u, "66 9d", 0xffff & ~Flags.TF);
        assertThat(u.cpu.state().rflags()).isEqualTo(0x7ed7L & ~(Flags.IF | Flags.IOPL));
    }

    @Test
    void popfInRealModeSetsIopl() {
        // 9d   popf   (real mode: everything in the low word, IOPL included)
        TestCpu t = TestCpu.real();
        t.reg(Reg.RSP, 0x1000);
        run(t, "9d", 0x3200);
        assertThat(t.cpu.state().iopl()).isEqualTo(3);
        assertThat(t.cpu.state().flagsRest & Flags.IF).isEqualTo(Flags.IF);
    }

    @Test
    void popfInVirtual8086Mode() {
        // 66 9d   popfd   (v8086, IOPL 3): VM, IOPL, VIF, VIP unaffected; IF cleared
        TestCpu t = DatactlSupport.v86(3, false);
        t.cpu.state().flagsRest |= Flags.IF;
        run(t, "66 9d", 0);
        CpuState s = t.cpu.state();
        assertThat(s.rflags()).isEqualTo(Flags.VM | Flags.IOPL | Flags.FIXED1);
        // 9d   popf   (v8086, IOPL 0, no VME): #GP(0); 66 9d likewise
        assertThat(faultOf(DatactlSupport.v86(0, false), "9d", 0)).isEqualTo(Vectors.GP);
        assertThat(faultOf(DatactlSupport.v86(2, false), "66 9d", 0)).isEqualTo(Vectors.GP);
        // with CR4.VME: the 32-bit form still #GP(0)
        assertThat(faultOf(DatactlSupport.v86(0, true), "66 9d", 0)).isEqualTo(Vectors.GP);
    }

    @Test
    void popfWithVmeMovesImageIfIntoVif() {
        // 9d   popf   (v8086, IOPL 0, CR4.VME): image IF -> VIF, IF and IOPL unaffected
        TestCpu t = DatactlSupport.v86(0, true);
        run(t, "9d", Flags.IF | Flags.CF);
        CpuState s = t.cpu.state();
        assertThat(s.flagsRest & (Flags.VIF | Flags.IF | Flags.IOPL)).isEqualTo(Flags.VIF);
        assertThat(s.cf()).isTrue();
        // image IF = 0 clears VIF
        TestCpu u = DatactlSupport.v86(0, true);
        u.cpu.state().flagsRest |= Flags.VIF | Flags.IF;
        run(u, "9d", 0);
        assertThat(u.cpu.state().flagsRest & (Flags.VIF | Flags.IF)).isEqualTo(Flags.IF);
        // image TF = 1: #GP(0); VIP = 1 and image IF = 1: #GP(0), SP unchanged
        assertThat(faultOf(DatactlSupport.v86(0, true), "9d", Flags.TF)).isEqualTo(Vectors.GP);
        TestCpu w = DatactlSupport.v86(0, true);
        w.cpu.state().flagsRest |= Flags.VIP;
        w.code("9d");
        w.bus.write(0xfff0, 2, Flags.IF);
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(w);
        assertThat(r.vector).isEqualTo(Vectors.GP);
        assertThat(r.at.gpr[Reg.RSP]).isEqualTo(0xfff0);
    }

    @Test
    void pushfClearsVmAndRfInTheImageAndObeysV86Rules() {
        // 9c   pushfd   (32-bit, RF set): image without RF
        TestCpu t = TestCpu.protectedFlat(32);
        t.cpu.state().flagsRest |= Flags.RF | Flags.AC;
        t.code("9c");
        t.step(1);
        assertThat(t.bus.read(0x2fffc, 4)).isEqualTo(Flags.AC | Flags.FIXED1);
        // 66 9c   pushfd   (v8086, IOPL 3): image without VM
        TestCpu u = DatactlSupport.v86(3, false);
        u.code("66 9c");
        u.step(1);
        assertThat(u.bus.read(0xffec, 4)).isEqualTo(Flags.IOPL | Flags.FIXED1);
        // 9c   pushf   (v8086, IOPL 0, no VME): #GP(0)
        TestCpu v = DatactlSupport.v86(0, false);
        v.code("9c");
        assertThat(DatactlSupport.fault(v)).isEqualTo(Vectors.GP);
        // 9c   pushf   (v8086, IOPL 0, VME): VIF in the IF position, IOPL reads 3
        TestCpu w = DatactlSupport.v86(0, true);
        w.cpu.state().flagsRest |= Flags.VIF;
        w.code("9c");
        w.step(1);
        assertThat(w.bus.read(0xffee, 2)).isEqualTo(Flags.IF | Flags.IOPL | Flags.FIXED1);
        // 66 9c   pushfd   (v8086, IOPL 0, VME): #GP(0)
        TestCpu x = DatactlSupport.v86(0, true);
        x.code("66 9c");
        assertThat(DatactlSupport.fault(x)).isEqualTo(Vectors.GP);
    }

    @Test
    void enterFinalStackPointerIsWriteCheckedAndAFaultRestoresRspAndRbp() {
        // c8 10 00 00   enter 0x10,0   (32-bit, SS expand-down with limit 0x2fff0: the push at 0x2fffc is
        // valid, the final ESP 0x2ffec is not)
        TestCpu t = TestCpu.protectedFlat(32).code("c8 10 00 00").reg(Reg.RBP, 0x1234);
        t.cpu.state().seg[Reg.SS].set(0x10, 0, 0x2fff0, 0x97 | dev.hvsim.x86core.Segment.ATTR_DB);
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.SS);
        assertThat(r.at.gpr[Reg.RSP]).isEqualTo(0x30000);
        assertThat(r.at.gpr[Reg.RBP]).isEqualTo(0x1234);
        // control: enter 0x4,0 ends at 0x2fff8, inside the segment
        TestCpu u = TestCpu.protectedFlat(32).code("c8 04 00 00");
        u.cpu.state().seg[Reg.SS].set(0x10, 0, 0x2fff0, 0x97 | dev.hvsim.x86core.Segment.ATTR_DB);
        assertThat(DatactlSupport.fault(u)).isEqualTo(DatactlSupport.NONE);
    }
}
