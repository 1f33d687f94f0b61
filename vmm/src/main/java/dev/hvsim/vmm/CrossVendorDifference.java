package dev.hvsim.vmm;

import java.util.List;
import java.util.Set;

/**
 * The documented differences of the mapping table (issue 7 item 2, issue 9 cross-vendor property): where an Intel and
 * an AMD model, given equivalent intercept configurations, legitimately do not exit on the same instruction, or report
 * different operands for the same exit. Everything not listed here must agree: same {@link ExitKind}, same port,
 * size, direction, string/REP, address size and segment for I/O, same MSR index, same CR / DR number, direction and
 * GPR, same linear address for INVLPG / INVPCID, same descriptor-table instruction, same exception vector.
 *
 * <p>The equivalence of configurations follows {@link InterceptPolicy} and the VMM's own set-up ({@code VmxVcpu},
 * {@code SvmVcpu}): unconditional I/O exiting = IOPM all ones, I/O bitmaps A/B = the IOPM's first 64 Ki bits (bits past
 * FFFFH set: VMX always exits when an access wraps, SDM Vol. 3C 26.1.3), no MSR bitmaps = MSRPM all ones, the VMX read /
 * write bitmaps = the MSRPM's read / write bits (C001_0000H-C001_1FFFH set: VMX exits on every MSR outside its two
 * ranges), CPUID / INVD / XSETBV intercepted on SVM (unconditional on VMX, 26.1.2), "RDTSC exiting" = the RDTSC and
 * RDTSCP intercepts, "INVLPG exiting" = the INVLPG and INVPCID intercepts, "descriptor-table exiting" = the eight
 * descriptor-table intercepts (word 3 bits 6-13), "MOV-DR exiting" = DR0-DR7 read and write intercepts, PAUSE exiting =
 * the PAUSE intercept with a filter count of 0 (APM Vol. 2 15.14.4), CR3 load / store and CR8 load / store exiting =
 * the CR3 / CR8 write / read intercepts (no CR3-target values), a non-zero CR0 / CR4 guest/host mask = the CR0 / CR4
 * write intercept.
 */
public enum CrossVendorDifference {
    /**
     * MOV to CR0 / CR4, CLTS and LMSW exit on VMX only when they would change a host-owned bit (guest/host mask) away
     * from its read shadow (SDM Vol. 3C 26.1.3 "MOV to CR0", "MOV to CR4", "CLTS", "LMSW"); the SVM CR0 / CR4 write
     * intercepts take every write (AMD APM Vol. 2 15.9, Table 15-7). An SVM CR_ACCESS write exit without a VMX exit is
     * expected exactly when the written value equals the read shadow in the masked bits.
     */
    CR0_CR4_WRITE_SHADOW(ExitKind.CR_ACCESS, Difference.ONLY_AMD, "SDM Vol. 3C 26.1.3", "APM Vol. 2 15.9 Table 15-7"),
    /**
     * VMX has no exiting for MOV from CR0 / CR4 or SMSW: the guest reads host-owned bits from the read shadow (SDM
     * Vol. 3C 26.3 "MOV from CR0", "MOV from CR4", "SMSW"); SVM intercepts CR0 / CR4 reads (word 0 bits 0, 4) and SMSW
     * as a CR0 read (APM Vol. 2 15.9, Table 15-7).
     */
    CR0_CR4_READ(ExitKind.CR_ACCESS, Difference.ONLY_AMD, "SDM Vol. 3C 26.3", "APM Vol. 2 15.9 Table 15-7"),
    /**
     * String I/O: VMX reports the memory operand's linear address in the guest-linear-address field (SDM Vol. 3C
     * 28.2.1 / 27.2.1 in the 2016 edition); SVM's IOIO EXITINFO1 has no address (APM Vol. 2 15.10.2). The address is
     * not compared.
     */
    STRING_IO_ADDRESS(ExitKind.IO, Difference.EXIT_INFO, "SDM Vol. 3C 28.2.1", "APM Vol. 2 15.10.2"),
    /**
     * Descriptor-table exits: VMX reports the memory operand (displacement in the qualification, base / index / scale /
     * segment in the instruction information, SDM Vol. 3C 28.2.1, 28.2.5); SVM reports none (EXITINFO1 = 0, APM Vol. 2
     * 15.9, Appendix C exit codes 66H-6DH). Only the instruction is compared.
     */
    DESCRIPTOR_TABLE_OPERAND(ExitKind.DESCRIPTOR_TABLE, Difference.EXIT_INFO, "SDM Vol. 3C 28.2.5", "APM Vol. 2 15.9"),
    /**
     * RDRAND / RDSEED exiting (SDM Vol. 3C 26.1.3, reasons 57 / 61) has no SVM intercept: the instruction executes in
     * an SVM guest ({@link ExitKind#RANDOM_NUMBER} is Intel-only in the mapping table).
     */
    RANDOM_NUMBER_INTEL_ONLY(ExitKind.RANDOM_NUMBER, Difference.ONLY_INTEL, "SDM Vol. 3C 26.1.3", "APM Vol. 2 Table 15-7"),
    /**
     * The PUSHF / POPF intercepts (APM Vol. 2 15.9, exit codes 70H / 71H) have no VMX counterpart
     * ({@link ExitKind#FLAGS_ACCESS} is AMD-only in the mapping table).
     */
    FLAGS_ACCESS_AMD_ONLY(ExitKind.FLAGS_ACCESS, Difference.ONLY_AMD, "SDM Vol. 3C 26.1", "APM Vol. 2 15.9");

    private final ExitKind kind;
    private final Difference category;
    private final String intelSection, amdSection;

    CrossVendorDifference(ExitKind kind, Difference category, String intelSection, String amdSection) {
        this.kind = kind;
        this.category = category;
        this.intelSection = intelSection;
        this.amdSection = amdSection;
    }

    /** The kind whose exits differ. */
    public ExitKind kind() { return kind; }
    /** How they differ: an exit on one vendor only, or different exit information. */
    public Difference category() { return category; }
    public String intelSection() { return intelSection; }
    public String amdSection() { return amdSection; }

    /** Every documented difference of {@code kind} in {@code category}. */
    public static List<CrossVendorDifference> of(ExitKind kind, Difference category) {
        return java.util.Arrays.stream(values()).filter(d -> d.kind == kind && d.category == category).toList();
    }

    /** The kinds with a documented one-vendor-only difference. */
    public static Set<ExitKind> oneSidedKinds() {
        java.util.EnumSet<ExitKind> s = java.util.EnumSet.noneOf(ExitKind.class);
        for (CrossVendorDifference d : values()) {
            if (d.category == Difference.ONLY_AMD || d.category == Difference.ONLY_INTEL) {
                s.add(d.kind);
            }
        }
        return s;
    }
}
