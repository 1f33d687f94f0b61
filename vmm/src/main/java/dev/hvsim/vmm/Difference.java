package dev.hvsim.vmm;

/** The categories of differences between an Intel and an AMD exit sequence ({@link ExitComparison}). */
public enum Difference {
    /** An exit only the Intel run took (nothing aligned with it on AMD). */
    ONLY_INTEL("only-intel", "exit only on Intel"),
    /** An exit only the AMD run took. */
    ONLY_AMD("only-amd", "exit only on AMD"),
    /** The same exit with different exit information (RIP, next RIP, size, access, error code, ...). */
    EXIT_INFO("exit-info", "different exit information"),
    /** The same exit with different guest-visible results (CPUID registers, value read, how it was handled). */
    GUEST_RESULT("guest-result", "different guest-visible result"),
    /** The same exit after a different number of modelled cycles since the previous exit. */
    CYCLES("cycles", "different cycle cost");

    private final String id;
    private final String description;

    Difference(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** The short name of text and HTML output ("exit-info"). */
    public String id() { return id; }
    public String description() { return description; }
}
