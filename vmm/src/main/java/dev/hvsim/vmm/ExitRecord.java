package dev.hvsim.vmm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One VM exit kept for later (issue 7 item 4, {@code hvsim compare}): an immutable copy of what {@link GuestExit}
 * showed at the exit plus what the guest saw after the VMM handled it. Three layers:
 * <ul>
 *   <li>{@link #info()}: vendor-neutral exit information, comparable across vendors (port, size, direction, MSR,
 *       guest-physical page, access, vector, error code, RIP, next RIP, ...). The entries named by
 *       {@link #keyFields()} identify the exit (an I/O exit is "the same exit" on both vendors when port and
 *       direction agree); the others are details that may differ.</li>
 *   <li>{@link #results()}: guest-visible results of handling it (CPUID's EAX..EDX, the value an IN or RDMSR
 *       returned, the hypercall's RAX, how it was handled).</li>
 *   <li>{@link #raw()} and {@link #rawName()}: the vendor record, for display only (its fields never compare).</li>
 * </ul>
 * Values are strings (hex as in exit traces), so records from runs and from tests compare the same way.
 */
public final class ExitRecord {
    private final long seq;
    private final int vcpu;
    private final boolean intel;
    private final long cycle;
    private final long cost;
    private final ExitKind kind;
    private final String rawName;
    private final Map<String, String> raw;
    private final Map<String, String> info;
    private final List<String> keyFields;
    private final Map<String, String> results;

    /**
     * @param seq       the exit's number in its run (1, 2, ...)
     * @param cycle     the vCPU's modelled cycle count at the exit
     * @param cost      modelled cycles since the vCPU's previous exit (or since the start), handling included
     * @param keyFields the names in {@code info} that identify the exit for alignment (with kind and vCPU)
     */
    public ExitRecord(long seq, int vcpu, boolean intel, long cycle, long cost, ExitKind kind, String rawName,
            Map<String, String> raw, Map<String, String> info, List<String> keyFields, Map<String, String> results) {
        this.seq = seq;
        this.vcpu = vcpu;
        this.intel = intel;
        this.cycle = cycle;
        this.cost = cost;
        this.kind = Objects.requireNonNull(kind);
        this.rawName = Objects.requireNonNull(rawName);
        this.raw = Collections.unmodifiableMap(new LinkedHashMap<>(raw));
        this.info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
        this.keyFields = List.copyOf(keyFields);
        this.results = Collections.unmodifiableMap(new LinkedHashMap<>(results));
        for (String k : keyFields) {
            if (!info.containsKey(k)) {
                throw new IllegalArgumentException("key field " + k + " is not in info " + info);
            }
        }
    }

    public long seq() { return seq; }
    public int vcpu() { return vcpu; }
    public boolean intel() { return intel; }
    public String vendor() { return intel ? "intel" : "amd"; }
    public long cycle() { return cycle; }
    public long cost() { return cost; }
    public ExitKind kind() { return kind; }
    /** The vendor's name of the exit ("EPT violation (48)", "VMEXIT_NPF (0x400)"). */
    public String rawName() { return rawName; }
    public Map<String, String> raw() { return raw; }
    public Map<String, String> info() { return info; }
    public List<String> keyFields() { return keyFields; }
    public Map<String, String> results() { return results; }

    /** What aligns two exits: vCPU, kind and the key fields' values ("0 io port=0x80 in=false"). */
    public String key() {
        StringBuilder b = new StringBuilder().append(vcpu).append(' ').append(kind.traceName());
        for (String k : keyFields) {
            b.append(' ').append(k).append('=').append(info.get(k));
        }
        return b.toString();
    }

    /** One-line summary for text output: kind and key fields. */
    public String summary() {
        StringBuilder b = new StringBuilder(kind.traceName());
        for (String k : keyFields) {
            b.append(' ').append(k).append('=').append(info.get(k));
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return vendor() + " #" + seq + " " + summary() + " " + info + " -> " + results;
    }
}
