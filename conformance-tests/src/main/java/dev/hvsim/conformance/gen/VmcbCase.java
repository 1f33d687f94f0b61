package dev.hvsim.conformance.gen;

import dev.hvsim.svm.VmcbBases;
import dev.hvsim.svm.VmcbChecker;
import dev.hvsim.svm.VmrunOutcome;
import dev.hvsim.svm.VmrunViolation;
import dev.hvsim.x86core.CpuProfile;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One VMRUN test case: VMCB fields by vmcb-layout.csv name ({@code save.CR0}, {@code control.GUEST_ASID}), the
 * physical memory the checks read (PAE PDPTEs) and the host's CR0 at VMRUN (nested paging needs host paging,
 * APM Vol. 2 15.25.3). Immutable. {@link #check()} is what {@code hvsim check-vmcb} computes for the reproduction
 * file.
 *
 * @param profile an SVM profile
 * @param base    the {@link VmcbBases} base the case starts from
 * @param fields  field values (absent = 0)
 * @param memory  quadwords by 8-aligned physical address
 * @param hostCr0 CR0 of the host executing VMRUN
 */
public record VmcbCase(CpuProfile profile, String base, Map<String, Long> fields, Map<Long, Long> memory,
        long hostCr0) {

    /** The host VmcbChecker assumes: a 64-bit host with paging (the reset CR0 plus PG and PE). */
    public static final long HOST_CR0 = 0xe0000011L;

    public VmcbCase {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        memory = Collections.unmodifiableMap(new TreeMap<>(memory));
    }

    public static VmcbCase ofBase(CpuProfile profile, String base) {
        return new VmcbCase(profile, base, VmcbBases.base(base), Map.of(), HOST_CR0);
    }

    public long get(String field) {
        return fields.getOrDefault(field, 0L);
    }

    public VmcbCase with(String field, long value) {
        Map<String, Long> m = new LinkedHashMap<>(fields);
        m.put(field, value & VmcbChecker.Slot.of(field).mask());
        return new VmcbCase(profile, base, m, memory, hostCr0);
    }

    public VmcbCase withFields(Map<String, Long> fields) {
        return new VmcbCase(profile, base, fields, memory, hostCr0);
    }

    public VmcbCase withMemory(long address, long qword) {
        Map<Long, Long> m = new TreeMap<>(memory);
        m.put(address & ~7L, qword);
        return new VmcbCase(profile, base, fields, m, hostCr0);
    }

    public VmcbCase withMemory(Map<Long, Long> memory) {
        return new VmcbCase(profile, base, fields, memory, hostCr0);
    }

    public VmcbCase withHostCr0(long cr0) {
        return new VmcbCase(profile, base, fields, memory, cr0);
    }

    /** The 4 KiB VMCB image. */
    public byte[] image() {
        return VmcbChecker.image(fields);
    }

    /** The VMRUN checks of svm-model on this case (what check-vmcb reports). */
    public VmrunOutcome check() {
        return VmcbChecker.check(profile, image(), memory, hostCr0);
    }

    /** The fields that differ from the base. */
    public Map<String, Long> diffFromBase() {
        Map<String, Long> b = VmcbBases.base(base);
        Map<String, Long> d = new LinkedHashMap<>();
        b.forEach((k, v) -> {
            if (get(k) != v) {
                d.put(k, get(k));
            }
        });
        fields.forEach((k, v) -> {
            if (!b.containsKey(k) && v != 0) {
                d.put(k, v);
            }
        });
        return d;
    }

    public static List<String> ids(List<VmrunViolation> vs) {
        return vs.stream().map(VmrunViolation::id).toList();
    }
}
