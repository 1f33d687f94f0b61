package dev.hvsim.vmcs;

import dev.hvsim.vmcs.controls.ControlBit;
import dev.hvsim.vmcs.controls.ControlCatalogue;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmcs.msr.VmxCapabilities;
import dev.hvsim.vmcs.msr.VmxMsr;
import java.util.ArrayList;
import java.util.List;

/**
 * When a VMCS field exists, as a condition over the VMX capability MSRs (SDM Vol. 3C Appendix B: "this field
 * exists only on processors that support the 1-setting of ..."). hvsim writes these conditions in
 * {@code hvsim/vmcs-field-existence.csv} with a small grammar:
 *
 * <pre>
 *   always | never | term ('|' term)*
 *   term = WORD ':' controlName          the allowed-1 setting of a control ({@code proc2:enableEpt})
 *        | 'msr:' MSR_NAME ':' bit       a bit of a capability MSR ({@code msr:IA32_VMX_VMFUNC:0})
 * </pre>
 *
 * where WORD is a {@link ControlWord#key()} and controlName a {@link ControlBit#javaName()}. A disjunction
 * holds when any term does.
 */
public final class FieldExistence {

    /** One alternative of the condition. */
    public sealed interface Term permits ControlTerm, MsrBitTerm {
        /** Whether the term holds under {@code caps}. */
        boolean holds(VmxCapabilities caps);
    }

    /** The allowed-1 setting of a control bit. */
    public record ControlTerm(ControlBit bit) implements Term {
        @Override
        public boolean holds(VmxCapabilities caps) {
            return caps.controls(bit.word()).allowed1(bit.bit());
        }

        @Override
        public String toString() {
            return bit.word().key() + ":" + bit.javaName();
        }
    }

    /** A bit of a capability MSR as RDMSR would return it. */
    public record MsrBitTerm(VmxMsr msr, int bit) implements Term {
        @Override
        public boolean holds(VmxCapabilities caps) {
            return ((caps.rdmsr(msr.index()).orElse(0) >>> bit) & 1) != 0;
        }

        @Override
        public String toString() {
            return "msr:" + msr + ":" + bit;
        }
    }

    private static final FieldExistence ALWAYS = new FieldExistence(true, List.of());
    private static final FieldExistence NEVER = new FieldExistence(false, List.of());

    private final boolean always;
    private final List<Term> terms;

    private FieldExistence(boolean always, List<Term> terms) {
        this.always = always;
        this.terms = terms;
    }

    /** Parses a condition; IllegalArgumentException naming the bad part. */
    public static FieldExistence parse(String text) {
        String t = text.trim();
        if (t.equals("always")) {
            return ALWAYS;
        }
        if (t.equals("never")) {
            return NEVER;
        }
        List<Term> terms = new ArrayList<>();
        for (String part : t.split("\\|")) {
            String[] p = part.trim().split(":");
            if (p.length == 3 && p[0].equals("msr")) {
                terms.add(new MsrBitTerm(VmxMsr.valueOf(p[1]), Integer.parseInt(p[2])));
            } else if (p.length == 2) {
                ControlWord w = ControlWord.byKey(p[0]);
                terms.add(new ControlTerm(ControlCatalogue.get().bit(w, p[1])));
            } else {
                throw new IllegalArgumentException("bad existence term '" + part + "' in '" + text + "'");
            }
        }
        return new FieldExistence(false, List.copyOf(terms));
    }

    /** True for a field every VMX processor has. */
    public boolean always() {
        return always;
    }

    /** True for a field hvsim never implements (TDX/SEAM-only or of unknown purpose). */
    public boolean never() {
        return !always && terms.isEmpty();
    }

    /** The alternatives (empty for always/never). */
    public List<Term> terms() {
        return terms;
    }

    /** Whether the condition holds under {@code caps} (a processor without VMX has no field at all). */
    public boolean holds(VmxCapabilities caps) {
        if (!caps.vmxSupported()) {
            return false;
        }
        if (always) {
            return true;
        }
        for (Term term : terms) {
            if (term.holds(caps)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        if (always) {
            return "always";
        }
        if (terms.isEmpty()) {
            return "never";
        }
        StringBuilder sb = new StringBuilder();
        for (Term term : terms) {
            sb.append(sb.length() == 0 ? "" : "|").append(term);
        }
        return sb.toString();
    }
}
