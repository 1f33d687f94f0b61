package dev.hvsim.vmm;

/** How a guest runs: bare on the CPU ({@code none}), or under the Java VMM in VMX non-root operation or SVM guest mode. */
public enum Virt {
    NONE, VMX, SVM;

    /** The CLI spelling: "none", "vmx", "svm" (IllegalArgumentException otherwise). */
    public static Virt parse(String s) {
        switch (s) {
            case "none": return NONE;
            case "vmx": return VMX;
            case "svm": return SVM;
            default: throw new IllegalArgumentException("unknown --virt '" + s + "' (vmx, svm or none)");
        }
    }

    /** The CPU profile this needs: intel-core for VMX, amd-zen for SVM, null for bare. */
    public String profile() {
        return this == VMX ? "intel-core" : this == SVM ? "amd-zen" : null;
    }
}
