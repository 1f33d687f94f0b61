package dev.hvsim.tools;

import dev.hvsim.vmm.Virt;
import picocli.CommandLine.Option;

/**
 * {@code --nested on|off} of {@code run} and {@code gdb}: with {@code --virt vmx} the guest may use VMX itself (nested
 * VMX, on by default); under {@code --virt svm} nested SVM is always on, so "off" is bad input there.
 */
final class NestedOption {
    @Option(names = "--nested", arity = "1", paramLabel = "on|off",
            description = "With --virt vmx: the guest may use VMX itself (nested VMX: its VMX instructions are emulated"
                    + " by the VMM and its own guest runs on the model; exits of that guest are traced with \"level\": 2)."
                    + " Default on for vmx; off hides VMX from the guest. Under --virt svm nested SVM is always on"
                    + " (off is bad input there).")
    String nested;

    /**
     * Whether to enable nested VMX ({@code Vmm.enableNestedVirtualization}): on with --virt vmx unless "off"; never
     * under svm (nested SVM is on by itself) or bare.
     */
    boolean enabled(Virt v) throws BadInputException {
        if (nested == null) {
            return v == Virt.VMX;
        }
        if (!nested.equals("on") && !nested.equals("off")) {
            throw new BadInputException("--nested must be on or off, not " + nested);
        }
        if (v == Virt.NONE) {
            throw new BadInputException("--nested needs --virt vmx");
        }
        if (v == Virt.SVM && nested.equals("off")) {
            throw new BadInputException("--nested off: nested SVM cannot be switched off under --virt svm");
        }
        return v == Virt.VMX && nested.equals("on");
    }
}
