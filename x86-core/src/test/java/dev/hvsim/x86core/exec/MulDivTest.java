package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.AluHarness.c;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.exec.AluHarness.Case;
import java.util.List;

/**
 * Per-form tests of MUL/IMUL/DIV/IDIV (F6/F7 /4-/7, every size), IMUL Gv,Ev / Gv,Ev,Iz / Gv,Ev,Ibs and
 * MULX (SDM Vol. 2A/2B), as raw bytes plus the disassembly, including #DE for zero divisors and
 * quotient overflow at every size (Long.MIN_VALUE / -1 and 128-by-64 cases).
 */
class MulDivTest extends AluFamilyTest {
    /**
     * Every operand form, register and memory, in each code size where it exists, on the amd-zen profile.
     * Expected values were measured on AMD Zen silicon (src/test/native/alu/gen_cases.py ran the same
     * operation natively; 16/32-bit operand sizes are mode-independent, so a 64-bit host run gives the
     * expectation for the 16- and 32-bit code sizes too).
     */
    static final List<Case> SILICON = List.of(
            c("r16:amd", "f6 e3", "mul bl", "rax=0x0 rbx=0x80 rcx=0x0 rdx=0xffff fl=SPC", "rax=0x0 rbx=0x80 rcx=0x0 rdx=0xffff fl=SP"),
            c("r16:amd", "f6 e3", "mul bl", "rax=0x79eaa723 rbx=0x253d9e30 rcx=0x0 rdx=0x7fffffff fl=C", "rax=0x79ea0690 rbx=0x253d9e30 rcx=0x0 rdx=0x7fffffff fl=OC"),
            c("r16:amd", "f6 27", "mul BYTE PTR [bx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x1 fl=SZC m8=0xff", "rax=0x0 rcx=0x0 rdx=0x1 fl=SZ m8=0xff"),
            c("p32:amd", "f6 e3", "mul bl", "rax=0x81df6383 rbx=0x1e07ea63 rcx=0x0 rdx=0x0 fl=OZAPC", "rax=0x81df32a9 rbx=0x1e07ea63 rcx=0x0 rdx=0x0 fl=OZAPC"),
            c("p32:amd", "f6 e3", "mul bl", "rax=0x42a68fec rbx=0xffff rcx=0x0 rdx=0xffff fl=OPC", "rax=0x42a6eb14 rbx=0xffff rcx=0x0 rdx=0xffff fl=OPC"),
            c("p32:amd", "f6 23", "mul BYTE PTR [ebx]", "rax=0x8f62fcd6 rbx=@ rcx=0x0 rdx=0x0 fl=SA m8=0xff", "rax=0x8f62d52a rcx=0x0 rdx=0x0 fl=OSAC m8=0xff"),
            c("l64:amd", "f6 e3", "mul bl", "rax=0x7f rbx=0x144f0b6ad3cdfaf7 rcx=0x0 rdx=0x93af0473184cf29a fl=OSA", "rax=0x7a89 rbx=0x144f0b6ad3cdfaf7 rcx=0x0 rdx=0x93af0473184cf29a fl=OSAC"),
            c("l64:amd", "f6 e3", "mul bl", "rax=0x459ccb821b420c79 rbx=0xffffffffffffffff rcx=0x0 rdx=0xc6df1a56a0879a14 fl=OSZAPC", "rax=0x459ccb821b427887 rbx=0xffffffffffffffff rcx=0x0 rdx=0xc6df1a56a0879a14 fl=OSZAPC"),
            c("l64:amd", "f6 23", "mul BYTE PTR [rbx]", "rax=0xe6fd1c9879be8e7 rbx=@ rcx=0x0 rdx=0x0 fl=SC m8=0xe5", "rax=0xe6fd1c9879bcea3 rcx=0x0 rdx=0x0 fl=OSC m8=0xe5"),
            c("r16:amd", "f7 e3", "mul bx", "rax=0xbcf75d50 rbx=0x1 rcx=0x0 rdx=0x1 fl=OSZP", "rax=0xbcf75d50 rbx=0x1 rcx=0x0 rdx=0x0 fl=SZP"),
            c("r16:amd", "f7 e3", "mul bx", "rax=0x5ba9468b rbx=0xe7b5d71c rcx=0x0 rdx=0x1e2e8b1b fl=SZPC", "rax=0x5ba97434 rbx=0xe7b5d71c rcx=0x0 rdx=0x1e2e3b46 fl=OSZPC"),
            c("r16:amd", "f7 27", "mul WORD PTR [bx]", "rax=0x80 rbx=@ rcx=0x0 rdx=0x0 fl=SZPC m16=0x7", "rax=0x380 rcx=0x0 rdx=0x0 fl=SZP m16=0x7"),
            c("p32:amd", "66 f7 e3", "mul bx", "rax=0xffffffff rbx=0x1 rcx=0x0 rdx=0xec7530d8 fl=OSAP", "rax=0xffffffff rbx=0x1 rcx=0x0 rdx=0xec750000 fl=SAP"),
            c("p32:amd", "66 f7 e3", "mul bx", "rax=0x0 rbx=0x169216b3 rcx=0x0 rdx=0x7fffffff fl=SZA", "rax=0x0 rbx=0x169216b3 rcx=0x0 rdx=0x7fff0000 fl=SZA"),
            c("p32:amd", "66 f7 23", "mul WORD PTR [ebx]", "rax=0xdd32cfe4 rbx=@ rcx=0x0 rdx=0x0 fl=OC m16=0xffff", "rax=0xdd32301c rcx=0x0 rdx=0xcfe3 fl=OC m16=0xffff"),
            c("l64:amd", "66 f7 e3", "mul bx", "rax=0x7f rbx=0x7fffffff rcx=0x0 rdx=0xff fl=OSA", "rax=0xff81 rbx=0x7fffffff rcx=0x0 rdx=0x7e fl=OSAC"),
            c("l64:amd", "66 f7 e3", "mul bx", "rax=0xc505bebd80631136 rbx=0xbb7386b6b64902e5 rcx=0x0 rdx=0xfb468597f788956e fl=SPC", "rax=0xc505bebd8063d14e rbx=0xbb7386b6b64902e5 rcx=0x0 rdx=0xfb468597f7880031 fl=OSPC"),
            c("l64:amd", "66 f7 23", "mul WORD PTR [rbx]", "rax=0x80000000 rbx=@ rcx=0x0 rdx=0x0 fl=SC m16=0xffff", "rax=0x80000000 rcx=0x0 rdx=0x0 fl=S m16=0xffff"),
            c("p32:amd", "f7 e3", "mul ebx", "rax=0xffffffff rbx=0x4af68ab rcx=0x0 rdx=0xffff fl=C", "rax=0xfb509755 rbx=0x4af68ab rcx=0x0 rdx=0x4af68aa fl=OC"),
            c("p32:amd", "f7 e3", "mul ebx", "rax=0xff rbx=0x7f rcx=0x0 rdx=0x80 fl=OZAP", "rax=0x7e81 rbx=0x7f rcx=0x0 rdx=0x0 fl=ZAP"),
            c("p32:amd", "f7 23", "mul DWORD PTR [ebx]", "rax=0x80 rbx=@ rcx=0x0 rdx=0x1 fl=S m32=0x75d2ee81", "rax=0xe9774080 rcx=0x0 rdx=0x3a fl=OSC m32=0x75d2ee81"),
            c("p16:amd", "66 f7 e3", "mul ebx", "rax=0x8853d3bf rbx=0xffffffff rcx=0x0 rdx=0x31a99bb9 fl=OSZAP", "rax=0x77ac2c41 rbx=0xffffffff rcx=0x0 rdx=0x8853d3be fl=OSZAPC"),
            c("p16:amd", "66 f7 e3", "mul ebx", "rax=0x7f rbx=0xffff rcx=0x0 rdx=0x0 fl=OZC", "rax=0x7eff81 rbx=0xffff rcx=0x0 rdx=0x0 fl=Z"),
            c("p16:amd", "66 f7 27", "mul DWORD PTR [bx]", "rax=0xffffffff rbx=@ rcx=0x0 rdx=0x1 fl=OSZ m32=0xbfce753f", "rax=0x40318ac1 rcx=0x0 rdx=0xbfce753e fl=OSZC m32=0xbfce753f"),
            c("l64:amd", "f7 e3", "mul ebx", "rax=0x811b6c2264d53a7e rbx=0xf86e2c6c60e75e3c rcx=0x0 rdx=0x80000000 fl=OZAP", "rax=0xf525f988 rbx=0xf86e2c6c60e75e3c rcx=0x0 rdx=0x262b1774 fl=OZAPC"),
            c("l64:amd", "f7 e3", "mul ebx", "rax=0xffffffff rbx=0xff rcx=0x0 rdx=0x80000000 fl=AC", "rax=0xffffff01 rbx=0xff rcx=0x0 rdx=0xfe fl=OAC"),
            c("l64:amd", "f7 23", "mul DWORD PTR [rbx]", "rax=0x1 rbx=@ rcx=0x0 rdx=0x0 fl=OSAC m32=0xd3017a99", "rax=0xd3017a99 rcx=0x0 rdx=0x0 fl=SA m32=0xd3017a99"),
            c("l64:amd", "48 f7 e3", "mul rbx", "rax=0x9ae9234b8f9fa5ec rbx=0xb8774523db245136 rcx=0x0 rdx=0x0 fl=SZC", "rax=0x77166b0a085cabc8 rbx=0xb8774523db245136 rcx=0x0 rdx=0x6f9fbd9440591ea1 fl=OSZC"),
            c("l64:amd", "48 f7 e3", "mul rbx", "rax=0xff rbx=0x8000000000000000 rcx=0x0 rdx=0x8000 fl=SZAPC", "rax=0x8000000000000000 rbx=0x8000000000000000 rcx=0x0 rdx=0x7f fl=OSZAPC"),
            c("l64:amd", "48 f7 23", "mul QWORD PTR [rbx]", "rax=0x8401da7ead8d899e rbx=@ rcx=0x0 rdx=0x1 fl=Z m64=0xffffffff", "rax=0x298baf1f52727662 rcx=0x0 rdx=0x8401da7e fl=OZC m64=0xffffffff"),
            c("p32:amd", "f6 e7", "mul bh", "rax=0x1234 rbx=0x300 rcx=0x0 rdx=0x0 fl=-", "rax=0x9c rbx=0x300 rcx=0x0 rdx=0x0 fl=-"),
            c("r16:amd", "f6 eb", "imul bl", "rax=0x142cfcf9 rbx=0xff rcx=0x0 rdx=0x0 fl=SZPC", "rax=0x142c0007 rbx=0xff rcx=0x0 rdx=0x0 fl=SZP"),
            c("r16:amd", "f6 eb", "imul bl", "rax=0x6799adf8 rbx=0x80 rcx=0x0 rdx=0x7f fl=S", "rax=0x67990400 rbx=0x80 rcx=0x0 rdx=0x7f fl=OSC"),
            c("r16:amd", "f6 2f", "imul BYTE PTR [bx]", "rax=0xff rbx=@ rcx=0x0 rdx=0x0 fl=OSAC m8=0x0", "rax=0x0 rcx=0x0 rdx=0x0 fl=SA m8=0x0"),
            c("p32:amd", "f6 eb", "imul bl", "rax=0x80000000 rbx=0x7f rcx=0x0 rdx=0x8000 fl=APC", "rax=0x80000000 rbx=0x7f rcx=0x0 rdx=0x8000 fl=AP"),
            c("p32:amd", "f6 eb", "imul bl", "rax=0xb897562 rbx=0x2da80b82 rcx=0x0 rdx=0x7f fl=ZC", "rax=0xb89cfc4 rbx=0x2da80b82 rcx=0x0 rdx=0x7f fl=OZC"),
            c("p32:amd", "f6 2b", "imul BYTE PTR [ebx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x1 fl=S m8=0x37", "rax=0x0 rcx=0x0 rdx=0x1 fl=S m8=0x37"),
            c("l64:amd", "f6 eb", "imul bl", "rax=0x6fa8fe3f93d142f2 rbx=0x321439f8c89d1ce9 rcx=0x0 rdx=0xbccfa6b862fba05d fl=OP", "rax=0x6fa8fe3f93d10142 rbx=0x321439f8c89d1ce9 rcx=0x0 rdx=0xbccfa6b862fba05d fl=OPC"),
            c("l64:amd", "f6 eb", "imul bl", "rax=0x3631cb8218af02ad rbx=0x8000000000000000 rcx=0x0 rdx=0xffffffff fl=ZP", "rax=0x3631cb8218af0000 rbx=0x8000000000000000 rcx=0x0 rdx=0xffffffff fl=ZP"),
            c("l64:amd", "f6 2b", "imul BYTE PTR [rbx]", "rax=0xa4ee527ff702a20a rbx=@ rcx=0x0 rdx=0x0 fl=OP m8=0xff", "rax=0xa4ee527ff702fff6 rcx=0x0 rdx=0x0 fl=P m8=0xff"),
            c("r16:amd", "f7 eb", "imul bx", "rax=0x7fffffff rbx=0x80000000 rcx=0x0 rdx=0xffffffff fl=OZPC", "rax=0x7fff0000 rbx=0x80000000 rcx=0x0 rdx=0xffff0000 fl=ZP"),
            c("r16:amd", "f7 eb", "imul bx", "rax=0xffffffff rbx=0x80 rcx=0x0 rdx=0x7fffffff fl=SPC", "rax=0xffffff80 rbx=0x80 rcx=0x0 rdx=0x7fffffff fl=SP"),
            c("r16:amd", "f7 2f", "imul WORD PTR [bx]", "rax=0x7f rbx=@ rcx=0x0 rdx=0x1 fl=S m16=0x7", "rax=0x379 rcx=0x0 rdx=0x0 fl=S m16=0x7"),
            c("p32:amd", "66 f7 eb", "imul bx", "rax=0xe8e0746e rbx=0x86636c27 rcx=0x0 rdx=0x6b45893b fl=OPC", "rax=0xe8e024c2 rbx=0x86636c27 rcx=0x0 rdx=0x6b453130 fl=OPC"),
            c("p32:amd", "66 f7 eb", "imul bx", "rax=0x80 rbx=0x5b11485a rcx=0x0 rdx=0xafe22dbf fl=OSP", "rax=0x2d00 rbx=0x5b11485a rcx=0x0 rdx=0xafe20024 fl=OSPC"),
            c("p32:amd", "66 f7 2b", "imul WORD PTR [ebx]", "rax=0x8000 rbx=@ rcx=0x0 rdx=0x1 fl=AP m16=0xfd93", "rax=0x8000 rcx=0x0 rdx=0x136 fl=OAPC m16=0xfd93"),
            c("l64:amd", "66 f7 eb", "imul bx", "rax=0x80000000 rbx=0xffffffff rcx=0x0 rdx=0xf79e902f0631360f fl=P", "rax=0x80000000 rbx=0xffffffff rcx=0x0 rdx=0xf79e902f06310000 fl=P"),
            c("l64:amd", "66 f7 eb", "imul bx", "rax=0xdee58dbf82de0143 rbx=0x1394f736938dd100 rcx=0x0 rdx=0x0 fl=Z", "rax=0xdee58dbf82deb300 rbx=0x1394f736938dd100 rcx=0x0 rdx=0xffc4 fl=OZC"),
            c("l64:amd", "66 f7 2b", "imul WORD PTR [rbx]", "rax=0xffffffffffffffff rbx=@ rcx=0x0 rdx=0x1 fl=OSA m16=0x80", "rax=0xffffffffffffff80 rcx=0x0 rdx=0xffff fl=SA m16=0x80"),
            c("p32:amd", "f7 eb", "imul ebx", "rax=0xff rbx=0x2a5e69bd rcx=0x0 rdx=0xff fl=OAC", "rax=0x340b5343 rbx=0x2a5e69bd rcx=0x0 rdx=0x2a fl=OAC"),
            c("p32:amd", "f7 eb", "imul ebx", "rax=0xffffffff rbx=0xff rcx=0x0 rdx=0x80000000 fl=SZP", "rax=0xffffff01 rbx=0xff rcx=0x0 rdx=0xffffffff fl=SZP"),
            c("p32:amd", "f7 2b", "imul DWORD PTR [ebx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x1 fl=OZ m32=0x19d0519a", "rax=0x0 rcx=0x0 rdx=0x0 fl=Z m32=0x19d0519a"),
            c("p16:amd", "66 f7 eb", "imul ebx", "rax=0x3b4d849d rbx=0x1b6f20cc rcx=0x0 rdx=0x91dea25 fl=OSC", "rax=0x16c4d1c rbx=0x1b6f20cc rcx=0x0 rdx=0x65aeb32 fl=OSC"),
            c("p16:amd", "66 f7 eb", "imul ebx", "rax=0x0 rbx=0x80000000 rcx=0x0 rdx=0xffffffff fl=ZAP", "rax=0x0 rbx=0x80000000 rcx=0x0 rdx=0x0 fl=ZAP"),
            c("p16:amd", "66 f7 2f", "imul DWORD PTR [bx]", "rax=0xffff rbx=@ rcx=0x0 rdx=0x1 fl=OZC m32=0x1", "rax=0xffff rcx=0x0 rdx=0x0 fl=Z m32=0x1"),
            c("l64:amd", "f7 eb", "imul ebx", "rax=0xa9cd1d18a9af3d85 rbx=0xd4289e012dd31f50 rcx=0x0 rdx=0x8000 fl=OSA", "rax=0x54d55490 rbx=0xd4289e012dd31f50 rcx=0x0 rdx=0xf08c9eb1 fl=OSAC"),
            c("l64:amd", "f7 eb", "imul ebx", "rax=0xffffffffffffffff rbx=0x8b9f6a40bdf1cca9 rcx=0x0 rdx=0x1 fl=Z", "rax=0x420e3357 rbx=0x8b9f6a40bdf1cca9 rcx=0x0 rdx=0x0 fl=Z"),
            c("l64:amd", "f7 2b", "imul DWORD PTR [rbx]", "rax=0xffffffffffffffff rbx=@ rcx=0x0 rdx=0x1 fl=OZC m32=0x7fffffff", "rax=0x80000001 rcx=0x0 rdx=0xffffffff fl=Z m32=0x7fffffff"),
            c("l64:amd", "48 f7 eb", "imul rbx", "rax=0x8b85be221d432825 rbx=0x690b8cc1b9e2c3c5 rcx=0x0 rdx=0xbb725f1a72cdfe2e fl=ZP", "rax=0x6f2f29bbd9ec1379 rbx=0x690b8cc1b9e2c3c5 rcx=0x0 rdx=0xd03499b028b34678 fl=OZPC"),
            c("l64:amd", "48 f7 eb", "imul rbx", "rax=0x8000 rbx=0x48ad48e13bcc7d3a rcx=0x0 rdx=0xa3ac9cca1f55f09d fl=OZC", "rax=0xa4709de63e9d0000 rbx=0x48ad48e13bcc7d3a rcx=0x0 rdx=0x2456 fl=OZC"),
            c("l64:amd", "48 f7 2b", "imul QWORD PTR [rbx]", "rax=0x80000000 rbx=@ rcx=0x0 rdx=0x1 fl=OPC m64=0x8000000000000000", "rax=0x0 rcx=0x0 rdx=0xffffffffc0000000 fl=OPC m64=0x8000000000000000"),
            c("p32:amd", "f6 ef", "imul bh", "rax=0x1234 rbx=0x300 rcx=0x0 rdx=0x0 fl=-", "rax=0x9c rbx=0x300 rcx=0x0 rdx=0x0 fl=OC"),
            c("r16:amd", "f6 f3", "div bl", "rax=0x0 rbx=0x3ff6056c rcx=0x0 rdx=0xb49c32b fl=OAPC", "rax=0x0 rbx=0x3ff6056c rcx=0x0 rdx=0xb49c32b fl=OAC"),
            c("r16:amd", "f6 f3", "div bl", "rax=0xd95e428e rbx=0xbae01f72 rcx=0x0 rdx=0xffff fl=SP", "rax=0xd95e3495 rbx=0xbae01f72 rcx=0x0 rdx=0xffff fl=A"),
            c("r16:amd", "f6 37", "div BYTE PTR [bx]", "rax=0x7fffffff rbx=@ rcx=0x0 rdx=0x1 fl=ZC m8=0x80", "#DE"),
            c("p32:amd", "f6 f3", "div bl", "rax=0xa59fd12f rbx=0x2e404609 rcx=0x0 rdx=0x9836e66a fl=SAPC", "#DE"),
            c("p32:amd", "f6 f3", "div bl", "rax=0xff rbx=0x3 rcx=0x0 rdx=0x1 fl=OSA", "rax=0x55 rbx=0x3 rcx=0x0 rdx=0x1 fl=OA"),
            c("p32:amd", "f6 33", "div BYTE PTR [ebx]", "rax=0x5d8f3e2f rbx=@ rcx=0x0 rdx=0x1 fl=OSZAP m8=0x7f", "rax=0x5d8f2c7d rcx=0x0 rdx=0x1 fl=OA m8=0x7f"),
            c("l64:amd", "f6 f3", "div bl", "rax=0x47a0e739d45a9d51 rbx=0x9c42dd441888b674 rcx=0x0 rdx=0xe7078273f087e1b3 fl=SAP", "#DE"),
            c("l64:amd", "f6 f3", "div bl", "rax=0xffffffffffffffff rbx=0x8000 rcx=0x0 rdx=0x8000 fl=OSZA", "#DE"),
            c("l64:amd", "f6 33", "div BYTE PTR [rbx]", "rax=0x80000000 rbx=@ rcx=0x0 rdx=0x1 fl=OSZP m8=0xff", "rax=0x80000000 rcx=0x0 rdx=0x1 fl=OA m8=0xff"),
            c("r16:amd", "f7 f3", "div bx", "rax=0xf662a1f5 rbx=0x4a4084f3 rcx=0x0 rdx=0x0 fl=SA", "rax=0xf6620001 rbx=0x4a4084f3 rcx=0x0 rdx=0x1d02 fl=A"),
            c("r16:amd", "f7 f3", "div bx", "rax=0x0 rbx=0x8e40850b rcx=0x0 rdx=0x0 fl=SZAC", "rax=0x0 rbx=0x8e40850b rcx=0x0 rdx=0x0 fl=AC"),
            c("r16:amd", "f7 37", "div WORD PTR [bx]", "rax=0x1 rbx=@ rcx=0x0 rdx=0x0 fl=OS m16=0x3ed1", "rax=0x0 rcx=0x0 rdx=0x1 fl=OA m16=0x3ed1"),
            c("p32:amd", "66 f7 f3", "div bx", "rax=0xffff rbx=0xffffffff rcx=0x0 rdx=0x0 fl=OZA", "rax=0x1 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=OA"),
            c("p32:amd", "66 f7 f3", "div bx", "rax=0xffffffff rbx=0x7fffffff rcx=0x0 rdx=0x8 fl=ZA", "rax=0xffff0009 rbx=0x7fffffff rcx=0x0 rdx=0x8 fl=A"),
            c("p32:amd", "66 f7 33", "div WORD PTR [ebx]", "rax=0x80 rbx=@ rcx=0x0 rdx=0x0 fl=OSP m16=0x80", "rax=0x1 rcx=0x0 rdx=0x0 fl=OA m16=0x80"),
            c("l64:amd", "66 f7 f3", "div bx", "rax=0x0 rbx=0x80000000 rcx=0x0 rdx=0x8 fl=A", "#DE"),
            c("l64:amd", "66 f7 f3", "div bx", "rax=0xae93f4273d74b609 rbx=0x8000000000000000 rcx=0x0 rdx=0x6 fl=OSAPC", "#DE"),
            c("l64:amd", "66 f7 33", "div WORD PTR [rbx]", "rax=0x39dddc9085a0eb70 rbx=@ rcx=0x0 rdx=0x1 fl=APC m16=0x7", "rax=0x39dddc9085a04634 rcx=0x0 rdx=0x4 fl=AC m16=0x7"),
            c("p32:amd", "f7 f3", "div ebx", "rax=0x1 rbx=0x80 rcx=0x0 rdx=0x0 fl=OSZC", "rax=0x0 rbx=0x80 rcx=0x0 rdx=0x1 fl=OAC"),
            c("p32:amd", "f7 f3", "div ebx", "rax=0x2749b6fb rbx=0x9ab08a4a rcx=0x0 rdx=0xf fl=OZ", "rax=0x19 rbx=0x9ab08a4a rcx=0x0 rdx=0xc0c35c1 fl=OA"),
            c("p32:amd", "f7 33", "div DWORD PTR [ebx]", "rax=0xff rbx=@ rcx=0x0 rdx=0x0 fl=OZPC m32=0xff", "rax=0x1 rcx=0x0 rdx=0x0 fl=OAC m32=0xff"),
            c("p16:amd", "66 f7 f3", "div ebx", "rax=0xe5ee7ed7 rbx=0x80000000 rcx=0x0 rdx=0x1 fl=SA", "rax=0x3 rbx=0x80000000 rcx=0x0 rdx=0x65ee7ed7 fl=A"),
            c("p16:amd", "66 f7 f3", "div ebx", "rax=0x254ca62c rbx=0xd2d3656c rcx=0x0 rdx=0x1 fl=S", "rax=0x1 rbx=0xd2d3656c rcx=0x0 rdx=0x527940c0 fl=A"),
            c("p16:amd", "66 f7 37", "div DWORD PTR [bx]", "rax=0xffffffff rbx=@ rcx=0x0 rdx=0x0 fl=OSZPC m32=0x7fffffff", "rax=0x2 rcx=0x0 rdx=0x1 fl=OAC m32=0x7fffffff"),
            c("l64:amd", "f7 f3", "div ebx", "rax=0xe9e6ec54f1043e9 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=-", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x4f1043e9 fl=A"),
            c("l64:amd", "f7 f3", "div ebx", "rax=0xffff rbx=0x3 rcx=0x0 rdx=0x1 fl=SZAPC", "rax=0x5555aaaa rbx=0x3 rcx=0x0 rdx=0x1 fl=AC"),
            c("l64:amd", "f7 33", "div DWORD PTR [rbx]", "rax=0xffffffff rbx=@ rcx=0x0 rdx=0x1 fl=ZAPC m32=0x80000000", "rax=0x3 rcx=0x0 rdx=0x7fffffff fl=AC m32=0x80000000"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0xffff rbx=0x806184147f5b09d5 rcx=0x0 rdx=0x0 fl=OPC", "rax=0x0 rbx=0x806184147f5b09d5 rcx=0x0 rdx=0xffff fl=OAC"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x57d7fac4d9f74dcb rbx=0xbe0a38b2e34359a1 rcx=0x0 rdx=0x1 fl=OZAP", "rax=0x1 rbx=0xbe0a38b2e34359a1 rcx=0x0 rdx=0x99cdc211f6b3f42a fl=OA"),
            c("l64:amd", "48 f7 33", "div QWORD PTR [rbx]", "rax=0x3cabf8a44f600bc4 rbx=@ rcx=0x0 rdx=0x0 fl=OZ m64=0x35a9ec338429f25", "rax=0x12 rcx=0x0 rdx=0x4cceea5ab0db2a fl=OA m64=0x35a9ec338429f25"),
            c("p32:amd", "f6 f7", "div bh", "rax=0x1234 rbx=0x300 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("r16:amd", "f6 fb", "idiv bl", "rax=0xe07b85f8 rbx=0xffffffff rcx=0x0 rdx=0x8b293a4 fl=ZAC", "#DE"),
            c("r16:amd", "f6 fb", "idiv bl", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x7fffffff fl=OS", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x7fffffff fl=OA"),
            c("r16:amd", "f6 3f", "idiv BYTE PTR [bx]", "rax=0x27d3fdd rbx=@ rcx=0x0 rdx=0x1 fl=ZAPC m8=0x8c", "#DE"),
            c("p32:amd", "f6 fb", "idiv bl", "rax=0x579d117b rbx=0x9694e485 rcx=0x0 rdx=0xc27a8593 fl=OSAC", "rax=0x579d2fdc rbx=0x9694e485 rcx=0x0 rdx=0xc27a8593 fl=OAC"),
            c("p32:amd", "f6 fb", "idiv bl", "rax=0xaf4d0760 rbx=0x1 rcx=0x0 rdx=0xffff fl=OAP", "#DE"),
            c("p32:amd", "f6 3b", "idiv BYTE PTR [ebx]", "rax=0x1b9207e6 rbx=@ rcx=0x0 rdx=0x1 fl=AP m8=0x0", "#DE"),
            c("l64:amd", "f6 fb", "idiv bl", "rax=0x778a43993827f004 rbx=0x216c98f0f8ad6042 rcx=0x0 rdx=0x8000000000000000 fl=SZC", "rax=0x778a4399382700c2 rbx=0x216c98f0f8ad6042 rcx=0x0 rdx=0x8000000000000000 fl=AC"),
            c("l64:amd", "f6 fb", "idiv bl", "rax=0x1 rbx=0x61567e636c4ea68f rcx=0x0 rdx=0xff fl=SZAPC", "rax=0x100 rbx=0x61567e636c4ea68f rcx=0x0 rdx=0xff fl=AC"),
            c("l64:amd", "f6 3b", "idiv BYTE PTR [rbx]", "rax=0xca5e9ef80a5143b6 rbx=@ rcx=0x0 rdx=0x0 fl=OZP m8=0x8b", "#DE"),
            c("r16:amd", "f7 fb", "idiv bx", "rax=0x97ba9558 rbx=0x8000 rcx=0x0 rdx=0x0 fl=OC", "rax=0x97baffff rbx=0x8000 rcx=0x0 rdx=0x1558 fl=OAC"),
            c("r16:amd", "f7 fb", "idiv bx", "rax=0x80 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=OAP", "rax=0xff80 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=OA"),
            c("r16:amd", "f7 3f", "idiv WORD PTR [bx]", "rax=0xc5e3d6b7 rbx=@ rcx=0x0 rdx=0x0 fl=OZPC m16=0x1f7a", "rax=0xc5e30006 rcx=0x0 rdx=0x19db fl=OAC m16=0x1f7a"),
            c("p32:amd", "66 f7 fb", "idiv bx", "rax=0xc1646a6d rbx=0xe9b79620 rcx=0x0 rdx=0x0 fl=SAPC", "rax=0xc164ffff rbx=0xe9b79620 rcx=0x0 rdx=0x8d fl=AC"),
            c("p32:amd", "66 f7 fb", "idiv bx", "rax=0x8000 rbx=0xf0d6496 rcx=0x0 rdx=0x0 fl=S", "rax=0x1 rbx=0xf0d6496 rcx=0x0 rdx=0x1b6a fl=A"),
            c("p32:amd", "66 f7 3b", "idiv WORD PTR [ebx]", "rax=0x80 rbx=@ rcx=0x0 rdx=0x1 fl=SZPC m16=0x6a3e", "rax=0x2 rcx=0x0 rdx=0x2c04 fl=AC m16=0x6a3e"),
            c("l64:amd", "66 f7 fb", "idiv bx", "rax=0x26aaed0ebe14a00 rbx=0x1c51569611cc2ce2 rcx=0x0 rdx=0x1 fl=OZAC", "rax=0x26aaed0ebe10007 rbx=0x1c51569611cc2ce2 rcx=0x0 rdx=0xfd2 fl=OAC"),
            c("l64:amd", "66 f7 fb", "idiv bx", "rax=0x80000000 rbx=0x80 rcx=0x0 rdx=0x3 fl=OSZP", "rax=0x80000600 rbx=0x80 rcx=0x0 rdx=0x0 fl=OA"),
            c("l64:amd", "66 f7 3b", "idiv WORD PTR [rbx]", "rax=0xdf9c4eb2ac4be815 rbx=@ rcx=0x0 rdx=0x1 fl=OZAPC m16=0xff", "rax=0xdf9c4eb2ac4b01e9 rcx=0x0 rdx=0xfe fl=OAC m16=0xff"),
            c("p32:amd", "f7 fb", "idiv ebx", "rax=0xffffffff rbx=0x51b90d04 rcx=0x0 rdx=0x0 fl=OSAC", "rax=0x3 rbx=0x51b90d04 rcx=0x0 rdx=0xad4d8f3 fl=OAC"),
            c("p32:amd", "f7 fb", "idiv ebx", "rax=0x739f52a0 rbx=0xacd17c0e rcx=0x0 rdx=0x1 fl=A", "rax=0xfffffffc rbx=0xacd17c0e rcx=0x0 rdx=0x26e542d8 fl=A"),
            c("p32:amd", "f7 3b", "idiv DWORD PTR [ebx]", "rax=0x1 rbx=@ rcx=0x0 rdx=0x0 fl=SAP m32=0xff", "rax=0x0 rcx=0x0 rdx=0x1 fl=A m32=0xff"),
            c("p16:amd", "66 f7 fb", "idiv ebx", "rax=0x8de4faa7 rbx=0x8000 rcx=0x0 rdx=0x1 fl=PC", "rax=0x31bc9 rbx=0x8000 rcx=0x0 rdx=0x7aa7 fl=AC"),
            c("p16:amd", "66 f7 fb", "idiv ebx", "rax=0x2cc4fdf8 rbx=0xffffffff rcx=0x0 rdx=0x1 fl=OZAPC", "#DE"),
            c("p16:amd", "66 f7 3f", "idiv DWORD PTR [bx]", "rax=0x2db1496e rbx=@ rcx=0x0 rdx=0x0 fl=OZA m32=0x1", "rax=0x2db1496e rcx=0x0 rdx=0x0 fl=OA m32=0x1"),
            c("l64:amd", "f7 fb", "idiv ebx", "rax=0xffffffffffffffff rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=SZA", "#DE"),
            c("l64:amd", "f7 fb", "idiv ebx", "rax=0x1 rbx=0x2d23dc550bbd0d83 rcx=0x0 rdx=0x1 fl=SP", "rax=0x15 rbx=0x2d23dc550bbd0d83 rcx=0x0 rdx=0x97de442 fl=A"),
            c("l64:amd", "f7 3b", "idiv DWORD PTR [rbx]", "rax=0xde7871f80df408a2 rbx=@ rcx=0x0 rdx=0x0 fl=OS m32=0xffffffff", "rax=0xf20bf75e rcx=0x0 rdx=0x0 fl=OA m32=0xffffffff"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x8000 rbx=0x80000000 rcx=0x0 rdx=0x1 fl=OSZA", "rax=0x200000000 rbx=0x80000000 rcx=0x0 rdx=0x8000 fl=OA"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0xff rbx=0x80 rcx=0x0 rdx=0x0 fl=SAC", "rax=0x1 rbx=0x80 rcx=0x0 rdx=0x7f fl=AC"),
            c("l64:amd", "48 f7 3b", "idiv QWORD PTR [rbx]", "rax=0xe8e5a554100d36bf rbx=@ rcx=0x0 rdx=0x0 fl=O m64=0x8000000000000000", "rax=0xffffffffffffffff rcx=0x0 rdx=0x68e5a554100d36bf fl=OA m64=0x8000000000000000"),
            c("p32:amd", "f6 ff", "idiv bh", "rax=0x1234 rbx=0x300 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "f6 f3", "div bl", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "f6 f3", "div bl", "rax=0xff00 rbx=0x1 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "66 f7 f3", "div bx", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "66 f7 f3", "div bx", "rax=0x0 rbx=0x1 rcx=0x0 rdx=0xffff fl=-", "#DE"),
            c("p32:amd", "f7 f3", "div ebx", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "f7 f3", "div ebx", "rax=0x0 rbx=0x1 rcx=0x0 rdx=0xffffffff fl=-", "#DE"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x0 rbx=0x1 rcx=0x0 rdx=0xffffffffffffffff fl=-", "#DE"),
            c("p32:amd", "f6 fb", "idiv bl", "rax=0x8000 rbx=0xff rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "66 f7 fb", "idiv bx", "rax=0x0 rbx=0xffff rcx=0x0 rdx=0x8000 fl=-", "#DE"),
            c("p32:amd", "f7 fb", "idiv ebx", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x80000000 fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x0 rbx=0xffffffffffffffff rcx=0x0 rdx=0x8000000000000000 fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x8000000000000000 rbx=0xffffffffffffffff rcx=0x0 rdx=0xffffffffffffffff fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x8000000000000000 rbx=0x1 rcx=0x0 rdx=0xffffffffffffffff fl=-", "rax=0x8000000000000000 rbx=0x1 rcx=0x0 rdx=0x0 fl=A"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x0 rbx=0x2 rcx=0x0 rdx=0xffffffffffffffff fl=-", "rax=0x8000000000000000 rbx=0x2 rcx=0x0 rdx=0x0 fl=A"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x2 rbx=0xffffffffffffffff rcx=0x0 rdx=0x0 fl=-", "rax=0xfffffffffffffffe rbx=0xffffffffffffffff rcx=0x0 rdx=0x0 fl=A"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x123456789abcdef0 rbx=0xfedcba9876543210 rcx=0x0 rdx=0xfedcba9876543200 fl=-", "rax=0xffffffffffffffef rbx=0xfedcba9876543210 rcx=0x0 rdx=0xfedcba9876543200 fl=A"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x5 rbx=0x8000000000000001 rcx=0x0 rdx=0x8000000000000000 fl=-", "rax=0xfffffffffffffffe rbx=0x8000000000000001 rcx=0x0 rdx=0x7 fl=A"),
            c("p32:amd", "f6 fb", "idiv bl", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "f6 fb", "idiv bl", "rax=0xff00 rbx=0x1 rcx=0x0 rdx=0x1 fl=-", "#DE"),
            c("p32:amd", "66 f7 fb", "idiv bx", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "66 f7 fb", "idiv bx", "rax=0x0 rbx=0x1 rcx=0x0 rdx=0x1 fl=-", "#DE"),
            c("p32:amd", "f7 fb", "idiv ebx", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "f7 fb", "idiv ebx", "rax=0x0 rbx=0x1 rcx=0x0 rdx=0x1 fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x5 rbx=0x0 rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x0 rbx=0x1 rcx=0x0 rdx=0x1 fl=-", "#DE"),
            c("p32:amd", "f6 fb", "idiv bl", "rax=0x8000 rbx=0xff rcx=0x0 rdx=0x0 fl=-", "#DE"),
            c("p32:amd", "66 f7 fb", "idiv bx", "rax=0x0 rbx=0xffff rcx=0x0 rdx=0x8000 fl=-", "#DE"),
            c("p32:amd", "f7 fb", "idiv ebx", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x80000000 fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x0 rbx=0xffffffffffffffff rcx=0x0 rdx=0x8000000000000000 fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x8000000000000000 rbx=0xffffffffffffffff rcx=0x0 rdx=0xffffffffffffffff fl=-", "#DE"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x8000000000000000 rbx=0x1 rcx=0x0 rdx=0xffffffffffffffff fl=-", "rax=0x8000000000000000 rbx=0x1 rcx=0x0 rdx=0x0 fl=A"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x0 rbx=0x2 rcx=0x0 rdx=0xffffffffffffffff fl=-", "rax=0x8000000000000000 rbx=0x2 rcx=0x0 rdx=0x0 fl=A"),
            c("l64:amd", "48 f7 fb", "idiv rbx", "rax=0x2 rbx=0xffffffffffffffff rcx=0x0 rdx=0x0 fl=-", "rax=0xfffffffffffffffe rbx=0xffffffffffffffff rcx=0x0 rdx=0x0 fl=A"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x123456789abcdef0 rbx=0xfedcba9876543210 rcx=0x0 rdx=0xfedcba9876543200 fl=-", "rax=0xffffffffffffffef rbx=0xfedcba9876543210 rcx=0x0 rdx=0xfedcba9876543200 fl=A"),
            c("l64:amd", "48 f7 f3", "div rbx", "rax=0x5 rbx=0x8000000000000001 rcx=0x0 rdx=0x8000000000000000 fl=-", "rax=0xfffffffffffffffe rbx=0x8000000000000001 rcx=0x0 rdx=0x7 fl=A"),
            c("r16:amd", "0f af c3", "imul ax,bx", "rax=0xffffffff rbx=0x22016ab1 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xffff954f rbx=0x22016ab1 rcx=0x0 rdx=0x0 fl=SZAP"),
            c("r16:amd", "0f af 07", "imul ax,WORD PTR [bx]", "rax=0x66279d53 rbx=@ rcx=0x0 rdx=0x0 fl=- m16=0x1e41", "rax=0x6627ac13 rcx=0x0 rdx=0x0 fl=OC m16=0x1e41"),
            c("r16:amd", "6b c3 7f", "imul ax,bx,0x7f", "rax=0x0 rbx=0x8000 rcx=0x0 rdx=0x0 fl=-", "rax=0x8000 rbx=0x8000 rcx=0x0 rdx=0x0 fl=OC"),
            c("r16:amd", "69 c3 18 fc", "imul ax,bx,0xfc18", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x3e8 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=SZAP"),
            c("r16:amd", "6b 07 fe", "imul ax,WORD PTR [bx],0xfffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m16=0xff", "rax=0xfe02 rcx=0x0 rdx=0x0 fl=- m16=0xff"),
            c("p32:amd", "66 0f af c3", "imul ax,bx", "rax=0x0 rbx=0x3b28ff06 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x0 rbx=0x3b28ff06 rcx=0x0 rdx=0x0 fl=SZAP"),
            c("p32:amd", "66 0f af 03", "imul ax,WORD PTR [ebx]", "rax=0x2cb3dde9 rbx=@ rcx=0x0 rdx=0x0 fl=- m16=0x5efd", "rax=0x2cb3dd45 rcx=0x0 rdx=0x0 fl=OC m16=0x5efd"),
            c("p32:amd", "66 6b c3 7f", "imul ax,bx,0x7f", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=-", "rax=0xff81 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=-"),
            c("p32:amd", "66 69 c3 ff 7f", "imul ax,bx,0x7fff", "rax=0x0 rbx=0x6580ae61 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xd19f rbx=0x6580ae61 rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("p32:amd", "66 6b 03 fe", "imul ax,WORD PTR [ebx],0xfffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m16=0x8f02", "rax=0xe1fc rcx=0x0 rdx=0x0 fl=OC m16=0x8f02"),
            c("l64:amd", "66 0f af c3", "imul ax,bx", "rax=0xa2cdabb4901d5720 rbx=0x166ed2e79e36195f rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xa2cdabb4901d74e0 rbx=0x166ed2e79e36195f rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("l64:amd", "66 0f af 03", "imul ax,WORD PTR [rbx]", "rax=0x8000 rbx=@ rcx=0x0 rdx=0x0 fl=- m16=0xff", "rax=0x8000 rcx=0x0 rdx=0x0 fl=OC m16=0xff"),
            c("l64:amd", "66 6b c3 fd", "imul ax,bx,0xfffd", "rax=0x0 rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=-", "rax=0x0 rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=-"),
            c("l64:amd", "66 69 c3 34 12", "imul ax,bx,0x1234", "rax=0x0 rbx=0xdb94ea35c4e5c355 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xa744 rbx=0xdb94ea35c4e5c355 rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("l64:amd", "66 6b 03 fe", "imul ax,WORD PTR [rbx],0xfffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m16=0x9fb", "rax=0xec0a rcx=0x0 rdx=0x0 fl=- m16=0x9fb"),
            c("p32:amd", "0f af c3", "imul eax,ebx", "rax=0x8000 rbx=0x9ea94bb5 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xa5da8000 rbx=0x9ea94bb5 rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("p32:amd", "0f af 03", "imul eax,DWORD PTR [ebx]", "rax=0xcb29750e rbx=@ rcx=0x0 rdx=0x0 fl=- m32=0xa413b76d", "rax=0xcb5dd8f6 rcx=0x0 rdx=0x0 fl=OC m32=0xa413b76d"),
            c("p32:amd", "6b c3 fd", "imul eax,ebx,0xfffffffd", "rax=0x0 rbx=0xa6232baf rcx=0x0 rdx=0x0 fl=-", "rax=0xd967cf3 rbx=0xa6232baf rcx=0x0 rdx=0x0 fl=OC"),
            c("p32:amd", "69 c3 18 fc ff ff", "imul eax,ebx,0xfffffc18", "rax=0x0 rbx=0x3643c74 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xc073dae0 rbx=0x3643c74 rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("p32:amd", "6b 03 fe", "imul eax,DWORD PTR [ebx],0xfffffffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m32=0xffffffff", "rax=0x2 rcx=0x0 rdx=0x0 fl=- m32=0xffffffff"),
            c("p16:amd", "66 0f af c3", "imul eax,ebx", "rax=0xc53aee31 rbx=0x5bded97a rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0xeb7b0c5a rbx=0x5bded97a rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("p16:amd", "66 0f af 07", "imul eax,DWORD PTR [bx]", "rax=0x7f rbx=@ rcx=0x0 rdx=0x0 fl=- m32=0xe317d21", "rax=0xa8d135f rcx=0x0 rdx=0x0 fl=OC m32=0xe317d21"),
            c("p16:amd", "66 6b c3 fd", "imul eax,ebx,0xfffffffd", "rax=0x0 rbx=0xb0bf4475 rcx=0x0 rdx=0x0 fl=-", "rax=0xedc232a1 rbx=0xb0bf4475 rcx=0x0 rdx=0x0 fl=OC"),
            c("p16:amd", "66 69 c3 18 fc ff ff", "imul eax,ebx,0xfffffc18", "rax=0x0 rbx=0x7fffffff rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x3e8 rbx=0x7fffffff rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("p16:amd", "66 6b 07 fe", "imul eax,DWORD PTR [bx],0xfffffffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m32=0x80000000", "rax=0x0 rcx=0x0 rdx=0x0 fl=OC m32=0x80000000"),
            c("l64:amd", "0f af c3", "imul eax,ebx", "rax=0x7f rbx=0x7f rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x3f01 rbx=0x7f rcx=0x0 rdx=0x0 fl=SZAP"),
            c("l64:amd", "0f af 03", "imul eax,DWORD PTR [rbx]", "rax=0x8000 rbx=@ rcx=0x0 rdx=0x0 fl=- m32=0x80000000", "rax=0x0 rcx=0x0 rdx=0x0 fl=OC m32=0x80000000"),
            c("l64:amd", "6b c3 7f", "imul eax,ebx,0x7f", "rax=0x0 rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=-", "rax=0x0 rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=-"),
            c("l64:amd", "69 c3 18 fc ff ff", "imul eax,ebx,0xfffffc18", "rax=0x0 rbx=0xde32cbacd62948cd rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x6ebb9f38 rbx=0xde32cbacd62948cd rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("l64:amd", "6b 03 fe", "imul eax,DWORD PTR [rbx],0xfffffffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m32=0xff", "rax=0xfffffe02 rcx=0x0 rdx=0x0 fl=- m32=0xff"),
            c("l64:amd", "48 0f af c3", "imul rax,rbx", "rax=0x8000000000000000 rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x0 rbx=0x8000000000000000 rcx=0x0 rdx=0x0 fl=OSZAPC"),
            c("l64:amd", "48 0f af 03", "imul rax,QWORD PTR [rbx]", "rax=0x5e3a37de94dd4e8 rbx=@ rcx=0x0 rdx=0x0 fl=- m64=0xafc8865f979c0c34", "rax=0x1d1a29d9f2a1f20 rcx=0x0 rdx=0x0 fl=OC m64=0xafc8865f979c0c34"),
            c("l64:amd", "48 6b c3 fd", "imul rax,rbx,0xfffffffffffffffd", "rax=0x0 rbx=0xe3dd7f8f43782b2a rcx=0x0 rdx=0x0 fl=-", "rax=0x5467815235977e82 rbx=0xe3dd7f8f43782b2a rcx=0x0 rdx=0x0 fl=-"),
            c("l64:amd", "48 69 c3 34 12 00 00", "imul rax,rbx,0x1234", "rax=0x0 rbx=0xffffffff rcx=0x0 rdx=0x0 fl=OSZAPC", "rax=0x1233ffffedcc rbx=0xffffffff rcx=0x0 rdx=0x0 fl=SZAP"),
            c("l64:amd", "48 6b 03 fe", "imul rax,QWORD PTR [rbx],0xfffffffffffffffe", "rax=0x0 rbx=@ rcx=0x0 rdx=0x0 fl=- m64=0xffffffff", "rax=0xfffffffe00000002 rcx=0x0 rdx=0x0 fl=- m64=0xffffffff"),
            c("p32:amd", "c4 e2 63 f6 c1", "mulx eax,ebx,ecx", "rax=0x0 rbx=0x0 rcx=0x0 rdx=0x80 fl=OSZAPC", "rax=0x0 rbx=0x0 rcx=0x0 rdx=0x80 fl=OSZAPC"),
            c("p32:amd", "c4 e2 7b f6 c1", "mulx eax,eax,ecx", "rax=0x0 rbx=0x0 rcx=0x80 rdx=0x7fffffff fl=-", "rax=0x3f rbx=0x0 rcx=0x80 rdx=0x7fffffff fl=-"),
            c("p32:amd", "c4 e2 73 f6 03", "mulx eax,ecx,DWORD PTR [ebx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x1 fl=- m32=0xeea2f5fc", "rax=0x0 rcx=0xeea2f5fc rdx=0x1 fl=- m32=0xeea2f5fc"),
            c("p16:amd", "c4 e2 63 f6 c1", "mulx eax,ebx,ecx", "rax=0x0 rbx=0x0 rcx=0xe7e04c63 rdx=0x6cece6e2 fl=OSZAPC", "rax=0x62a93420 rbx=0x67e86166 rcx=0xe7e04c63 rdx=0x6cece6e2 fl=OSZAPC"),
            c("p16:amd", "c4 e2 7b f6 c1", "mulx eax,eax,ecx", "rax=0x0 rbx=0x0 rcx=0x48600d68 rdx=0x80 fl=-", "rax=0x24 rbx=0x0 rcx=0x48600d68 rdx=0x80 fl=-"),
            c("p16:amd", "c4 e2 73 f6 07", "mulx eax,ecx,DWORD PTR [bx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x7fffffff fl=- m32=0xffffffff", "rax=0x7ffffffe rcx=0x80000001 rdx=0x7fffffff fl=- m32=0xffffffff"),
            c("l64:amd", "c4 e2 63 f6 c1", "mulx eax,ebx,ecx", "rax=0x0 rbx=0x0 rcx=0x25d22be1226d9bf4 rdx=0x80 fl=OSZAPC", "rax=0x11 rbx=0x36cdfa00 rcx=0x25d22be1226d9bf4 rdx=0x80 fl=OSZAPC"),
            c("l64:amd", "c4 e2 7b f6 c1", "mulx eax,eax,ecx", "rax=0x0 rbx=0x0 rcx=0xfdcd4943654445e9 rdx=0xffffffffffffffff fl=-", "rax=0x654445e8 rbx=0x0 rcx=0xfdcd4943654445e9 rdx=0xffffffffffffffff fl=-"),
            c("l64:amd", "c4 e2 73 f6 03", "mulx eax,ecx,DWORD PTR [rbx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x8976ae5b3974752b fl=- m32=0xff", "rax=0x39 rcx=0x3b00b5d5 rdx=0x8976ae5b3974752b fl=- m32=0xff"),
            c("l64:amd", "c4 e2 e3 f6 c1", "mulx rax,rbx,rcx", "rax=0x0 rbx=0x0 rcx=0x7f rdx=0xffffffff fl=OSZAPC", "rax=0x0 rbx=0x7effffff81 rcx=0x7f rdx=0xffffffff fl=OSZAPC"),
            c("l64:amd", "c4 e2 fb f6 c1", "mulx rax,rax,rcx", "rax=0x0 rbx=0x0 rcx=0xffffffff rdx=0x551d9a299efa7266 fl=-", "rax=0x551d9a29 rbx=0x0 rcx=0xffffffff rdx=0x551d9a299efa7266 fl=-"),
            c("l64:amd", "c4 e2 f3 f6 03", "mulx rax,rcx,QWORD PTR [rbx]", "rax=0x0 rbx=@ rcx=0x0 rdx=0x1 fl=- m64=0x9172e5362f461269", "rax=0x0 rcx=0x9172e5362f461269 rdx=0x1 fl=- m64=0x9172e5362f461269")
);

    static final List<Case> FAULTS = List.of(
            c("p32", "f0 f7 e3", "lock mul ebx", "", "#UD"),
            c("p32", "f0 f7 23", "lock mul dword [ebx] (not lockable)", "rbx=@", "#UD"),
            c("l64", "f0 48 f7 3b", "lock idiv qword [rbx]", "rbx=@", "#UD"),
            c("r16", "f6 f3", "div bl, divisor 0", "rax=0x64 rbx=0", "#DE"),
            c("r16", "f7 f3", "div bx, quotient 0x10000", "rax=0 rdx=1 rbx=1", "#DE"),
            c("p16", "66 f7 3f", "idiv dword [bx], divisor 0", "rbx=@ rax=1 m32=0", "#DE"),
            c("r16", "c4 e2 63 f6 c1", "mulx eax,ebx,ecx (VEX in real mode)", "", "#UD"),
            c("l64:legacy", "c4 e2 e3 f6 c1", "mulx rax,rbx,rcx without BMI2", "", "#UD"),
            c("l64", "c4 e2 e7 f6 c1", "mulx rax,rbx,rcx with VEX.L = 1", "", "#UD"));

    /** The Intel profile's choices where the manuals leave flags undefined (DEVIATIONS.md "ALU families"). */
    static final List<Case> INTEL_POLICY = List.of(
            c("p32", "f7 e3", "mul ebx: SF/ZF/PF from the low half, AF clear (Intel)", "rax=0x10 rbx=0x10 rdx=5 fl=SZAC",
                    "rax=0x100 rdx=0 fl=P"),
            c("p32:amd", "f7 e3", "mul ebx: SF/ZF/AF/PF kept (AMD)", "rax=0x10 rbx=0x10 rdx=5 fl=SZAC", "rax=0x100 rdx=0 fl=SZA"),
            c("p32", "6b c3 03", "imul eax,ebx,3 overflowing (Intel)", "rbx=0x40000000 fl=-", "rax=0xc0000000 fl=OSPC"),
            c("p32:amd", "6b c3 03", "imul eax,ebx,3 overflowing (AMD)", "rbx=0x40000000 fl=-", "rax=0xc0000000 fl=OC"),
            c("r16", "f6 f3", "div bl: flags unchanged (Intel)", "rax=100 rbx=7 fl=OSZAPC", "rax=0x20e fl=OSZAPC"),
            c("r16:amd", "f6 f3", "div bl: SF=ZF=PF=0, AF=1, CF/OF kept (AMD)", "rax=100 rbx=7 fl=OSZAPC", "rax=0x20e fl=OAC"),
            c("l64", "48 f7 fb", "idiv rbx: -7 / 2 truncates toward zero", "rax=-7 rdx=-1 rbx=2 fl=-", "rax=-3 rdx=-1 fl=-"));

    /** Flags where the Intel profile's documented policy differs from AMD's for this case. */
    static long vendorFlagsOf(Case c) {
        String m = c.asm();
        return m.startsWith("mulx") ? 0 : Flags.SF | Flags.ZF | Flags.AF | Flags.PF;
    }

    @Override
    List<Case> siliconCases() {
        return SILICON;
    }

    @Override
    List<Case> faultCases() {
        return FAULTS;
    }

    @Override
    List<Case> intelPolicyCases() {
        return INTEL_POLICY;
    }

    @Override
    long vendorFlags(Case c) {
        return vendorFlagsOf(c);
    }
}
