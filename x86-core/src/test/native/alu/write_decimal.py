exec(open("mkjava.py").read())
rows = open("dec_rows.txt").read()
body = '''    static final List<Case> FAULTS = List.of(
            c("l64", "27", "daa (invalid in 64-bit mode)", "", "#UD"),
            c("l64", "2f", "das (invalid in 64-bit mode)", "", "#UD"),
            c("l64", "37", "aaa (invalid in 64-bit mode)", "", "#UD"),
            c("l64", "3f", "aas (invalid in 64-bit mode)", "", "#UD"),
            c("l64", "d4 0a", "aam (invalid in 64-bit mode)", "", "#UD"),
            c("l64:amd", "d5 0a", "aad (invalid in 64-bit mode)", "", "#UD"),
            c("r16", "d4 00", "aam 0", "rax=0x1234", "#DE"),
            c("p32", "f0 27", "lock daa", "", "#UD"));

    /** The Intel profile's choices where the manuals leave flags undefined (DEVIATIONS.md "ALU families"). */
    static final List<Case> INTEL_POLICY = List.of(
            c("p32", "27", "daa: OF clear (Intel)", "rax=0x7a fl=-", "rax=0x80 fl=SA"),
            c("p32:amd", "27", "daa: OF on a 0->1 sign change (AMD)", "rax=0x7a fl=-", "rax=0x80 fl=OSA"),
            c("p32", "37", "aaa: OF=SF=0, ZF/PF of AL+6 (Intel)", "rax=0x7ffa fl=-", "rax=0x8100 fl=ZAPC"),
            c("p32:amd", "37", "aaa: flags of AX+106H (AMD)", "rax=0x7ffa fl=-", "rax=0x8100 fl=OSAPC"),
            c("r16", "3f", "aas: AX-6, AH-1 (borrow reaches AH), AL masked", "rax=0x0205 fl=A", "rax=0x000f fl=APC"),
            c("r16", "d5 0a", "aad: OF/AF/CF of the 8-bit addition", "rax=0x0909 fl=-", "rax=0x63 fl=AP"));

    /** Flags where the Intel profile's documented policy differs from AMD's for this case. */
    static long vendorFlags(Case c) {
        String m = c.asm();
        if (m.startsWith("daa") || m.startsWith("das")) {
            return Flags.OF;
        }
        return m.startsWith("aaa") || m.startsWith("aas") ? Flags.OF | Flags.SF | Flags.ZF : 0;
    }

'''
doc = ''' * Per-form tests of DAA, DAS, AAA, AAS, AAM Ib, AAD Ib (SDM Vol. 2A) in the 16- and 32-bit code sizes,
 * #UD in 64-bit mode and #DE for AAM 0; expected values measured on AMD Zen in a 32-bit compatibility
 * code segment.'''
write("../../../../x86-core/src/test/java/dev/hvsim/x86core/exec/DecimalTest.java", "DecimalTest", doc, rows, "", body)
