package dev.hvsim.vmcs.controls;

import dev.hvsim.vmcs.data.BitRange;
import dev.hvsim.vmcs.data.CsvTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every bit of every VMX control word, loaded from {@code reference/vmx-controls.csv} (a copy of
 * shared/reference; SDM Vol. 3C 25.6-25.8 and Appendix A.3-A.5). Immutable; one shared instance.
 */
public final class ControlCatalogue {

    /** The resource this catalogue is read from. */
    public static final String RESOURCE = "/dev/hvsim/vmcs/reference/vmx-controls.csv";

    /**
     * A control word as the table describes it.
     *
     * @param word          which word
     * @param vmcsEncoding  the VMCS field that holds it
     * @param widthBits     32 or 64
     * @param capabilityMsr the capability MSR(s) that report its allowed settings, as the table writes them
     * @param bits          one entry per bit position, index = bit
     */
    public record WordInfo(ControlWord word, int vmcsEncoding, int widthBits, String capabilityMsr,
            List<ControlBit> bits) {}

    private static final ControlCatalogue INSTANCE = new ControlCatalogue(CsvTable.resource(RESOURCE));

    private final Map<ControlWord, WordInfo> words;
    private final Map<ControlWord, Map<String, ControlBit>> byJavaName;
    private final int rowCount;

    ControlCatalogue(CsvTable table) {
        Map<ControlWord, ControlBit[]> bits = new EnumMap<>(ControlWord.class);
        Map<ControlWord, int[]> meta = new EnumMap<>(ControlWord.class);
        Map<ControlWord, String> msr = new EnumMap<>(ControlWord.class);
        for (CsvTable.Row r : table.rows()) {
            ControlWord w = ControlWord.byCsvName(r.get("control_word"));
            int enc = (int) CsvTable.number(r.get("vmcs_encoding"));
            int width = Integer.parseInt(r.get("word_width"));
            int[] m = meta.computeIfAbsent(w, k -> new int[] {enc, width});
            if (m[0] != enc || m[1] != width) {
                throw new IllegalStateException(r.where() + ": encoding/width differ from earlier rows of " + w);
            }
            msr.putIfAbsent(w, r.get("capability_msr"));
            ControlBit[] arr = bits.computeIfAbsent(w, k -> new ControlBit[width]);
            BitRange range = BitRange.parse(r.get("bit"));
            if (CsvTable.number(r.get("mask")) != range.mask()) {
                throw new IllegalStateException(r.where() + ": mask " + r.get("mask") + " is not bits " + range);
            }
            boolean reserved = r.get("reserved").equals("yes");
            DefaultClass dc = r.get("default_class").equals("default1") ? DefaultClass.DEFAULT1 : DefaultClass.DEFAULT0;
            String name = r.get("name");
            for (int b = range.lo(); b <= range.hi(); b++) {
                if (arr[b] != null) {
                    throw new IllegalStateException(r.where() + ": bit " + b + " of " + w + " listed twice");
                }
                arr[b] = new ControlBit(w, b, name, reserved ? "" : ControlBit.javaNameOf(name), reserved, dc,
                        r.get("verification"));
            }
        }
        Map<ControlWord, WordInfo> ws = new EnumMap<>(ControlWord.class);
        Map<ControlWord, Map<String, ControlBit>> names = new EnumMap<>(ControlWord.class);
        for (ControlWord w : ControlWord.values()) {
            ControlBit[] arr = bits.get(w);
            if (arr == null) {
                throw new IllegalStateException(RESOURCE + ": no rows for " + w);
            }
            List<ControlBit> list = new ArrayList<>();
            Map<String, ControlBit> byName = new HashMap<>();
            for (int b = 0; b < arr.length; b++) {
                if (arr[b] == null) {
                    throw new IllegalStateException(RESOURCE + ": bit " + b + " of " + w + " missing");
                }
                list.add(arr[b]);
                if (!arr[b].reserved() && byName.put(arr[b].javaName(), arr[b]) != null) {
                    throw new IllegalStateException(RESOURCE + ": two bits of " + w + " named " + arr[b].javaName());
                }
            }
            ws.put(w, new WordInfo(w, meta.get(w)[0], meta.get(w)[1], msr.get(w), Collections.unmodifiableList(list)));
            names.put(w, Collections.unmodifiableMap(byName));
        }
        this.words = Collections.unmodifiableMap(ws);
        this.byJavaName = Collections.unmodifiableMap(names);
        this.rowCount = table.rows().size();
    }

    /** The shared catalogue. */
    public static ControlCatalogue get() {
        return INSTANCE;
    }

    /** What the table says about a word. */
    public WordInfo word(ControlWord w) {
        return words.get(w);
    }

    /** Every bit of {@code w}, index = bit position. */
    public List<ControlBit> bits(ControlWord w) {
        return words.get(w).bits();
    }

    /** The bit at {@code position} of {@code w}. */
    public ControlBit bit(ControlWord w, int position) {
        List<ControlBit> bits = bits(w);
        if (position < 0 || position >= bits.size()) {
            throw new IllegalArgumentException("no bit " + position + " in the " + w.csvName());
        }
        return bits.get(position);
    }

    /**
     * The defined control named {@code javaName} (see {@link ControlBit#javaNameOf}); IllegalArgumentException
     * naming the word and the name otherwise.
     */
    public ControlBit bit(ControlWord w, String javaName) {
        ControlBit b = byJavaName.get(w).get(javaName);
        if (b == null) {
            throw new IllegalArgumentException("no control '" + javaName + "' in the " + w.csvName()
                    + " (known: " + byJavaName.get(w).keySet().stream().sorted().toList() + ")");
        }
        return b;
    }

    /** The mask of a defined control of a 32-bit word. */
    public int mask32(ControlWord w, String javaName) {
        if (word(w).widthBits() != 32) {
            throw new IllegalArgumentException(w + " is not a 32-bit word");
        }
        return (int) bit(w, javaName).mask();
    }

    /** The mask of a defined control of a 64-bit word. */
    public long mask64(ControlWord w, String javaName) {
        return bit(w, javaName).mask();
    }

    /** Bits of {@code w} at which a control is defined. */
    public long definedMask(ControlWord w) {
        long m = 0;
        for (ControlBit b : bits(w)) {
            m |= b.reserved() ? 0 : b.mask();
        }
        return m;
    }

    /** Bits of {@code w} in the default1 class (SDM Appendix A.2). */
    public long default1Mask(ControlWord w) {
        long m = 0;
        for (ControlBit b : bits(w)) {
            m |= b.defaultClass() == DefaultClass.DEFAULT1 ? b.mask() : 0;
        }
        return m;
    }

    /** Number of data rows in the table (reserved ranges count once). */
    public int rowCount() {
        return rowCount;
    }
}
