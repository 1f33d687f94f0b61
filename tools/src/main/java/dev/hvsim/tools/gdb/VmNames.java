package dev.hvsim.tools.gdb;

import dev.hvsim.svm.ExitCode;
import dev.hvsim.vmx.ExitReason;
import dev.hvsim.x86core.VmTransition;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Names of VM exits for the debugger: the vendor's symbol (VMX basic exit reasons of {@link ExitReason}, SVM exit
 * codes of {@link ExitCode}) and a vendor-neutral kind (CPUID, IO, MSR, HLT, HYPERCALL, CR, EXCEPTION, INTERRUPT,
 * NESTED_PAGE_FAULT, ...), and the filter of {@code monitor break-exit}.
 */
final class VmNames {
    private static final Map<Long, String> VMX = constants(ExitReason.class);
    private static final Map<Long, String> SVM = constants(ExitCode.class);
    /** Kinds: the vendor-neutral name, then the VMX and SVM symbols it covers. */
    private static final String[][] KINDS = {
        {"CPUID", "CPUID", "CPUID"},
        {"IO", "IO", "IOIO"},
        {"MSR", "RDMSR", "WRMSR", "MSR"},
        {"HLT", "HLT", "HLT"},
        {"HYPERCALL", "VMCALL", "VMMCALL"},
        {"NESTED_PAGE_FAULT", "EPT_VIOLATION", "EPT_MISCONFIGURATION", "NPF"},
        {"INTERRUPT", "EXTERNAL_INTERRUPT", "INTR"},
        {"NMI", "NMI"},
        {"CR", "CR_ACCESS"},
        {"INVALID", "INVALID"},
    };

    private VmNames() {}

    private static Map<Long, String> constants(Class<?> c) {
        Map<Long, String> m = new HashMap<>();
        for (Field f : c.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && (f.getType() == int.class || f.getType() == long.class)
                    && !f.getName().endsWith("_BIT") && !f.getName().equals("EXCP_BASE")) {
                try {
                    m.putIfAbsent(((Number) f.get(null)).longValue(), f.getName());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Map.copyOf(m);
    }

    private static boolean vmx(VmTransition t) {
        return t.structure().equals("VMCS");
    }

    /** The exit's symbol: {@code CPUID}, {@code IO}, {@code EXCP_0E} (#PF on SVM), {@code INVALID_GUEST_STATE}, ... */
    static String name(VmTransition t) {
        if (t.kind() == VmTransition.Kind.ENTRY) {
            return "entry";
        }
        if (vmx(t)) {
            if (t.kind() == VmTransition.Kind.ENTRY_FAILED && !t.toHost()) {
                return t.code() < 0 ? "VMfailInvalid" : "VMfail (VM-instruction error " + t.code() + ")";
            }
            String n = VMX.get(t.code() & 0xffff);
            return (n == null ? "reason" : n) + " (" + (t.code() & 0xffff) + ")";
        }
        long c = t.code();
        String n = c >= ExitCode.EXCP_BASE && c < ExitCode.EXCP_BASE + 32 ? String.format("EXCP_%02X", c - ExitCode.EXCP_BASE)
                : c >= 0 && c < ExitCode.EXCP_BASE ? (c < 0x20 ? "CR" : "DR") + (c & 15) + ((c & 0x10) == 0 ? "_READ" : "_WRITE")
                : SVM.get(c);
        return (n == null ? "exit code" : n) + (c == ExitCode.INVALID ? " (-1)" : String.format(" (%#x)", c));
    }

    /** The vendor-neutral kind of an exit, or its symbol when it has none. */
    static String kind(VmTransition t) {
        String sym = symbol(t);
        if (sym.startsWith("EXCP_") || sym.equals("EXCEPTION_OR_NMI")) {
            return "EXCEPTION";
        }
        if (sym.matches("CR[0-9]+_(READ|WRITE)")) {
            return "CR";
        }
        if (sym.matches("DR[0-9]+_(READ|WRITE)")) {
            return "DR";
        }
        for (String[] k : KINDS) {
            for (int i = 1; i < k.length; i++) {
                if (k[i].equals(sym)) {
                    return k[0];
                }
            }
        }
        return sym;
    }

    private static String symbol(VmTransition t) {
        String n = name(t);
        int sp = n.indexOf(' ');
        return sp < 0 ? n : n.substring(0, sp);
    }

    /**
     * The filter of {@code break-exit WORD...}: {@code all}, a vendor symbol ({@code CPUID}, {@code IOIO},
     * {@code EPT_VIOLATION}), a kind ({@code IO}, {@code HYPERCALL}) or a number (decimal or 0x hex: the VMX basic
     * exit reason or the SVM exit code); an exit matches when any word does. Unknown words match nothing ({@link #known}).
     */
    static Predicate<VmTransition> filter(String[] words) {
        return t -> {
            for (String w : words) {
                String u = w.toUpperCase(Locale.ROOT);
                if (u.equals("ALL") || u.equals(symbol(t)) || u.equals(kind(t))) {
                    return true;
                }
                Long n = number(w);
                if (n != null && (vmx(t) ? (t.code() & 0xffff) == n : t.code() == n)) {
                    return true;
                }
            }
            return false;
        };
    }

    /** Whether {@code w} names something {@link #filter} can match. */
    static boolean known(String w) {
        String u = w.toUpperCase(Locale.ROOT);
        if (u.equals("ALL") || number(w) != null || VMX.containsValue(u) || SVM.containsValue(u)
                || u.matches("EXCP_[0-9A-F]{2}|EXCEPTION|CR|DR|[CD]R[0-9]{1,2}_(READ|WRITE)")) {
            return true;
        }
        for (String[] k : KINDS) {
            if (k[0].equals(u)) {
                return true;
            }
        }
        return false;
    }

    private static Long number(String w) {
        try {
            return w.startsWith("0x") || w.startsWith("0X") ? Long.parseLong(w.substring(2), 16) : Long.parseLong(w);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** One line describing a transition: {@code VM exit CPUID (10), guest rip 0x..., qualification 0x0}. */
    static String describe(VmTransition t) {
        switch (t.kind()) {
            case ENTRY:
                return String.format("VM entry (%s), guest rip %#x", t.structure(), t.guestRip());
            case ENTRY_FAILED:
                StringBuilder b = new StringBuilder(String.format("failed VM entry (%s): %s at rip %#x", t.structure(),
                        name(t), t.guestRip()));
                for (String f : t.failures()) {
                    b.append("\n  failed check: ").append(f);
                }
                return b.toString();
            default:
                return String.format("VM exit %s [%s], guest rip %#x, qualification %#x", name(t), kind(t),
                        t.guestRip(), t.qualification());
        }
    }
}
