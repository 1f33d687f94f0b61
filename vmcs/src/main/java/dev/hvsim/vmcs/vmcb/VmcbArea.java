package dev.hvsim.vmcs.vmcb;

/**
 * The parts of {@code vmcb-layout.csv} (AMD APM Vol. 2 Appendix B).
 */
public enum VmcbArea {
    /** Control area, VMCB offsets 0x000-0x3FF (APM Table B-1). */
    CONTROL("control"),
    /** State-save area, VMCB offsets 0x400 and up (APM Table B-2; SEV-ES VMSA fields at VMCB-relative offsets). */
    SAVE("save"),
    /** Formats of AVIC table entries; offsets name the control field that points to the table (APM 15.29). */
    AVIC_TABLE_ENTRY("avic-table-entry");

    private final String csvName;

    VmcbArea(String csvName) {
        this.csvName = csvName;
    }

    /** The spelling in the {@code area} column; also the prefix of qualified names ({@code control.NAME}). */
    public String csvName() {
        return csvName;
    }

    /** The area spelled {@code s}. */
    public static VmcbArea ofCsv(String s) {
        for (VmcbArea a : values()) {
            if (a.csvName.equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown VMCB area '" + s + "'");
    }
}
