exec(open("mkjava.py").read())
rows = open("arith_rows.txt").read()
existing = open("../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/ArithTest.java").read()
start = existing.index("    @Test\n    void addRegRegSetsCarryAndZero64()")
end = existing.find("    @TestFactory\n    Stream<DynamicTest> everyFormMatchesSiliconOnAmd")
methods = existing[start:end if end > 0 else existing.rindex("}")]
body = '''    static final List<Case> FAULTS = List.of(
            c("l64", "82 c3 05", "add bl,5 (82 is invalid in 64-bit mode)", "", "#UD"),
            c("l64", "82 03 05", "add byte [rbx],5 (82 /0, 64-bit mode)", "rbx=@", "#UD"),
            c("l64", "82 3b 05", "cmp byte [rbx],5 (82 /7, 64-bit mode)", "rbx=@", "#UD"),
            c("p32", "f0 01 c3", "lock add ebx,eax (register destination)", "", "#UD"),
            c("p32", "f0 03 03", "lock add eax,[ebx] (memory is the source)", "rbx=@", "#UD"),
            c("p32", "f0 39 03", "lock cmp [ebx],eax (CMP is not lockable)", "rbx=@", "#UD"),
            c("p32", "f0 85 03", "lock test [ebx],eax (TEST is not lockable)", "rbx=@", "#UD"),
            c("p32", "f0 f7 03 01 00 00 00", "lock test dword [ebx],1", "rbx=@", "#UD"),
            c("p32", "f0 05 01 00 00 00", "lock add eax,1", "", "#UD"),
            c("p32", "f0 40", "lock inc eax", "", "#UD"),
            c("p32", "f0 01 03", "lock add [ebx],eax", "rax=2 rbx=@ fl=- m32=5", "m32=7 fl=-"),
            c("l64", "f0 48 83 2b 01", "lock sub qword [rbx],1", "rbx=@ fl=- m64=0", "m64=-1 fl=SAPC"),
            c("r16", "f0 80 37 ff", "lock xor byte [bx],0xff", "rbx=@ fl=C m8=0x0f", "m8=0xf0 fl=SP"),
            c("p16", "f0 f6 17", "lock not byte [bx]", "rbx=@ fl=C m8=0x0f", "m8=0xf0 fl=C"),
            c("p32", "f0 f7 1b", "lock neg dword [ebx]", "rbx=@ fl=- m32=1", "m32=0xffffffff fl=SAPC"),
            c("l64", "f0 fe 03", "lock inc byte [rbx]", "rbx=@ fl=C m8=0x7f", "m8=0x80 fl=OSAC"),
            c("l64", "f0 ff 0b", "lock dec dword [rbx]", "rbx=@ fl=- m32=0", "m32=0xffffffff fl=SAP"),
            c("l64", "f0 10 03", "lock adc [rbx],al", "rax=1 rbx=@ fl=C m8=0xfe", "m8=0 fl=ZAPC"),
            c("l64", "f0 19 03", "lock sbb [rbx],eax", "rax=0 rbx=@ fl=C m32=0", "m32=0xffffffff fl=SAPC"),
            c("l64", "f0 09 03", "lock or [rbx],eax", "rax=0x80000000 rbx=@ fl=- m32=1", "m32=0x80000001 fl=S"),
            c("l64", "f0 21 03", "lock and [rbx],eax", "rax=0xf0 rbx=@ fl=- m32=0x0f", "m32=0 fl=ZP"));

    /** Arith has no vendor-specific flags: ADD..NOT set every flag they define identically. */
    static final List<Case> INTEL_POLICY = List.of(
            c("p32", "21 c3", "and ebx,eax: AF cleared (undefined in the SDM, cleared on both vendors)", "rax=-1 rbx=0x10 fl=A",
                    "rbx=0x10 fl=-"),
            c("p32:amd", "21 c3", "and ebx,eax: AF cleared on AMD too", "rax=-1 rbx=0x10 fl=A", "rbx=0x10 fl=-"));

    /** Flags where the Intel profile's documented policy differs from AMD's for this case. */
    static long vendorFlags(Case c) {
        return 0;
    }

''' + methods
doc = ''' * Per-form tests of ADD/ADC/SUB/SBB/CMP/AND/OR/XOR (00-3D, 80-83 every /n, 82 outside 64-bit mode),
 * TEST (84/85/A8/A9, F6/F7 /0 and the /1 alias), NOT/NEG (F6/F7 /2-/3), INC/DEC (FE/FF /0-/1 and 40-4F
 * in 16/32-bit code) in every code size, LOCK on memory versus register destinations (SDM Vol. 2A/2B).'''
write("../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/ArithTest.java", "ArithTest", doc, rows,
      "import dev.hvsim.x86core.Reg;\nimport dev.hvsim.x86core.StopReason;\nimport dev.hvsim.x86core.testing.TestCpu;\nimport org.junit.jupiter.api.Test;\n", body)

f = "../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/ArithTest.java"
t = open(f).read()
t = t.replace("import static dev.hvsim.x86core.exec.AluHarness.c;\n", "import static dev.hvsim.x86core.exec.AluHarness.c;\nimport static org.assertj.core.api.Assertions.assertThat;\n", 1)
t = t.replace("import dev.hvsim.x86core.Flags;\n", "import dev.hvsim.x86core.Flags;\nimport dev.hvsim.x86core.Reg;\nimport dev.hvsim.x86core.StopReason;\n", 1)
t = t.replace("import dev.hvsim.x86core.exec.AluHarness.Case;\n", "import dev.hvsim.x86core.exec.AluHarness.Case;\nimport dev.hvsim.x86core.testing.TestCpu;\n", 1)
t = t.replace("import org.junit.jupiter.api.DynamicTest;\n", "import org.junit.jupiter.api.DynamicTest;\nimport org.junit.jupiter.api.Test;\n", 1)
t = t.replace("import org.junit.jupiter.api.TestFactory;\nimport dev.hvsim.x86core.Reg;\nimport dev.hvsim.x86core.StopReason;\nimport dev.hvsim.x86core.testing.TestCpu;\nimport org.junit.jupiter.api.Test;\n", "import org.junit.jupiter.api.TestFactory;\n")
open(f, "w").write(t)
