exec(open("mkjava.py").read())
rows = open("muldiv_rows.txt").read()
body = '''    static final List<Case> FAULTS = List.of(
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
    static long vendorFlags(Case c) {
        String m = c.asm();
        return m.startsWith("mulx") ? 0 : Flags.SF | Flags.ZF | Flags.AF | Flags.PF;
    }

'''
doc = ''' * Per-form tests of MUL/IMUL/DIV/IDIV (F6/F7 /4-/7, every size), IMUL Gv,Ev / Gv,Ev,Iz / Gv,Ev,Ibs and
 * MULX (SDM Vol. 2A/2B), as raw bytes plus the disassembly, including #DE for zero divisors and
 * quotient overflow at every size (Long.MIN_VALUE / -1 and 128-by-64 cases).'''
write("../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/MulDivTest.java", "MulDivTest", doc, rows, "", body)
