package dev.hvsim.vmx;

import dev.hvsim.vmx.EntryRule.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * VM-entry MSR loading (SDM Vol. 3C 28.4): the entries of the VM-entry MSR-load area (16 bytes each: index in bits
 * 31:0, reserved bits 63:32, data in the second quadword) in order. The first entry that breaks a rule ends VM
 * entry with exit reason 34 and the entry's index plus one as qualification.
 */
final class MsrLoadRules {
    private MsrLoadRules() {}

    static final long IA32_FS_BASE = 0xc0000100L, IA32_GS_BASE = 0xc0000101L, IA32_SMM_MONITOR_CTL = 0x9b,
            IA32_BIOS_UPDT_TRIG = 0x79;

    private static EntryRule rule(String id, String hint) {
        return new EntryRule(id, "28.4", Kind.MSR_LOAD, List.of("VM_ENTRY_MSR_LOAD_ADDR", "VM_ENTRY_MSR_LOAD_COUNT"),
                hint, 0, s -> false);
    }

    static final EntryRule RSVD = rule("MSR-RSVD", "Clear bits 63:32 of each MSR-load entry's first quadword.");
    static final EntryRule FS_GS_BASE = rule("MSR-FS-GS-BASE",
            "Load FS and GS bases through the guest FS/GS base fields, not the MSR-load area.");
    static final EntryRule X2APIC = rule("MSR-X2APIC", "Do not load x2APIC MSRs (800H-8FFH) through the MSR-load area.");
    static final EntryRule SMM_ONLY = rule("MSR-SMM-ONLY",
            "Do not load MSRs writable only in SMM (IA32_SMM_MONITOR_CTL) outside SMM.");
    static final EntryRule MODEL_SPECIFIC = rule("MSR-MODEL-SPECIFIC",
            "Do not load MSRs the processor refuses on VM entry (IA32_BIOS_UPDT_TRIG).");
    static final EntryRule WRMSR_GP = rule("MSR-WRMSR-GP", "Load only values WRMSR at CPL 0 would accept.");

    static final List<EntryRule> ALL = List.of(RSVD, FS_GS_BASE, X2APIC, SMM_ONLY, MODEL_SPECIFIC, WRMSR_GP);

    /** The first failing entry: its 1-based number and the rule(s) it breaks; or number 0 when all pass. */
    record Result(long entry, List<Violation> violations) {}

    static Result check(EntryState s) {
        long count = s.get(F.VM_ENTRY_MSR_LOAD_COUNT), base = s.get(F.VM_ENTRY_MSR_LOAD_ADDR);
        EntryContext ctx = s.context();
        for (long i = 0; i < count; i++) { // a long index: the count is 32 bits (an int would wrap and loop forever)
            long lo = ctx.memory().read(base + 16L * i, 8), data = ctx.memory().read(base + 16L * i + 8, 8);
            long index = lo & 0xffffffffL;
            List<Violation> v = new ArrayList<>();
            String d = String.format("entry %d: MSR %xH, value %xH", i, index, data);
            if ((lo >>> 32) != 0) {
                v.add(new Violation(RSVD, d));
            }
            if (index == IA32_FS_BASE || index == IA32_GS_BASE) {
                v.add(new Violation(FS_GS_BASE, d));
            }
            if ((index >>> 8) == 0x8) {
                v.add(new Violation(X2APIC, d));
            }
            if (index == IA32_SMM_MONITOR_CTL) {
                v.add(new Violation(SMM_ONLY, d));
            }
            if (index == IA32_BIOS_UPDT_TRIG) {
                v.add(new Violation(MODEL_SPECIFIC, d));
            }
            if (v.isEmpty() && ctx.msrProbe().wouldFault(index, data)) {
                v.add(new Violation(WRMSR_GP, d));
            }
            if (!v.isEmpty()) {
                return new Result(i + 1, v);
            }
        }
        return PASSED;
    }

    /** Every entry loadable (also an empty area: the common case, without allocation). */
    private static final Result PASSED = new Result(0, List.of());
}
