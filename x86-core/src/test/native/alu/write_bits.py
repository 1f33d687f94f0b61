exec(open("mkjava.py").read())
rows = open("bits_rows.txt").read()
body = '''    static final List<Case> FAULTS = List.of(
            c("p32", "f0 0f a3 03", "lock bt dword [ebx],eax (BT is not lockable)", "rbx=@", "#UD"),
            c("p32", "f0 0f ab c3", "lock bts ebx,eax (register destination)", "", "#UD"),
            c("p32", "f0 0f ab 03", "lock bts dword [ebx],eax", "rax=4 rbx=@ fl=- m32=0", "m32=0x10 fl=-"),
            c("l64", "f0 48 0f b3 03", "lock btr qword [rbx],rax", "rax=63 rbx=@ fl=- m64=-1", "m64=0x7fffffffffffffff fl=C"),
            c("r16", "f0 0f bb 07", "lock btc word [bx],ax", "rax=0x11 rbx=@ fl=- m16@2=0", "m16@2=2 fl=-"),
            c("p16", "f0 0f ba 2f 05", "lock bts word [bx],5", "rbx=@ fl=- m16=0", "m16=0x20 fl=-"),
            c("l64", "f0 0f ba f3 05", "lock btr ebx,5 (register destination)", "", "#UD"),
            c("l64", "f0 0f bc c3", "lock bsf eax,ebx", "", "#UD"),
            // 32-bit bit base: offset -33 is dword -2 (SAR 5), bit 31: EA - 8
            c("p32", "0f ab 03", "bts dword [ebx],eax", "rax=-33 rbx=@+8 fl=- m32=0 m32@4=0", "m32=0x80000000 m32@4=0 fl=-"),
            // 64-bit bit base: a huge positive offset scaled by 8 bytes per 64 bits
            c("l64", "48 0f a3 03", "bt qword [rbx],rax", "rax=0x1000 rbx=@ fl=- m64@0x200=1", "fl=C"),
            // without the feature F3 0F BC is BSF and F3 0F BD is BSR, as on hardware
            c("l64:legacy", "f3 0f bc c3", "tzcnt eax,ebx without BMI1 = bsf eax,ebx", "rax=7 rbx=0x10 fl=-", "rax=4 fl=-"),
            c("l64:legacy", "f3 0f bc c3", "tzcnt eax,ebx without BMI1, source 0", "rax=7 rbx=0 fl=-", "rax=7 fl=ZP"),
            c("l64:legacy", "f3 0f bd c3", "lzcnt eax,ebx without LZCNT = bsr eax,ebx", "rax=7 rbx=0x10 fl=-", "rax=4 fl=-"),
            c("p32:legacy", "f3 0f b8 c3", "popcnt eax,ebx without POPCNT", "", "#UD"),
            c("p32:legacy", "c4 e2 60 f2 c1", "andn eax,ebx,ecx without BMI1", "", "#UD"),
            c("p32:legacy", "c4 e2 70 f7 c3", "bextr eax,ebx,ecx without BMI1", "", "#UD"),
            c("p32:legacy", "c4 e2 78 f3 cb", "blsr eax,ebx without BMI1", "", "#UD"),
            c("p32:legacy", "c4 e2 78 f3 d3", "blsmsk eax,ebx without BMI1", "", "#UD"),
            c("p32:legacy", "c4 e2 78 f3 db", "blsi eax,ebx without BMI1", "", "#UD"),
            c("p32:legacy", "c4 e2 70 f5 c3", "bzhi eax,ebx,ecx without BMI2", "", "#UD"),
            c("p32:legacy", "c4 e2 63 f5 c1", "pdep eax,ebx,ecx without BMI2", "", "#UD"),
            c("p32:legacy", "c4 e2 62 f5 c1", "pext eax,ebx,ecx without BMI2", "", "#UD"),
            c("p32:legacy", "66 0f 38 f6 c3", "adcx eax,ebx without ADX", "", "#UD"),
            c("p32:legacy", "f3 0f 38 f6 c3", "adox eax,ebx without ADX", "", "#UD"),
            c("r16", "c4 e2 60 f2 c1", "andn eax,ebx,ecx (VEX in real mode)", "", "#UD"),
            c("l64", "c4 e2 64 f2 c1", "andn eax,ebx,ecx with VEX.L = 1", "", "#UD"),
            c("l64", "c4 e2 78 f3 e3", "VEX 0F38 F3 /4 (undefined group member)", "", "#UD"));

    /** The Intel profile's choices where the manuals leave flags undefined (DEVIATIONS.md "ALU families"). */
    static final List<Case> INTEL_POLICY = List.of(
            c("l64", "f3 0f bc c3", "tzcnt eax,ebx: OF cleared (Intel)", "rbx=8 fl=O", "rax=3 fl=-"),
            c("l64:amd", "f3 0f bc c3", "tzcnt eax,ebx: OF kept (AMD)", "rbx=8 fl=O", "rax=3 fl=O"),
            c("l64", "c4 e2 70 f7 c3", "bextr eax,ebx,ecx: AF clear (Intel)", "rbx=0xff00 rcx=0x0808 fl=-", "rax=0xff fl=P"),
            c("l64:amd", "c4 e2 70 f7 c3", "bextr eax,ebx,ecx: AF set (AMD)", "rbx=0xff00 rcx=0x0808 fl=-", "rax=0xff fl=AP"),
            c("p32", "0f bc c3", "bsf eax,ebx: source 0 leaves the destination, ZF=PF=1", "rax=0x1234 rbx=0 fl=OSAC",
                    "rax=0x1234 fl=ZP"),
            c("l64", "0f bd c3", "bsr eax,ebx: source 0 does not even zero-extend", "rax=-1 rbx=0 fl=-", "rax=-1 fl=ZP"),
            c("l64", "48 0f a3 d8", "bt rax,rbx: OF/SF/ZF/AF/PF kept", "rax=2 rbx=1 fl=OSZAP", "fl=OSZAPC"));

    /** Flags where the Intel profile's documented policy differs from AMD's for this case. */
    static long vendorFlags(Case c) {
        String m = c.asm();
        if (m.startsWith("tzcnt") || m.startsWith("lzcnt")) {
            return Flags.OF;
        }
        return m.startsWith("bextr") ? Flags.AF : 0;
    }

'''
doc = ''' * Per-form tests of BT/BTS/BTR/BTC (register and imm8 offsets, bit-base memory addressing), BSF/BSR,
 * TZCNT/LZCNT, POPCNT, ANDN, BEXTR, BLSR/BLSMSK/BLSI, BZHI, PDEP/PEXT, ADCX/ADOX (SDM Vol. 2A/2B), as
 * raw bytes plus the disassembly, with LOCK legality and the CPUID feature gates.'''
write("../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/BitOpsTest.java", "BitOpsTest", doc, rows, "", body)
