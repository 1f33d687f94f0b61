package dev.hvsim.x86core.exec;

import static dev.hvsim.x86core.exec.AluHarness.c;

import dev.hvsim.x86core.Flags;
import dev.hvsim.x86core.exec.AluHarness.Case;
import java.util.List;

/**
 * Per-form tests of DAA, DAS, AAA, AAS, AAM Ib, AAD Ib (SDM Vol. 2A) in the 16- and 32-bit code sizes,
 * #UD in 64-bit mode and #DE for AAM 0; expected values measured on AMD Zen in a 32-bit compatibility
 * code segment.
 */
class DecimalTest extends AluFamilyTest {

    DecimalTest() {
        super(SILICON, FAULTS, INTEL_POLICY, DecimalTest::vendorFlagsOf);
    }
    /**
     * Every operand form, register and memory, in each code size where it exists, on the amd-zen profile.
     * Expected values were measured on AMD Zen silicon (src/test/native/alu/gen_cases.py ran the same
     * operation natively; 16/32-bit operand sizes are mode-independent, so a 64-bit host run gives the
     * expectation for the 16- and 32-bit code sizes too).
     */
    static final List<Case> SILICON = List.of(
            c("r16:amd", "27", "daa", "rax=0x676b fl=OSAPC", "rax=0x67d1 fl=OSAPC"),
            c("r16:amd", "27", "daa", "rax=0x2dc5 fl=C", "rax=0x2d25 fl=C"),
            c("p16:amd", "27", "daa", "rax=0xa fl=OS", "rax=0x10 fl=A"),
            c("p16:amd", "27", "daa", "rax=0xa fl=AC", "rax=0x70 fl=AC"),
            c("p32:amd", "27", "daa", "rax=0x9a fl=O", "rax=0x0 fl=ZAPC"),
            c("p32:amd", "27", "daa", "rax=0x635b fl=Z", "rax=0x6361 fl=A"),
            c("p32:amd", "27", "daa", "rax=0x99 fl=ZAC", "rax=0xff fl=SAPC"),
            c("p32:amd", "27", "daa", "rax=0xa fl=PC", "rax=0x70 fl=AC"),
            c("r16:amd", "2f", "das", "rax=0x9 fl=OSZPC", "rax=0xa9 fl=SPC"),
            c("r16:amd", "2f", "das", "rax=0x1f3 fl=SZP", "rax=0x193 fl=SPC"),
            c("p16:amd", "2f", "das", "rax=0xa fl=OZP", "rax=0x4 fl=A"),
            c("p16:amd", "2f", "das", "rax=0x9a fl=OS", "rax=0x34 fl=OAC"),
            c("p32:amd", "2f", "das", "rax=0xd23 fl=ZAP", "rax=0xd1d fl=AP"),
            c("p32:amd", "2f", "das", "rax=0x99 fl=OSP", "rax=0x99 fl=SP"),
            c("p32:amd", "2f", "das", "rax=0xecc2 fl=SAPC", "rax=0xec5c fl=OAPC"),
            c("p32:amd", "2f", "das", "rax=0x1c1b fl=SAP", "rax=0x1c15 fl=A"),
            c("r16:amd", "37", "aaa", "rax=0xaf11 fl=OSZAP", "rax=0xb007 fl=SAPC"),
            c("r16:amd", "37", "aaa", "rax=0x6ce8 fl=SZAP", "rax=0x6d0e fl=APC"),
            c("p16:amd", "37", "aaa", "rax=0x9 fl=ZP", "rax=0x9 fl=P"),
            c("p16:amd", "37", "aaa", "rax=0x22c4 fl=OZP", "rax=0x2204 fl=-"),
            c("p32:amd", "37", "aaa", "rax=0xc986 fl=AP", "rax=0xca0c fl=SAC"),
            c("p32:amd", "37", "aaa", "rax=0x41f0 fl=SC", "rax=0x4100 fl=P"),
            c("p32:amd", "37", "aaa", "rax=0xf0fc fl=A", "rax=0xf202 fl=SAC"),
            c("p32:amd", "37", "aaa", "rax=0x99 fl=SZAPC", "rax=0x10f fl=APC"),
            c("r16:amd", "3f", "aas", "rax=0x18b3 fl=SAP", "rax=0x170d fl=AC"),
            c("r16:amd", "3f", "aas", "rax=0x99 fl=ZAP", "rax=0xff03 fl=SAPC"),
            c("p16:amd", "3f", "aas", "rax=0x9a fl=OZAP", "rax=0xff04 fl=SAC"),
            c("p16:amd", "3f", "aas", "rax=0x9a fl=SZ", "rax=0xff04 fl=SAC"),
            c("p32:amd", "3f", "aas", "rax=0xdb9d fl=OSZA", "rax=0xda07 fl=SAC"),
            c("p32:amd", "3f", "aas", "rax=0x1288 fl=OZAP", "rax=0x1102 fl=APC"),
            c("p32:amd", "3f", "aas", "rax=0x9 fl=ZAP", "rax=0xff03 fl=SAPC"),
            c("p32:amd", "3f", "aas", "rax=0x100 fl=O", "rax=0x100 fl=P"),
            c("r16:amd", "d4 0a", "aam 0xa", "rax=0x100 fl=S", "rax=0x0 fl=ZP"),
            c("r16:amd", "d4 0a", "aam 0xa", "rax=0xd04d fl=SZP", "rax=0x707 fl=-"),
            c("p16:amd", "d4 0a", "aam 0xa", "rax=0x9 fl=OSC", "rax=0x9 fl=P"),
            c("p16:amd", "d4 0a", "aam 0xa", "rax=0x100 fl=SP", "rax=0x0 fl=ZP"),
            c("p32:amd", "d4 0a", "aam 0xa", "rax=0x9a fl=SAC", "rax=0xf04 fl=-"),
            c("p32:amd", "d4 0a", "aam 0xa", "rax=0xdfcd fl=OAC", "rax=0x1405 fl=P"),
            c("p32:amd", "d4 0a", "aam 0xa", "rax=0x9a fl=SAPC", "rax=0xf04 fl=-"),
            c("p32:amd", "d4 0a", "aam 0xa", "rax=0xa fl=SAP", "rax=0x100 fl=ZP"),
            c("r16:amd", "d4 10", "aam 0x10", "rax=0xf6bc fl=OP", "rax=0xb0c fl=P"),
            c("r16:amd", "d4 10", "aam 0x10", "rax=0x7ffa fl=OS", "rax=0xf0a fl=P"),
            c("p16:amd", "d4 10", "aam 0x10", "rax=0xff fl=OA", "rax=0xf0f fl=P"),
            c("p16:amd", "d4 10", "aam 0x10", "rax=0x4a77 fl=SP", "rax=0x707 fl=-"),
            c("p32:amd", "d4 10", "aam 0x10", "rax=0x6103 fl=AC", "rax=0x3 fl=P"),
            c("p32:amd", "d4 10", "aam 0x10", "rax=0x9a fl=AC", "rax=0x90a fl=P"),
            c("p32:amd", "d4 10", "aam 0x10", "rax=0x7ffa fl=OZPC", "rax=0xf0a fl=P"),
            c("p32:amd", "d4 10", "aam 0x10", "rax=0xd9b7 fl=OSC", "rax=0xb07 fl=-"),
            c("r16:amd", "d4 00", "aam 0x0", "rax=0xff fl=OSZC", "#DE"),
            c("r16:amd", "d4 00", "aam 0x0", "rax=0x9a fl=OSZP", "#DE"),
            c("p16:amd", "d4 00", "aam 0x0", "rax=0x7ffa fl=P", "#DE"),
            c("p16:amd", "d4 00", "aam 0x0", "rax=0x1cc1 fl=OZA", "#DE"),
            c("p32:amd", "d4 00", "aam 0x0", "rax=0x99 fl=OSZPC", "#DE"),
            c("p32:amd", "d4 00", "aam 0x0", "rax=0xff fl=ZAPC", "#DE"),
            c("p32:amd", "d4 00", "aam 0x0", "rax=0x8f74 fl=OSZAC", "#DE"),
            c("p32:amd", "d4 00", "aam 0x0", "rax=0xa fl=APC", "#DE"),
            c("r16:amd", "d5 0a", "aad 0xa", "rax=0x949c fl=SC", "rax=0x64 fl=OAC"),
            c("r16:amd", "d5 0a", "aad 0xa", "rax=0x7ffa fl=A", "rax=0xf0 fl=SAPC"),
            c("p16:amd", "d5 0a", "aad 0xa", "rax=0xa fl=Z", "rax=0xa fl=P"),
            c("p16:amd", "d5 0a", "aad 0xa", "rax=0x99 fl=ZAPC", "rax=0x99 fl=SP"),
            c("p32:amd", "d5 0a", "aad 0xa", "rax=0x543d fl=OZPC", "rax=0x85 fl=OSA"),
            c("p32:amd", "d5 0a", "aad 0xa", "rax=0x100 fl=OSZAPC", "rax=0xa fl=P"),
            c("p32:amd", "d5 0a", "aad 0xa", "rax=0x99 fl=-", "rax=0x99 fl=SP"),
            c("p32:amd", "d5 0a", "aad 0xa", "rax=0xff fl=OC", "rax=0xff fl=SP"),
            c("r16:amd", "d5 07", "aad 0x7", "rax=0xd827 fl=OA", "rax=0xf fl=PC"),
            c("r16:amd", "d5 07", "aad 0x7", "rax=0xff00 fl=OSC", "rax=0xf9 fl=SP"),
            c("p16:amd", "d5 07", "aad 0x7", "rax=0x2b63 fl=OSZAP", "rax=0x90 fl=OSAP"),
            c("p16:amd", "d5 07", "aad 0x7", "rax=0x75ba fl=ZP", "rax=0xed fl=SP"),
            c("p32:amd", "d5 07", "aad 0x7", "rax=0xcbd7 fl=ZAPC", "rax=0x64 fl=OAC"),
            c("p32:amd", "d5 07", "aad 0x7", "rax=0x9 fl=O", "rax=0x9 fl=P"),
            c("p32:amd", "d5 07", "aad 0x7", "rax=0x7ffa fl=PC", "rax=0x73 fl=AC"),
            c("p32:amd", "d5 07", "aad 0x7", "rax=0x2a7d fl=ZAC", "rax=0xa3 fl=OSAP")
);

    static final List<Case> FAULTS = List.of(
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
    static long vendorFlagsOf(Case c) {
        String m = c.asm();
        if (m.startsWith("daa") || m.startsWith("das")) {
            return Flags.OF;
        }
        return m.startsWith("aaa") || m.startsWith("aas") ? Flags.OF | Flags.SF | Flags.ZF : 0;
    }
}
