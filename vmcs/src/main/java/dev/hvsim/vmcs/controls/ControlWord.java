package dev.hvsim.vmcs.controls;

import java.util.Arrays;

/**
 * The VMX control words whose bits {@code vmx-controls.csv} lists (SDM Vol. 3C 25.6.1-25.6.2 execution
 * controls, 25.7.1 exit controls, 25.8.1 entry controls). The VMCS encoding, width and capability MSRs of each
 * word come from the data ({@link ControlCatalogue#word}); this enum only names the words.
 */
public enum ControlWord {
    /** Pin-based VM-execution controls (SDM 25.6.1). */
    PIN_BASED("Pin-based VM-execution controls", "pin"),
    /** Primary processor-based VM-execution controls (SDM 25.6.2). */
    PRIMARY_PROC("Primary processor-based VM-execution controls", "proc"),
    /** Secondary processor-based VM-execution controls (SDM 25.6.2). */
    SECONDARY_PROC("Secondary processor-based VM-execution controls", "proc2"),
    /** Tertiary processor-based VM-execution controls, 64 bits (SDM 25.6.2). */
    TERTIARY_PROC("Tertiary processor-based VM-execution controls", "proc3"),
    /** Primary VM-exit controls (SDM 25.7.1). */
    EXIT("Primary VM-exit controls", "exit"),
    /** Secondary VM-exit controls, 64 bits (SDM 25.7.1). */
    SECONDARY_EXIT("Secondary VM-exit controls", "exit2"),
    /** VM-entry controls (SDM 25.8.1). */
    ENTRY("VM-entry controls", "entry");

    private final String csvName;
    private final String key;

    ControlWord(String csvName, String key) {
        this.csvName = csvName;
        this.key = key;
    }

    /** The word's name in the {@code control_word} column of vmx-controls.csv (SDM wording). */
    public String csvName() {
        return csvName;
    }

    /** Short key used in hvsim's data files ({@code proc2:enableEpt}). */
    public String key() {
        return key;
    }

    /** The word with this {@link #key()}; IllegalArgumentException listing the keys otherwise. */
    public static ControlWord byKey(String key) {
        for (ControlWord w : values()) {
            if (w.key.equals(key)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown control word '" + key + "' (known: "
                + Arrays.stream(values()).map(ControlWord::key).toList() + ")");
    }

    /** The word with this {@link #csvName()}. */
    public static ControlWord byCsvName(String name) {
        for (ControlWord w : values()) {
            if (w.csvName.equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown control word '" + name + "'");
    }
}
