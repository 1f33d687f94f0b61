exec(open("mkjava.py").read())
rows = open("shift_rows.txt").read()
body = '''    static final List<Case> FAULTS = List.of(
            c("r16", "c4 e2 72 f7 c3", "sarx eax,ebx,ecx (VEX in real mode)", "", "#UD"),
            c("l64:legacy", "c4 e2 f2 f7 c3", "sarx rax,rbx,rcx without BMI2", "", "#UD"),
            c("p32:legacy", "c4 e2 71 f7 c3", "shlx eax,ebx,ecx without BMI2", "", "#UD"),
            c("p32:legacy", "c4 e2 73 f7 c3", "shrx eax,ebx,ecx without BMI2", "", "#UD"),
            c("p32:legacy", "c4 e3 7b f0 c3 05", "rorx eax,ebx,5 without BMI2", "", "#UD"),
            c("l64", "c4 e3 73 f0 c3 05", "rorx eax,ebx,5 with VEX.vvvv != 1111b", "", "#UD"),
            c("l64", "c4 e2 76 f7 c3", "sarx eax,ebx,ecx with VEX.L = 1", "", "#UD"),
            c("l64", "f0 d3 e3", "lock shl ebx,cl", "", "#UD"),
            c("l64", "f0 d3 23", "lock shl dword [rbx],cl (shifts are not lockable)", "rbx=@", "#UD"),
            c("p32", "f0 0f a5 18", "lock shld dword [eax],ebx,cl", "rax=@", "#UD"),
            c("p16", "f0 c1 27 03", "lock shl word [bx],3", "rbx=@", "#UD"),
            // count 0 leaves memory and flags alone
            c("p32", "d3 23", "shl dword [ebx],cl", "rbx=@ rcx=0x20 fl=OSZAPC m32=0x12345678", "fl=OSZAPC m32=0x12345678"),
            c("l64", "48 d3 23", "shl qword [rbx],cl", "rbx=@ rcx=0x40 fl=- m64=0x1", "fl=- m64=0x1"));

    /** The Intel profile's choices where the manuals leave flags undefined (DEVIATIONS.md "ALU families"). */
    static final List<Case> INTEL_POLICY = List.of(
            c("p32", "d1 e3", "shl ebx,1 (AF clear on Intel)", "rbx=0x40000000 fl=A", "rbx=0x80000000 fl=OSP"),
            c("p32:amd", "d1 e3", "shl ebx,1 (AF set on AMD)", "rbx=0x40000000 fl=-", "rbx=0x80000000 fl=OSAP"),
            c("l64", "48 c1 eb 03", "shr rbx,3 (OF as for a 1-bit shift)", "rbx=0x8000000000000000 fl=A",
                    "rbx=0x1000000000000000 fl=P"),
            c("r16", "0f a5 d8", "shld ax,bx,cl, count 21 > 16: 48-bit dst:src:src on Intel",
                    "rax=0x1234 rbx=0xabcd rcx=21 fl=-", "rax=0x79b5 fl=OC"),
            c("r16:amd", "0f a5 d8", "shld ax,bx,cl, count 21 > 16: CF = OF = 0 on AMD",
                    "rax=0x1234 rbx=0xabcd rcx=21 fl=OC", "rax=0x79b5 fl=A"),
            c("r16", "0f a5 d8", "shld ax,bx,cl, count 20 > 16 on Intel", "rax=0x1234 rbx=0xabcd rcx=20 fl=-",
                    "rax=0xbcda fl=OS"));

    /** Flags where the Intel profile's documented policy differs from AMD's for this case. */
    static long vendorFlags(Case c) {
        String m = c.asm();
        if (m.startsWith("shld") || m.startsWith("shrd")) {
            return m.matches("sh.d\\\\s+(WORD PTR .*|[abcd]x,.*)")
                    ? Flags.AF | Flags.CF | Flags.OF : Flags.AF;
        }
        if (m.startsWith("shl") || m.startsWith("shr") || m.startsWith("sar") || m.startsWith("sal")) {
            return m.startsWith("shlx") || m.startsWith("shrx") || m.startsWith("sarx") ? 0 : Flags.AF;
        }
        return 0;
    }

'''
doc = ''' * Per-form tests of ROL/ROR/RCL/RCR/SHL/SHR/SAR and the /6 SAL alias, SHLD/SHRD, SARX/SHLX/SHRX and
 * RORX (SDM Vol. 2B), as raw bytes plus the disassembly, with the faults and feature gates.'''
write("../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/ShiftRotateTest.java", "ShiftRotateTest", doc, rows, "", body)
