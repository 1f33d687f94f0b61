package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.DatactlSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.Cpu;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.Segment;
import dev.hvsim.x86core.decode.Feature;
import dev.hvsim.x86core.fault.Vectors;
import dev.hvsim.x86core.testing.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-form tests of MOV, LEA, moffs MOV, MOVZX/MOVSX/MOVSXD, CBW/CWD families, XLAT, CMOVcc, SETcc, BSWAP
 * and MOVBE (SDM Vol. 2A/2B), in every code size where the form exists. Columns: mode | bytes |
 * disassembly | setup | expectation (see {@link DatactlSupport#scenario}). Real-mode data lives at 0x2000
 * (DS = 0), protected/long-mode data at 0x20000; code at CS:0 = 0x10000.
 */
class MoveTest {

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 88 d8                | mov al,bl                     | rax=0x1100 rbx=0x22              | rax=0x1122 rip=+2
        r16 | 88 26 00 20          | mov [0x2000],ah               | rax=0x4400                       | [0x2000]1=0x44 rip=+4
        p16 | 88 3f                | mov [bx],bh                   | rbx=0x2000                       | [0x2000]1=0x20
        p32 | 88 3d 00 00 02 00    | mov [0x20000],bh              | rbx=0x7700                       | [0x20000]1=0x77 rip=+6
        l64 | 40 88 f0             | mov al,sil                    | rsi=0x5a rax=-1                  | rax=0xffffffffffffff5a
        l64 | 88 f0                | mov al,dh                     | rdx=0x5a00 rax=0                 | rax=0x5a
        l64 | 44 88 00             | mov [rax],r8b                 | rax=0x20000 r8=0x99              | [0x20000]1=0x99
        r16 | 89 d8                | mov ax,bx                     | rax=0xffff0000 rbx=0x1234        | rax=0xffff1234
        r16 | 66 89 d8             | mov eax,ebx                   | rbx=0x12345678                   | rax=0x12345678 rip=+3
        p16 | 89 1e 00 20          | mov [0x2000],bx               | rbx=0xbeef                       | [0x2000]2=0xbeef
        p16 | 66 89 1e 00 20       | mov [0x2000],ebx              | rbx=0xdeadbeef                   | [0x2000]4=0xdeadbeef
        p32 | 89 18                | mov [eax],ebx                 | rax=0x20000 rbx=0xdeadbeef       | [0x20000]4=0xdeadbeef
        p32 | 66 89 18             | mov [eax],bx                  | rax=0x20000 rbx=0xdeadbeef       | [0x20000]4=0xbeef
        l64 | 48 89 18             | mov [rax],rbx                 | rax=0x20000 rbx=0x1122334455667788 | [0x20000]8=0x1122334455667788
        l64 | 89 d8                | mov eax,ebx                   | rax=-1 rbx=0xffffffff12345678    | rax=0x12345678
        l64 | 66 89 d8             | mov ax,bx                     | rax=-1 rbx=0x1234                | rax=0xffffffffffff1234
        l64 | 4d 89 c8             | mov r8,r9                     | r9=0x8000000000000001            | r8=0x8000000000000001
        r16 | 8a 26 00 20          | mov ah,[0x2000]               | [0x2000]1=0x5c rax=0             | rax=0x5c00
        l64 | 8a 05 10 00 00 00    | mov al,[rip+0x10]             | [0x10016]1=0x3c rax=0            | rax=0x3c
        r16 | 8b 47 02             | mov ax,[bx+0x2]               | rbx=0x2000 [0x2002]2=0x1234      | rax=0x1234
        p32 | 8b 44 24 04          | mov eax,[esp+0x4]             | rsp=0x30000 [0x30004]4=0xcafe    | rax=0xcafe
        p32 | 66 8b 44 24 04       | mov ax,[esp+0x4]              | rax=0x11110000 [0x30004]4=0xcafe | rax=0x1111cafe
        l64 | 48 8b 04 c8          | mov rax,[rax+rcx*8]           | rax=0x20000 rcx=2 [0x20010]8=0x1122334455667788 | rax=0x1122334455667788
        l64 | 4c 8b 3c 25 00 00 02 00 | mov r15,[0x20000]          | [0x20000]8=-2                    | r15=-2
        r16 | b4 12                | mov ah,0x12                   | rax=0                            | rax=0x1200 rip=+2
        l64 | 41 b7 80             | mov r15b,0x80                 | r15=-1                           | r15=0xffffffffffffff80
        l64 | 40 b4 12             | mov spl,0x12                  | rsp=0x30000                      | rsp=0x30012
        l64 | b4 12                | mov ah,0x12                   | rsp=0x30000 rax=0                | rax=0x1200 rsp=0x30000
        r16 | b8 34 12             | mov ax,0x1234                 | rax=0xffff0000                   | rax=0xffff1234 rip=+3
        r16 | 66 bb 78 56 34 12    | mov ebx,0x12345678            |                                  | rbx=0x12345678 rip=+6
        p32 | b9 78 56 34 12       | mov ecx,0x12345678            |                                  | rcx=0x12345678 rip=+5
        p32 | 66 b9 34 12          | mov cx,0x1234                 | rcx=0xffff0000                   | rcx=0xffff1234 rip=+4
        l64 | 48 b8 88 77 66 55 44 33 22 11 | movabs rax,0x1122334455667788 |                     | rax=0x1122334455667788 rip=+10
        l64 | 49 bf 01 00 00 00 00 00 00 80 | movabs r15,0x8000000000000001 |                     | r15=0x8000000000000001
        l64 | b8 ff ff ff ff       | mov eax,0xffffffff            | rax=0x1234567800000000           | rax=0xffffffff rip=+5
        l64 | 41 b8 01 00 00 00    | mov r8d,0x1                   | r8=-1                            | r8=1
        l64 | 66 41 b8 34 12       | mov r8w,0x1234                | r8=-1                            | r8=0xffffffffffff1234 rip=+5
        r16 | c6 06 00 20 7f       | mov BYTE PTR [0x2000],0x7f    |                                  | [0x2000]1=0x7f rip=+5
        l64 | c6 c4 11             | mov ah,0x11                   | rax=0                            | rax=0x1100
        l64 | 41 c6 c0 11          | mov r8b,0x11                  | r8=0                             | r8=0x11
        r16 | c7 06 00 20 34 12    | mov WORD PTR [0x2000],0x1234  |                                  | [0x2000]2=0x1234 rip=+6
        r16 | 66 c7 06 00 20 78 56 34 12 | mov DWORD PTR [0x2000],0x12345678 |                   | [0x2000]4=0x12345678 rip=+9
        p32 | c7 00 78 56 34 12    | mov DWORD PTR [eax],0x12345678 | rax=0x20000                     | [0x20000]4=0x12345678
        p32 | 66 c7 00 34 12       | mov WORD PTR [eax],0x1234     | rax=0x20000                      | [0x20000]2=0x1234 rip=+5
        l64 | 48 c7 00 ff ff ff ff | mov QWORD PTR [rax],0xffffffffffffffff | rax=0x20000             | [0x20000]8=-1
        l64 | 48 c7 c0 00 00 00 80 | mov rax,0xffffffff80000000    |                                  | rax=0xffffffff80000000
        l64 | c7 c0 00 00 00 80    | mov eax,0x80000000            | rax=-1                           | rax=0x80000000
        l64 | 66 c7 00 34 12       | mov WORD PTR [rax],0x1234     | rax=0x20000                      | [0x20000]2=0x1234
        l64 | c6 c8 00             | (bad)                         |                                  | #UD
        p32 | f0 89 18             | lock mov [eax],ebx            | rax=0x20000                      | #UD rip=+0
        l64 | 48 89 18             | mov [rax],rbx                 | rax=0x800000000000               | #GP(0) rip=+0
        l64 | 48 89 1c 24          | mov [rsp],rbx                 | rsp=0x800000000000               | #SS(0) rip=+0
        r16 | 89 1e ff ff          | mov [0xffff],bx               |                                  | #GP(0)
        """)
    void mov(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | a0 00 20             | mov al,[0x2000]               | [0x2000]1=0x42                   | rax=0x42 rip=+3
        r16 | a1 00 20             | mov ax,[0x2000]               | [0x2000]2=0x4243                 | rax=0x4243 rip=+3
        r16 | 66 a1 00 20          | mov eax,[0x2000]              | [0x2000]4=0x41424344             | rax=0x41424344 rip=+4
        r16 | 67 a1 00 20 00 00    | addr32 mov ax,[0x2000]        | [0x2000]2=0x4243                 | rax=0x4243 rip=+6
        r16 | a2 00 20             | mov [0x2000],al               | rax=0x77                         | [0x2000]1=0x77
        r16 | a3 00 20             | mov [0x2000],ax               | rax=0x7788                       | [0x2000]2=0x7788
        r16 | 2e a0 00 20          | mov al,cs:[0x2000]            | [0x12000]1=0x99                  | rax=0x99
        r16 | a1 ff ff             | mov ax,[0xffff]               |                                  | #GP(0)
        p16 | a1 00 20             | mov ax,[0x2000]               | [0x2000]2=0x4243                 | rax=0x4243 rip=3
        p32 | a1 00 00 02 00       | mov eax,[0x20000]             | [0x20000]4=0x41424344            | rax=0x41424344 rip=+5
        p32 | a0 00 00 02 00       | mov al,[0x20000]              | [0x20000]1=0x44 rax=0x100        | rax=0x144
        p32 | 66 a3 00 00 02 00    | mov [0x20000],ax              | rax=0x5566                       | [0x20000]4=0x5566 rip=+6
        p32 | a2 00 00 02 00       | mov [0x20000],al              | rax=0x66                         | [0x20000]1=0x66
        p32 | 67 a0 00 20          | addr16 mov al,[0x2000]        | [0x2000]1=0x11                   | rax=0x11 rip=+4
        l64 | 48 a1 00 00 02 00 00 00 00 00 | movabs rax,[0x20000] | [0x20000]8=0x1122334455667788    | rax=0x1122334455667788 rip=+10
        l64 | a1 00 00 02 00 00 00 00 00 | movabs eax,[0x20000]    | rax=-1 [0x20000]8=0x1122334455667788 | rax=0x55667788 rip=+9
        l64 | 66 a1 00 00 02 00 00 00 00 00 | movabs ax,[0x20000] | rax=-1 [0x20000]2=0x7788         | rax=0xffffffffffff7788 rip=+10
        l64 | a3 00 00 02 00 00 00 00 00 | movabs [0x20000],eax    | rax=0x1122334455667788           | [0x20000]8=0x55667788
        l64 | 48 a3 00 00 02 00 00 00 00 00 | movabs [0x20000],rax | rax=0x1122334455667788          | [0x20000]8=0x1122334455667788
        l64 | a2 00 00 02 00 00 00 00 00 | movabs [0x20000],al     | rax=0x88                         | [0x20000]1=0x88
        l64 | 67 a0 00 00 02 00    | addr32 mov al,[0x20000]       | [0x20000]1=0x12                  | rax=0x12 rip=+6
        l64 | a0 00 00 00 00 00 80 00 00 | movabs al,[0x800000000000] |                              | #GP(0)
        """)
    void movMoffs(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 8d 00                | lea ax,[bx+si]                | rbx=0x1000 rsi=0x234             | rax=0x1234
        r16 | 8d 01                | lea ax,[bx+di]                | rbx=0x1000 rdi=0x234             | rax=0x1234
        r16 | 8d 02                | lea ax,[bp+si]                | rbp=0x1000 rsi=0x234             | rax=0x1234
        r16 | 8d 03                | lea ax,[bp+di]                | rbp=0x1000 rdi=0x234             | rax=0x1234
        r16 | 8d 04                | lea ax,[si]                   | rsi=0x234                        | rax=0x234
        r16 | 8d 05                | lea ax,[di]                   | rdi=0x234                        | rax=0x234
        r16 | 8d 06 34 12          | lea ax,ds:0x1234              |                                  | rax=0x1234 rip=+4
        r16 | 8d 07                | lea ax,[bx]                   | rbx=0x4321                       | rax=0x4321
        r16 | 8d 46 fe             | lea ax,[bp-0x2]               | rbp=0x1000                       | rax=0xffe rip=+3
        r16 | 8d 87 00 80          | lea ax,[bx-0x8000]            | rbx=0x9000                       | rax=0x1000 rip=+4
        r16 | 8d 40 ff             | lea ax,[bx+si-0x1]            | rbx=0 rsi=0                      | rax=0xffff
        r16 | 66 8d 00             | lea eax,[bx+si]               | rax=-1 rbx=0xffff rsi=1          | rax=0
        r16 | 67 8d 04 48          | lea ax,[eax+ecx*2]            | rax=0x10000 rcx=0x8000           | rax=0x10000
        r16 | 67 66 8d 04 48       | lea eax,[eax+ecx*2]           | rax=0x10000 rcx=0x8000           | rax=0x20000
        p16 | 8d 41 02             | lea ax,[bx+di+0x2]            | rbx=0x10 rdi=0x20                | rax=0x32
        p32 | 8d 44 8b 08          | lea eax,[ebx+ecx*4+0x8]       | rbx=0x1000 rcx=3                 | rax=0x1014
        p32 | 8d 05 78 56 34 12    | lea eax,ds:0x12345678         |                                  | rax=0x12345678 rip=+6
        p32 | 8d 04 8d 00 01 00 00 | lea eax,[ecx*4+0x100]         | rcx=2                            | rax=0x108 rip=+7
        p32 | 8d 44 24 fc          | lea eax,[esp-0x4]             | rsp=0x30000                      | rax=0x2fffc
        p32 | 8d 84 1b 00 00 00 80 | lea eax,[ebx+ebx*1-0x80000000] | rbx=0x80000001                  | rax=0x80000002
        p32 | 67 8d 00             | lea eax,[bx+si]               | rbx=0xffff rsi=2                 | rax=0x1
        p32 | 66 8d 04 19          | lea ax,[ecx+ebx*1]            | rax=0xffff0000 rcx=0x12340 rbx=5 | rax=0xffff2345
        l64 | 48 8d 05 10 00 00 00 | lea rax,[rip+0x10]            |                                  | rax=0x10017
        l64 | 48 8d 04 4b          | lea rax,[rbx+rcx*2]           | rbx=0x100000000 rcx=3            | rax=0x100000006
        l64 | 8d 04 4b             | lea eax,[rbx+rcx*2]           | rbx=0x100000000 rcx=3            | rax=6
        l64 | 67 48 8d 04 4b       | lea rax,[ebx+ecx*2]           | rbx=0xffffffff rcx=1             | rax=1
        l64 | 4a 8d 04 e5 00 00 00 00 | lea rax,[r12*8+0x0]        | r12=0x10                         | rax=0x80
        l64 | 49 8d 44 24 08       | lea rax,[r12+0x8]             | r12=0x10                         | rax=0x18
        l64 | 49 8d 45 00          | lea rax,[r13+0x0]             | r13=0x123                        | rax=0x123
        l64 | 66 8d 04 0b          | lea ax,[rbx+rcx*1]            | rax=-1 rbx=0x12340 rcx=5         | rax=0xffffffffffff2345
        l64 | 67 8d 05 10 00 00 00 | lea eax,[eip+0x10]            |                                  | rax=0x10017
        l64 | 4c 8d 3c 24          | lea r15,[rsp]                 | rsp=0x1234                       | r15=0x1234
        l64 | 8d c0                | (bad)                         |                                  | #UD
        """)
    void lea(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 0f b6 c3             | movzx ax,bl                   | rbx=0x80 rax=0xffff              | rax=0x80
        r16 | 66 0f be c3          | movsx eax,bl                  | rbx=0x80                         | rax=0xffffff80
        r16 | 0f b7 07             | movzx ax,WORD PTR [bx]        | rbx=0x2000 [0x2000]2=0x8001      | rax=0x8001
        r16 | 66 0f bf 07          | movsx eax,WORD PTR [bx]       | rbx=0x2000 [0x2000]2=0x8001      | rax=0xffff8001
        p32 | 0f b6 c4             | movzx eax,ah                  | rax=0x8100                       | rax=0x81
        p32 | 0f bf 00             | movsx eax,WORD PTR [eax]      | rax=0x20000 [0x20000]2=0xfffe    | rax=0xfffffffe
        p32 | 0f b7 00             | movzx eax,WORD PTR [eax]      | rax=0x20000 [0x20000]2=0xfffe    | rax=0xfffe
        p32 | 66 0f be c3          | movsx ax,bl                   | rax=0x12340000 rbx=0xff          | rax=0x1234ffff
        p32 | 0f be 00             | movsx eax,BYTE PTR [eax]      | rax=0x20000 [0x20000]1=0x7f      | rax=0x7f
        l64 | 48 0f be c4          | movsx rax,spl                 | rsp=0x30080                      | rax=0xffffffffffffff80
        l64 | 48 0f bf c3          | movsx rax,bx                  | rbx=0x8000                       | rax=0xffffffffffff8000
        l64 | 0f b7 c3             | movzx eax,bx                  | rax=-1 rbx=0xffff                | rax=0xffff
        l64 | 0f be c7             | movsx eax,bh                  | rax=-1 rbx=0x8000                | rax=0xffffff80
        l64 | 4c 0f b6 00          | movzx r8,BYTE PTR [rax]       | rax=0x20000 [0x20000]1=0xf0 r8=-1 | r8=0xf0
        l64 | 48 63 c3             | movsxd rax,ebx                | rbx=0x80000000                   | rax=0xffffffff80000000
        l64 | 63 c3                | movsxd eax,ebx                | rax=-1 rbx=0xffffffff80000000    | rax=0x80000000
        l64 | 66 63 c1             | movsxd ax,ecx                 | rax=0x1111111111111111 rcx=0xffff8000 | rax=0x1111111111118000
        l64 | 48 63 00             | movsxd rax,DWORD PTR [rax]    | rax=0x20000 [0x20000]4=0xfffffff0 | rax=-16
        l64 | 4c 63 c8             | movsxd r9,eax                 | rax=0x7fffffff                   | r9=0x7fffffff
        """)
    void movzxMovsx(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 98                   | cbw                           | rax=0x12340080                   | rax=0x1234ff80
        r16 | 66 98                | cwde                          | rax=0x8000                       | rax=0xffff8000
        p32 | 98                   | cwde                          | rax=0x7fff                       | rax=0x7fff
        p32 | 66 98                | cbw                           | rax=0x12345680                   | rax=0x1234ff80
        l64 | 48 98                | cdqe                          | rax=0x80000000                   | rax=0xffffffff80000000
        l64 | 98                   | cwde                          | rax=0xffffffff00008000           | rax=0xffff8000
        l64 | 66 98                | cbw                           | rax=-129                         | rax=0xffffffffffff007f
        r16 | 99                   | cwd                           | rax=0x8000 rdx=0                 | rdx=0xffff
        r16 | 66 99                | cdq                           | rax=0x80000000 rdx=0             | rdx=0xffffffff
        p32 | 99                   | cdq                           | rax=1 rdx=-1                     | rdx=0
        p32 | 66 99                | cwd                           | rax=0x7fff rdx=0x1234ffff        | rdx=0x12340000
        l64 | 48 99                | cqo                           | rax=-1 rdx=0                     | rdx=-1
        l64 | 99                   | cdq                           | rax=0x80000000 rdx=0             | rdx=0xffffffff
        l64 | 66 99                | cwd                           | rax=0x8000 rdx=0x1111111111111111 | rdx=0x111111111111ffff
        r16 | d7                   | xlat BYTE PTR ds:[bx]         | rbx=0x2000 rax=0x1205 [0x2005]1=0x99 | rax=0x1299 rip=+1
        r16 | 2e d7                | xlat BYTE PTR cs:[bx]         | rbx=0x2000 rax=0x05 [0x12005]1=0x98 | rax=0x98
        r16 | 67 d7                | xlat BYTE PTR ds:[ebx]        | rbx=0x2000 rax=0xff [0x20ff]1=0x97 | rax=0x97
        p32 | d7                   | xlat BYTE PTR ds:[ebx]        | rbx=0x20000 rax=0xff [0x200ff]1=0x33 | rax=0x33
        l64 | d7                   | xlat BYTE PTR ds:[rbx]        | rbx=0x20000 rax=0x1ff [0x200ff]1=0x34 | rax=0x134
        l64 | 67 d7                | xlat BYTE PTR ds:[ebx]        | rbx=0xffffffff00020000 rax=0x10 [0x20010]1=0x35 | rax=0x35
        l64 | d7                   | xlat BYTE PTR ds:[rbx]        | rbx=0x800000000000               | #GP(0)
        """)
    void convertAndXlat(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @ParameterizedTest(name = "{0}: {2} {3}")
    @CsvSource(delimiter = '|', textBlock = """
        r16 | 0f 44 c3             | cmove ax,bx                   | zf=1 rax=0x5555 rbx=0x1234       | rax=0x1234 rip=+3
        r16 | 0f 44 c3             | cmove ax,bx                   | zf=0 rax=0x5555 rbx=0x1234       | rax=0x5555
        r16 | 66 0f 44 c3          | cmove eax,ebx                 | zf=1 rbx=0x12345678              | rax=0x12345678
        p32 | 0f 42 03             | cmovb eax,DWORD PTR [ebx]     | cf=1 rbx=0x20000 [0x20000]4=0x77 | rax=0x77
        p32 | 66 0f 4f c3          | cmovg ax,bx                   | zf=0 sf=0 of=0 rax=0xaaaa0000 rbx=7 | rax=0xaaaa0007
        l64 | 0f 45 c3             | cmovne eax,ebx                | zf=1 rax=0xffffffff12345678      | rax=0x12345678
        l64 | 48 0f 45 c3          | cmovne rax,rbx                | zf=1 rax=0xffffffff12345678      | rax=0xffffffff12345678
        l64 | 66 0f 45 c3          | cmovne ax,bx                  | zf=1 rax=0xffffffff12345678      | rax=0xffffffff12345678
        l64 | 4d 0f 4c c1          | cmovl r8,r9                   | sf=1 of=0 r9=0x99                | r8=0x99
        l64 | 0f 45 03             | cmovne eax,DWORD PTR [rbx]    | zf=1 rbx=0x800000000000 rax=-1   | #GP(0) rax=-1
        r16 | 0f 94 c4             | sete ah                       | zf=1 rax=0                       | rax=0x100
        p32 | 0f 92 00             | setb BYTE PTR [eax]           | cf=1 rax=0x20000 [0x20000]1=0xff | [0x20000]1=1
        p32 | 0f 93 00             | setae BYTE PTR [eax]          | cf=1 rax=0x20000 [0x20000]1=0xff | [0x20000]1=0
        l64 | 41 0f 95 c0          | setne r8b                     | zf=0 r8=-1                       | r8=0xffffffffffffff01
        l64 | 40 0f 94 c4          | sete spl                      | zf=1 rsp=0x30000                 | rsp=0x30001
        l64 | 0f 9f 05 00 00 00 00 | setg BYTE PTR [rip+0x0]       | zf=0 sf=1 of=1 [0x10007]1=0      | [0x10007]1=1
        """)
    void cmovAndSetcc(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    /** Every condition code against every combination of CF, PF, ZF, SF, OF (SDM Vol. 1 Table B-1). */
    @Test
    void setccConditionTable() {
        for (int cc = 0; cc < 16; cc++) {
            for (int combo = 0; combo < 32; combo++) {
                boolean cf = (combo & 1) != 0, pf = (combo & 2) != 0, zf = (combo & 4) != 0;
                boolean sf = (combo & 8) != 0, of = (combo & 16) != 0;
                boolean want;
                switch (cc >> 1) {
                    case 0: want = of; break;
                    case 1: want = cf; break;
                    case 2: want = zf; break;
                    case 3: want = cf | zf; break;
                    case 4: want = sf; break;
                    case 5: want = pf; break;
                    case 6: want = sf != of; break;
                    default: want = zf | (sf != of); break;
                }
                want ^= (cc & 1) != 0;
                // 0f 9x c0   setcc al ; 0f 4x c3   cmovcc eax,ebx
                TestCpu t = TestCpu.long64().code(String.format("0f %02x c0 0f %02x c3", 0x90 + cc, 0x40 + cc));
                t.cpu.state().setRflags(2 | (cf ? 1 : 0) | (pf ? 4 : 0) | (zf ? 0x40 : 0) | (sf ? 0x80 : 0)
                        | (of ? 0x800 : 0));
                t.reg(Reg.RAX, 0xff).reg(Reg.RBX, 0x77);
                t.step(1);
                assertThat(t.reg(Reg.RAX)).as("SET%s combo %d", Branch.COND[cc], combo).isEqualTo(want ? 1 : 0);
                t.step(1);
                assertThat(t.reg(Reg.RAX)).as("CMOV%s combo %d", Branch.COND[cc], combo)
                        .isEqualTo(want ? 0x77 : (want ? 1 : 0));
            }
        }
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        p32 | 0f c8                | bswap eax                     | rax=0x12345678                   | rax=0x78563412 rip=+2
        r16 | 66 0f cb             | bswap ebx                     | rbx=0x12345678                   | rbx=0x78563412
        r16 | 0f c8                | bswap ax                      | rax=0x12345678                   | rax=0x12340000
        l64 | 48 0f c8             | bswap rax                     | rax=0x1122334455667788           | rax=0x8877665544332211
        l64 | 49 0f cf             | bswap r15                     | r15=0x1122334455667788           | r15=0x8877665544332211
        l64 | 0f c9                | bswap ecx                     | rcx=0xffffffff12345678           | rcx=0x78563412
        l64 | 66 0f cb             | bswap bx                      | rbx=-1                           | rbx=0xffffffffffff0000
        p32 | 0f 38 f0 00          | movbe eax,DWORD PTR [eax]     | rax=0x20000 [0x20000]4=0x12345678 | rax=0x78563412 rip=+4
        p32 | 66 0f 38 f0 00       | movbe ax,WORD PTR [eax]       | rax=0x20000 [0x20000]2=0x1234    | rax=0x23412
        p32 | 0f 38 f1 18          | movbe DWORD PTR [eax],ebx     | rax=0x20000 rbx=0x12345678       | [0x20000]4=0x78563412
        r16 | 0f 38 f0 07          | movbe ax,WORD PTR [bx]        | rbx=0x2000 [0x2000]2=0xaabb      | rax=0xbbaa
        r16 | 0f 38 f1 07          | movbe WORD PTR [bx],ax        | rbx=0x2000 rax=0xaabb            | [0x2000]2=0xbbaa
        l64 | 48 0f 38 f0 03       | movbe rax,QWORD PTR [rbx]     | rbx=0x20000 [0x20000]8=0x1122334455667788 | rax=0x8877665544332211
        l64 | 48 0f 38 f1 03       | movbe QWORD PTR [rbx],rax     | rbx=0x20000 rax=0x1122334455667788 | [0x20000]8=0x8877665544332211
        l64 | 0f 38 f0 03          | movbe eax,DWORD PTR [rbx]     | rax=-1 rbx=0x20000 [0x20000]4=0x11223344 | rax=0x44332211
        l64 | 66 0f 38 f1 03       | movbe WORD PTR [rbx],ax       | rbx=0x20000 rax=0x1122 [0x20000]4=0 | [0x20000]4=0x2211
        l64 | 0f 38 f0 c0          | (movbe, register form)        |                                  | #UD
        l64 | f3 0f 38 f0 00       | (movbe with F3)               |                                  | #UD
        """)
    void bswapAndMovbe(String mode, String bytes, String asm, String setup, String expect) {
        scenario(mode, bytes, setup, expect, 1);
    }

    @Test
    void segmentOverridesSelectTheBase() {
        // 64 8b 00   mov eax,fs:[eax]   (32-bit protected mode, FS base 0x1000)
        TestCpu t = TestCpu.protectedFlat(32).code("64 8b 00").reg(Reg.RAX, 0x20000);
        t.cpu.state().seg[Reg.FS].base = 0x1000;
        t.bus.write(0x21000, 4, 0xfeed);
        t.step(1);
        assertThat(t.reg(Reg.RAX)).isEqualTo(0xfeed);
        // 65 48 a1 00 00 02 00 00 00 00 00   movabs rax,gs:[0x20000]   (64-bit, GS base 0x100)
        TestCpu u = TestCpu.long64().code("65 48 a1 00 00 02 00 00 00 00 00");
        u.cpu.state().seg[Reg.GS].base = 0x100;
        u.bus.write(0x20100, 8, 0x0123456789abcdefL);
        u.step(1);
        assertThat(u.reg(Reg.RAX)).isEqualTo(0x0123456789abcdefL);
        // 26 a1 00 00 02 00   mov eax,es:[0x20000]   (64-bit: ES base ignored)
        TestCpu v = TestCpu.long64().code("26 a1 00 00 02 00 00 00 00 00");
        v.cpu.state().seg[Reg.ES].base = 0x100;
        v.bus.write(0x20000, 4, 0x5a5a);
        v.step(1);
        assertThat(v.reg(Reg.RAX)).isEqualTo(0x5a5a);
    }

    @Test
    void writeToReadOnlySegmentFaults() {
        // 89 18   mov [eax],ebx   with DS read-only (type 1): #GP(0), memory unchanged
        TestCpu t = TestCpu.protectedFlat(32).code("89 18").reg(Reg.RAX, 0x20000).reg(Reg.RBX, 7);
        t.cpu.state().seg[Reg.DS].attr = 0x91 | Segment.ATTR_G | Segment.ATTR_DB;
        DatactlSupport.FaultRecorder r = DatactlSupport.stepRecording(t);
        assertThat(r.vector).isEqualTo(Vectors.GP);
        assertThat(t.bus.read(0x20000, 4)).isZero();
    }

    @Test
    void movbeAndCmovAreUdWithoutTheirCpuidFeature() {
        // 0f 38 f0 07   movbe ax,[bx]   (real mode, profile without MOVBE)
        Cpu cpu = DatactlSupport.realWith(DatactlSupport.without("intel-core", Feature.MOVBE), "0f 38 f0 07");
        assertThat(DatactlSupport.stepRecording(cpu).vector).isEqualTo(Vectors.UD);
        // 0f 44 c3   cmove ax,bx   (profile without CMOV)
        Cpu cpu2 = DatactlSupport.realWith(DatactlSupport.without("amd-zen", Feature.CMOV), "0f 44 c3");
        assertThat(DatactlSupport.stepRecording(cpu2).vector).isEqualTo(Vectors.UD);
        // control: with the feature both execute
        Cpu cpu3 = DatactlSupport.realWith(dev.hvsim.x86core.CpuProfile.load("amd-zen"), "0f 44 c3");
        assertThat(DatactlSupport.stepRecording(cpu3).vector).isEqualTo(DatactlSupport.NONE);
    }
}
