package dev.hvsim.vmcs.msr;

import dev.hvsim.vmcs.data.BitRange;
import dev.hvsim.vmcs.data.CsvTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MSR indices and bit fields of {@code reference/vmx-capability-msrs.csv} (a copy of shared/reference;
 * SDM Vol. 3C Appendix A). Rows whose {@code bits} column is not a bit range ("typical value") are kept as
 * notes and not turned into fields. Immutable; one shared instance.
 */
public final class VmxMsrCatalogue {

    /** The resource this catalogue is read from. */
    public static final String RESOURCE = "/dev/hvsim/vmcs/reference/vmx-capability-msrs.csv";

    private static final VmxMsrCatalogue INSTANCE = new VmxMsrCatalogue(CsvTable.resource(RESOURCE));

    private final Map<VmxMsr, Integer> indices = new EnumMap<>(VmxMsr.class);
    private final Map<VmxMsr, Map<String, MsrField>> fields = new EnumMap<>(VmxMsr.class);
    private final int rowCount;

    VmxMsrCatalogue(CsvTable table) {
        for (CsvTable.Row r : table.rows()) {
            VmxMsr msr;
            try {
                msr = VmxMsr.valueOf(r.get("msr_name"));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(r.where() + ": unknown MSR " + r.get("msr_name"), e);
            }
            int index = (int) CsvTable.number(r.get("msr_index"));
            Integer prev = indices.putIfAbsent(msr, index);
            if (prev != null && prev != index) {
                throw new IllegalStateException(r.where() + ": " + msr + " has two indices");
            }
            String bits = r.get("bits");
            if (!bits.matches("\\d+(:\\d+)?")) {
                continue; // e.g. "typical value": a note, not a field
            }
            Map<String, MsrField> byName = fields.computeIfAbsent(msr, k -> new LinkedHashMap<>());
            MsrField f = new MsrField(msr, BitRange.parse(bits), r.get("field"), r.get("meaning"),
                    r.get("verification"));
            if (byName.put(f.name(), f) != null) {
                throw new IllegalStateException(r.where() + ": field '" + f.name() + "' of " + msr + " twice");
            }
        }
        for (VmxMsr m : VmxMsr.values()) {
            if (!indices.containsKey(m)) {
                throw new IllegalStateException(RESOURCE + ": no row for " + m);
            }
        }
        this.rowCount = table.rows().size();
    }

    /** The shared catalogue. */
    public static VmxMsrCatalogue get() {
        return INSTANCE;
    }

    /** The MSR index of {@code msr}. */
    public int index(VmxMsr msr) {
        return indices.get(msr);
    }

    /** The named field; IllegalArgumentException naming the MSR and the known fields otherwise. */
    public MsrField field(VmxMsr msr, String name) {
        MsrField f = fields.getOrDefault(msr, Map.of()).get(name);
        if (f == null) {
            throw new IllegalArgumentException("no field '" + name + "' in " + msr + " (known: "
                    + fields.getOrDefault(msr, Map.of()).keySet() + ")");
        }
        return f;
    }

    /** The fields of {@code msr} in table order, the whole-MSR row ({@code 63:0}) included. */
    public List<MsrField> fields(VmxMsr msr) {
        return Collections.unmodifiableList(new ArrayList<>(fields.getOrDefault(msr, Map.of()).values()));
    }

    /** Number of data rows in the table. */
    public int rowCount() {
        return rowCount;
    }
}
