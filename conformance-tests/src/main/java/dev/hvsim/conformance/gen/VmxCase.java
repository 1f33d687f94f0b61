package dev.hvsim.conformance.gen;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.VmcsBases;
import dev.hvsim.vmx.VmcsChecker;
import dev.hvsim.vmx.Violation;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One VM-entry test case: a VMCS (every field that is not 0), the physical memory the checks read (MSR-load area,
 * PDPTEs, VMCS link pointer), and the processor executing VMLAUNCH (IA-32e mode or not), for a {@link VmxCpu}.
 * Immutable; the {@code with...} methods return changed copies. {@link #check()} is exactly what
 * {@code hvsim check-vmcs} computes for the case's reproduction file.
 *
 * @param cpu          profile and capability set
 * @param mode         the guest mode the case was generated for
 * @param fields       VMCS field values (absent = 0)
 * @param memory       quadwords by 8-aligned physical address
 * @param processorLma whether VMLAUNCH executes in IA-32e mode (IA32_EFER.LMA, SDM 28.2.4)
 */
public record VmxCase(VmxCpu cpu, GuestMode mode, Map<VmcsField, Long> fields, Map<Long, Long> memory,
        boolean processorLma) {

    /** Processor CR0/CR4/EFER at VMLAUNCH in IA-32e mode and outside it (32-bit paging host). */
    public static final long CR0 = VmcsChecker.DEFAULT_CR0, CR4_LMA = VmcsChecker.DEFAULT_CR4, CR4_LEGACY = 0x2000L,
            EFER_LMA = VmcsChecker.DEFAULT_EFER, EFER_LEGACY = 0;

    public VmxCase {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        memory = Collections.unmodifiableMap(new TreeMap<>(memory));
    }

    /** The case of a {@link VmcsBases} base, unchanged. */
    public static VmxCase ofBase(VmxCpu cpu, GuestMode mode) {
        return new VmxCase(cpu, mode, VmcsBases.base(mode.base()), Map.of(), true);
    }

    public long get(String field) {
        return fields.getOrDefault(field(field), 0L);
    }

    public VmxCase with(String field, long value) {
        return with(field(field), value);
    }

    public VmxCase with(VmcsField f, long value) {
        Map<VmcsField, Long> m = new LinkedHashMap<>(fields);
        m.put(f, value & f.valueMask());
        return new VmxCase(cpu, mode, m, memory, processorLma);
    }

    public VmxCase withMemory(long address, long qword) {
        Map<Long, Long> m = new TreeMap<>(memory);
        m.put(address & ~7L, qword);
        return new VmxCase(cpu, mode, fields, m, processorLma);
    }

    public VmxCase withMemory(Map<Long, Long> memory) {
        return new VmxCase(cpu, mode, fields, memory, processorLma);
    }

    public VmxCase withFields(Map<VmcsField, Long> fields) {
        return new VmxCase(cpu, mode, fields, memory, processorLma);
    }

    public VmxCase withProcessorLma(boolean lma) {
        return new VmxCase(cpu, mode, fields, memory, lma);
    }

    public long processorCr0() { return CR0; }

    public long processorCr4() { return processorLma ? CR4_LMA : CR4_LEGACY; }

    public long processorEfer() { return processorLma ? EFER_LMA : EFER_LEGACY; }

    /** The VM-entry checks of vmx-model on this case (what check-vmcs reports). */
    public EntryOutcome check() {
        return VmcsChecker.check(cpu.profile(), cpu.caps(), fields, memory, processorCr0(), processorCr4(),
                processorEfer());
    }

    /** The ids of every violated rule ({@link EntryOutcome#all()}). */
    public static List<String> ids(List<Violation> vs) {
        return vs.stream().map(Violation::id).toList();
    }

    public static VmcsField field(String name) {
        return VmcsFields.get().lookup(name);
    }

    /** The field named {@code name}, if the catalogue has it. */
    public static java.util.Optional<VmcsField> fieldOpt(String name) {
        return VmcsFields.get().find(name);
    }
}
