package dev.hvsim.vmcs.vmcb;

import dev.hvsim.vmcs.data.BitRange;
import dev.hvsim.vmcs.data.CsvTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VMCB layout catalogue: control-area and state-save-area fields, their bit fields, clean-bit groups and
 * intercept bits, from {@code reference/vmcb-layout.csv} and {@code reference/svm-exit-codes.csv} (copies of
 * shared/reference; AMD APM Vol. 2 Appendix B, Tables B-1 and B-2, and Appendix C). Immutable; one shared
 * instance.
 *
 * <p>Names are qualified by area: {@code control.TSC_OFFSET}, {@code save.EFER}, {@code save.CS.attrib}.
 */
public final class VmcbLayout {

    /** The layout table. */
    public static final String RESOURCE = "/dev/hvsim/vmcs/reference/vmcb-layout.csv";
    /** The exit-code table (intercept bits). */
    public static final String EXIT_CODES_RESOURCE = "/dev/hvsim/vmcs/reference/svm-exit-codes.csv";
    /** Size of a VMCB: one 4 KiB page. */
    public static final int VMCB_SIZE = 4096;
    /** Where the APM puts the state-save area (the control area is 0x000-0x3FF). */
    public static final int SAVE_AREA_OFFSET = 0x400;

    private static final Pattern RANGE = Pattern.compile(".*\\b0x([0-9A-Fa-f]+)-0x([0-9A-Fa-f]+)$");
    private static final Pattern INTERCEPT = Pattern.compile("word (\\d) \\(VMCB 0x([0-9a-f]{3})\\) bit (\\d+)");

    private static final VmcbLayout INSTANCE = new VmcbLayout(CsvTable.resource(RESOURCE),
            CsvTable.resource(EXIT_CODES_RESOURCE));

    private final List<VmcbField> fields;
    private final List<VmcbBitField> bitFields;
    private final Map<String, VmcbField> fieldByName = new HashMap<>();
    private final Map<String, VmcbBitField> bitByName = new HashMap<>();
    private final List<VmcbCleanBit> cleanBits;
    private final List<SvmIntercept> intercepts;
    private final Map<Long, SvmIntercept> interceptByExit = new HashMap<>();
    private final int rowCount;

    VmcbLayout(CsvTable layout, CsvTable exitCodes) {
        List<VmcbField> fs = new ArrayList<>();
        List<VmcbBitField> bs = new ArrayList<>();
        Map<Integer, VmcbCleanBit> clean = new TreeMap<>();
        for (CsvTable.Row r : layout.rows()) {
            VmcbArea area = VmcbArea.ofCsv(r.get("area"));
            int offset = (int) CsvTable.number(r.get("offset"));
            String name = r.get("name");
            String cb = r.get("clean_bit");
            int cleanBit = cb.isEmpty() ? -1 : Integer.parseInt(cb);
            boolean reserved = name.toLowerCase().startsWith("reserved") || name.endsWith(".reserved");
            if (!r.get("bits").isEmpty()) {
                VmcbBitField b = new VmcbBitField(area, offset, BitRange.parse(r.get("bits")), name, keyOf(name),
                        r.get("description"), cleanBit, reserved, r.get("verification"), r.get("disagreement"));
                bs.add(b);
                if (name.startsWith("CLEAN.") && !reserved) {
                    clean.put(b.bits().lo(), new VmcbCleanBit(b.bits().lo(), b.key().substring("CLEAN.".length())));
                }
                continue;
            }
            int size;
            if (!r.get("size_bytes").isEmpty()) {
                size = Integer.parseInt(r.get("size_bytes"));
            } else {
                Matcher m = RANGE.matcher(name);
                size = m.matches() ? Integer.parseInt(m.group(2), 16) - Integer.parseInt(m.group(1), 16) + 1 : 0;
                if (m.matches() && Integer.parseInt(m.group(1), 16) != offset) {
                    throw new IllegalStateException(r.where() + ": range in the name does not start at the offset");
                }
            }
            fs.add(new VmcbField(area, offset, size, name, keyOf(name), r.get("description"), cleanBit, appliesTo(r),
                    reserved, r.get("verification"), r.get("disagreement")));
        }
        fs.sort(Comparator.comparingInt(VmcbField::offset));
        this.fields = Collections.unmodifiableList(fs);
        this.bitFields = Collections.unmodifiableList(bs);
        this.cleanBits = List.copyOf(clean.values());
        indexFields();
        indexBits();
        List<SvmIntercept> is = new ArrayList<>();
        for (CsvTable.Row r : exitCodes.rows()) {
            if (!r.get("row_type").equals("exit-code") || r.get("intercept_bit").isEmpty()) {
                continue;
            }
            Matcher m = INTERCEPT.matcher(r.get("intercept_bit"));
            if (!m.matches()) {
                throw new IllegalStateException(r.where() + ": unreadable intercept bit '" + r.get("intercept_bit") + "'");
            }
            SvmIntercept i = new SvmIntercept(CsvTable.number(r.get("exit_code_hex")), r.get("name"),
                    Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3)));
            is.add(i);
            if (interceptByExit.put(i.exitCode(), i) != null) {
                throw new IllegalStateException(r.where() + ": exit code listed twice");
            }
        }
        this.intercepts = Collections.unmodifiableList(is);
        this.rowCount = layout.rows().size();
    }

    private static String appliesTo(CsvTable.Row r) {
        return r.get("applies_to");
    }

    /** {@code name} without a trailing parenthesised remark or address range. */
    static String keyOf(String name) {
        return name.replaceAll("\\s*\\(.*\\)\\s*$", "").replaceAll("\\s+0x[0-9A-Fa-f]+-0x[0-9A-Fa-f]+$", "").trim();
    }

    private void indexFields() {
        Set<String> clash = new HashSet<>();
        for (VmcbField f : fields) {
            if (f.reserved()) {
                continue;
            }
            if (fieldByName.put(f.qualifiedName(), f) != null) {
                clash.add(f.qualifiedName());
            }
            fieldByName.putIfAbsent(f.area().csvName() + "." + f.name(), f);
        }
        if (!clash.isEmpty()) {
            throw new IllegalStateException(RESOURCE + ": field names used twice: " + clash);
        }
    }

    private void indexBits() {
        Set<String> clash = new HashSet<>();
        for (VmcbBitField b : bitFields) {
            if (b.reserved()) {
                continue;
            }
            if (bitByName.put(b.qualifiedName(), b) != null) {
                clash.add(b.qualifiedName());
            }
        }
        clash.forEach(bitByName::remove); // ambiguous short names: look those up by full name
        for (VmcbBitField b : bitFields) {
            if (!b.reserved()) {
                bitByName.putIfAbsent(b.area().csvName() + "." + b.name(), b);
            }
        }
    }

    /** The shared catalogue. */
    public static VmcbLayout get() {
        return INSTANCE;
    }

    /** Rows of vmcb-layout.csv. */
    public int rowCount() {
        return rowCount;
    }

    /** Fields and reserved ranges with an offset and size, sorted by offset. */
    public List<VmcbField> fields() {
        return fields;
    }

    /** Fields of one area, sorted by offset. */
    public List<VmcbField> fields(VmcbArea area) {
        return fields.stream().filter(f -> f.area() == area).toList();
    }

    /** Bit-level rows in table order. */
    public List<VmcbBitField> bitFields() {
        return bitFields;
    }

    /**
     * A field by qualified name ({@code control.TSC_OFFSET}, {@code save.CS.attrib}; the full table name also
     * works); IllegalArgumentException naming it otherwise.
     */
    public VmcbField field(String qualifiedName) {
        VmcbField f = fieldByName.get(qualifiedName);
        if (f == null) {
            throw new IllegalArgumentException("unknown VMCB field '" + qualifiedName + "'"
                    + (qualifiedName.contains(".") ? "" : " (qualify it: control.NAME or save.NAME)"));
        }
        return f;
    }

    /** A bit field by qualified name ({@code control.INTERCEPT_HLT}); IllegalArgumentException otherwise. */
    public VmcbBitField bitField(String qualifiedName) {
        VmcbBitField b = bitByName.get(qualifiedName);
        if (b == null) {
            throw new IllegalArgumentException("unknown VMCB bit field '" + qualifiedName + "'");
        }
        return b;
    }

    /** The field (control or save area) that starts at {@code offset}, if any. */
    public Optional<VmcbField> fieldAt(int offset) {
        return fields.stream().filter(f -> f.area() != VmcbArea.AVIC_TABLE_ENTRY && f.offset() == offset
                && !f.reserved()).findFirst();
    }

    /** The field (control or save area, reserved ranges included) whose bytes include {@code offset}. */
    public Optional<VmcbField> fieldContaining(int offset) {
        return fields.stream().filter(f -> f.area() != VmcbArea.AVIC_TABLE_ENTRY && f.offset() <= offset
                && offset < f.end()).findFirst();
    }

    /** The clean bits, by bit position. */
    public List<VmcbCleanBit> cleanBits() {
        return cleanBits;
    }

    /** The fields a clean bit covers (APM 15.15.3). */
    public List<VmcbField> fieldsCleanedBy(int cleanBit) {
        return fields.stream().filter(f -> f.cleanBit() == cleanBit).toList();
    }

    /** Every intercept bit with its exit code, in exit-code order. */
    public List<SvmIntercept> intercepts() {
        return intercepts;
    }

    /** The intercept that produces {@code exitCode}, if the exit has one. */
    public Optional<SvmIntercept> interceptFor(long exitCode) {
        return Optional.ofNullable(interceptByExit.get(exitCode));
    }

    /** The intercept named {@code exitName} ({@code VMEXIT_HLT}); IllegalArgumentException otherwise. */
    public SvmIntercept intercept(String exitName) {
        return intercepts.stream().filter(i -> i.exitName().equals(exitName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no intercept for exit '" + exitName + "'"));
    }
}
