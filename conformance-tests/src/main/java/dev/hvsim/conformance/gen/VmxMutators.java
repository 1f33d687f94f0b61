package dev.hvsim.conformance.gen;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmx.EntryChecks;
import dev.hvsim.vmx.EntryOutcome;
import dev.hvsim.vmx.EntryRule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * For every VM-entry rule ({@link EntryChecks#rules()}), a mutator that breaks exactly that rule of a valid case and
 * nothing else ("repair, then flip one thing": the input is valid, the output violates the rule and only it, as
 * {@link EntryOutcome#all()} says). The mutations are searched, not listed: single changes of the rule's own fields
 * (each bit flipped, 0, all ones, the processor outside IA-32e mode), then random pairs and triples of them, then
 * the memory-backed mutations of {@link #memoryMutations} (MSR-load entries, PDPTEs, the VMCS link pointer). A rule
 * added to vmx-model is covered as soon as flipping its fields can break it alone; the coverage check of the
 * conformance suite fails otherwise.
 */
public final class VmxMutators {
    private static final int PAIR_TRIES = 300;

    /**
     * Recipes for rules a random flip of their own fields rarely isolates (a control must be enabled together with
     * the field it guards, an event of a given type injected, ...), in the notation of vmx-model's EntryRulesTest:
     * {@code FIELD+bit} sets, {@code FIELD-bit} clears, {@code FIELD=value}, {@code mem:ADDR=qword}, {@code lma=0} the processor outside
     * IA-32e mode. They are applied to the random valid case and kept only when the result violates the rule alone.
     */
    public static final Map<String, String> RECIPES = Map.ofEntries(
            Map.entry("ASZ-HOST32", "lma=0 VM_EXIT_CONTROLS-9 HOST_CR4-5 HOST_RIP=0x100000000"),
            Map.entry("HOST-SS-NONNULL", "lma=0 VM_EXIT_CONTROLS-9 HOST_CR4-5 HOST_SS_SELECTOR=0"),
            Map.entry("CTRL-ENTRY-SMM", "VM_ENTRY_CONTROLS+10"),
            Map.entry("CTRL-EPTP-AD", "EPT_POINTER+6"),
            Map.entry("CTRL-TPR-THRESHOLD-VTPR", "CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x5000 TPR_THRESHOLD=3 "
                    + "mem:0x5080=0x20"),
            Map.entry("CTRL-TSC-MULTIPLIER", "CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+25 TSC_MULTIPLIER=0"),
            Map.entry("CTRL-SHADOW-VMCS-BITMAPS", "CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+14 "
                    + "VMREAD_BITMAP=0x5000 VMWRITE_BITMAP=0x6008"),
            Map.entry("CTRL-VMFUNC-RSVD", "CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+13 VM_FUNCTION_CONTROL=2"),
            Map.entry("CTRL-VMFUNC-EPTP-SWITCH", "CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+13 "
                    + "VM_FUNCTION_CONTROL=1 EPTP_LIST_ADDRESS=0x5008"),
            Map.entry("CTRL-INJ-INSTR-LEN", "VM_ENTRY_INTR_INFO_FIELD=0x80000403 VM_ENTRY_INSTRUCTION_LEN=16"),
            Map.entry("CTRL-INJ-ERRCODE-BIT", "VM_ENTRY_INTR_INFO_FIELD=0x8000030d"),
            Map.entry("CTRL-INJ-ERRCODE-VALUE", "VM_ENTRY_INTR_INFO_FIELD=0x80000b0d VM_ENTRY_EXCEPTION_ERROR_CODE=0x10000"),
            Map.entry("CTRL-MBEC-EPT", "CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+22 SECONDARY_VM_EXEC_CONTROL-1"),
            Map.entry("CTRL-PML-EPT", "CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+17 SECONDARY_VM_EXEC_CONTROL-1"),
            Map.entry("CTRL-NO-TPR-SHADOW", "CPU_BASED_VM_EXEC_CONTROL-21 CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+4"),
            Map.entry("CTRL-PI-VID", "PIN_BASED_VM_EXEC_CONTROL+7 VM_EXIT_CONTROLS+15 PIN_BASED_VM_EXEC_CONTROL+0"),
            Map.entry("CTRL-PI-ACK", "PIN_BASED_VM_EXEC_CONTROL+7 PIN_BASED_VM_EXEC_CONTROL+0 CPU_BASED_VM_EXEC_CONTROL+31 "
                    + "CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x5000 TPR_THRESHOLD=0 SECONDARY_VM_EXEC_CONTROL+9 "
                    + "VM_EXIT_CONTROLS-15"),
            Map.entry("CTRL-TPR-THRESHOLD-RSVD", "CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x5000 TPR_THRESHOLD=0x10"),
            Map.entry("CTRL-VAPIC-ADDR", "CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x10 TPR_THRESHOLD=0"),
            Map.entry("CTRL-VID-EXTINT", "CPU_BASED_VM_EXEC_CONTROL+31 CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x5000 "
                    + "TPR_THRESHOLD=0 SECONDARY_VM_EXEC_CONTROL+9 PIN_BASED_VM_EXEC_CONTROL-0"),
            Map.entry("CTRL-X2APIC-VS-APICACCESS", "CPU_BASED_VM_EXEC_CONTROL+31 CPU_BASED_VM_EXEC_CONTROL+21 "
                    + "VIRTUAL_APIC_PAGE_ADDR=0x5000 TPR_THRESHOLD=0 SECONDARY_VM_EXEC_CONTROL+4 SECONDARY_VM_EXEC_CONTROL+0"),
            Map.entry("GUEST-ACTIVITY-HLT-DPL", "GUEST_ACTIVITY_STATE=1 GUEST_INTERRUPTIBILITY_INFO=0 VM_ENTRY_INTR_INFO_FIELD=0"),
            Map.entry("GUEST-ACTIVITY-SMM", "GUEST_ACTIVITY_STATE=3 VM_ENTRY_CONTROLS+10 VM_ENTRY_INTR_INFO_FIELD=0"),
            Map.entry("GUEST-ACTIVITY-INJ", "GUEST_ACTIVITY_STATE=1 GUEST_INTERRUPTIBILITY_INFO=0 "
                    + "VM_ENTRY_INTR_INFO_FIELD=0x80000306"),
            Map.entry("GUEST-INTR-NMI-STI", "VM_ENTRY_INTR_INFO_FIELD=0x80000202 GUEST_INTERRUPTIBILITY_INFO=1 GUEST_RFLAGS+9"),
            Map.entry("GUEST-PDPTE", "SECONDARY_VM_EXEC_CONTROL-1 SECONDARY_VM_EXEC_CONTROL-13 GUEST_CR4+5 "
                    + "GUEST_CR3=0x6000 mem:0x6000=0x1081"),
            Map.entry("GUEST-CR4-CET-WP", "GUEST_CR4+23 GUEST_CR0-16"),
            Map.entry("GUEST-DATA-DPL", "GUEST_DS_AR_BYTES=0xc093 GUEST_DS_SELECTOR=0x13"),
            Map.entry("GUEST-DEBUGCTL", "VM_ENTRY_CONTROLS+2 GUEST_IA32_DEBUGCTL=0x4"),
            Map.entry("GUEST-DR7", "VM_ENTRY_CONTROLS+2 GUEST_DR7=0x100000400"),
            Map.entry("GUEST-INTR-NMI-MOVSS", "VM_ENTRY_INTR_INFO_FIELD=0x80000202 GUEST_INTERRUPTIBILITY_INFO=2"),
            Map.entry("GUEST-INTR-VNMI", "PIN_BASED_VM_EXEC_CONTROL+3 PIN_BASED_VM_EXEC_CONTROL+5 "
                    + "VM_ENTRY_INTR_INFO_FIELD=0x80000202 GUEST_INTERRUPTIBILITY_INFO=8"),
            Map.entry("GUEST-LDTR-TI", "GUEST_LDTR_AR_BYTES=0x82 GUEST_LDTR_SELECTOR=0x24"),
            Map.entry("GUEST-RFLAGS-VM", "GUEST_RFLAGS+17"),
            Map.entry("GUEST-SS-DPL", "GUEST_CS_AR_BYTES=0x93 GUEST_SS_AR_BYTES=0xb3"));

    /**
     * Rules that cannot be violated alone, with the rules that necessarily fail with them (SDM Vol. 3C 28.3.1.5:
     * the SMM-related checks need "entry to SMM", which outside SMM is itself a failure).
     */
    public static final Map<String, Set<String>> COMPANIONS = Map.of(
            // 28.3.1.5: "blocking by SMI" must be 1 with "entry to SMM" and 0 outside SMM (the model is never in SMM)
            "CTRL-ENTRY-SMM", Set.of("GUEST-INTR-SMI"),
            "GUEST-ACTIVITY-SMM", Set.of("CTRL-ENTRY-SMM", "GUEST-INTR-SMI"),
            // 28.3.1.4 / 28.3.1.2: RFLAGS.VM in IA-32e mode or with CR0.PE = 0, while the segments keep their
            // non-virtual-8086 shape (a virtual-8086 shape is itself illegal in those modes)
            "GUEST-RFLAGS-VM", Set.of("GUEST-V86-SEGS"));

    private final VmxEvaluator eval;

    public VmxMutators(VmxEvaluator eval) {
        this.eval = eval;
    }

    public VmxEvaluator evaluator() {
        return eval;
    }

    /** The rule with this id (IllegalArgumentException if vmx-model has none). */
    public static EntryRule rule(String id) {
        return EntryChecks.rules().stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no VM-entry rule " + id));
    }

    /** A copy of {@code valid} in which {@code rule} is the only violated rule, or empty if none was found. */
    public Optional<VmxCase> breakOnly(EntryRule rule, VmxCase valid, SplittableRandom r) {
        String recipe = RECIPES.get(rule.id());
        if (recipe != null) {
            VmxCase c = apply(recipe, valid);
            if (onlyViolates(c, rule)) {
                return Optional.of(c);
            }
        }
        List<UnaryOperator<VmxCase>> singles = candidates(rule, valid);
        shuffle(singles, r);
        for (UnaryOperator<VmxCase> m : singles) {
            VmxCase c = m.apply(valid);
            if (onlyViolates(c, rule)) {
                return Optional.of(c);
            }
        }
        for (UnaryOperator<VmxCase> m : memoryMutations(rule, valid, r)) {
            VmxCase c = m.apply(valid);
            if (onlyViolates(c, rule)) {
                return Optional.of(c);
            }
        }
        if (singles.size() > 1) {
            for (int i = 0; i < PAIR_TRIES; i++) {
                VmxCase c = singles.get(r.nextInt(singles.size())).apply(singles.get(r.nextInt(singles.size())).apply(valid));
                if (i % 2 == 1) {
                    c = singles.get(r.nextInt(singles.size())).apply(c);
                }
                if (onlyViolates(c, rule)) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether the case violates exactly {@code rule} (and its {@link #COMPANIONS}), every group considered. */
    public boolean onlyViolates(VmxCase c, EntryRule rule) {
        EntryOutcome o = eval.check(c);
        Set<String> expected = new HashSet<>(COMPANIONS.getOrDefault(rule.id(), Set.of()));
        expected.add(rule.id());
        return o.all().size() == expected.size() && expected.equals(new HashSet<>(VmxCase.ids(o.all())));
    }

    /** Applies a recipe ({@link #RECIPES} notation). */
    public static VmxCase apply(String recipe, VmxCase c) {
        for (String m : recipe.trim().split("\\s+")) {
            if (m.equals("lma=0")) {
                c = c.withProcessorLma(false);
            } else if (m.startsWith("mem:")) {
                String[] kv = m.substring(4).split("=");
                c = c.withMemory(Long.decode(kv[0]), Long.decode(kv[1]));
            } else if (m.contains("=")) {
                String[] kv = m.split("=");
                c = c.with(kv[0], Long.decode(kv[1]));
            } else {
                int i = Math.max(m.lastIndexOf('+'), m.lastIndexOf('-'));
                String f = m.substring(0, i);
                long bit = 1L << Integer.parseInt(m.substring(i + 1));
                c = c.with(f, m.charAt(i) == '+' ? c.get(f) | bit : c.get(f) & ~bit);
            }
        }
        return c;
    }

    private static <T> void shuffle(List<T> l, SplittableRandom r) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            T t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
    }

    /** Single changes of the rule's fields: each bit flipped, 0, all ones; the processor outside IA-32e mode. */
    static List<UnaryOperator<VmxCase>> candidates(EntryRule rule, VmxCase valid) {
        List<UnaryOperator<VmxCase>> out = new ArrayList<>();
        for (String name : rule.fields()) {
            VmcsField f = VmcsFields.get().find(name).orElse(null);
            if (f == null) {
                continue;
            }
            long mask = f.valueMask();
            for (int b = 0; b < 64; b++) {
                if ((mask >>> b & 1) != 0) {
                    long bit = 1L << b;
                    out.add(c -> c.with(f, c.fields().getOrDefault(f, 0L) ^ bit));
                }
            }
            out.add(c -> c.with(f, 0));
            out.add(c -> c.with(f, mask));
        }
        out.add(c -> c.withProcessorLma(!c.processorLma()));
        return out;
    }

    /** Mutations of the memory VM entry reads: MSR-load entries (28.4), PDPTEs (28.3.1.6), the link pointer (28.3.1.5). */
    static List<UnaryOperator<VmxCase>> memoryMutations(EntryRule rule, VmxCase valid, SplittableRandom r) {
        List<UnaryOperator<VmxCase>> out = new ArrayList<>();
        long area = 0x3000_0000L + 16L * r.nextInt(256);
        long[][] entries = {
            {0x277, 0x0007040600070406L | 0x2}, // IA32_PAT with a reserved memory type: WRMSR #GP
            {0xc0000100L, 0}, {0xc0000101L, 0}, // FS/GS base: not loadable from the list
            {0x808, 0}, {0x80f, 0},             // x2APIC MSRs
            {0x9b, 0},                          // IA32_SMM_MONITOR_CTL
            {0x79, 0},                          // IA32_BIOS_UPDT_TRIG: model-specific
            {0x277, 0x0007040600070406L, 1},    // reserved bits of an entry (bits 63:32 of the first qword)
        };
        for (long[] e : entries) {
            out.add(c -> {
                int n = 1 + r.nextInt(3);
                VmxCase d = c.with("VM_ENTRY_MSR_LOAD_COUNT", n).with("VM_ENTRY_MSR_LOAD_ADDR", area);
                for (int i = 0; i < n - 1; i++) {               // valid entries first: IA32_SYSENTER_CS
                    d = d.withMemory(area + 16L * i, 0x174).withMemory(area + 16L * i + 8, r.nextInt() & 0xffffffffL);
                }
                long first = e[0] | (e.length > 2 ? 1L << 32 : 0);
                return d.withMemory(area + 16L * (n - 1), first).withMemory(area + 16L * (n - 1) + 8, e[1]);
            });
        }
        // a PAE guest (32-bit paging -> PAE) whose PDPTE 0 sets a reserved bit, without EPT
        out.add(c -> {
            long cr3 = 0x6000L + 32L * r.nextInt(64);
            return c.with("GUEST_CR4", c.get("GUEST_CR4") | 1L << 5).with("GUEST_CR3", cr3)
                    .withMemory(cr3 + 8L * r.nextInt(4), 0x1000L | 1 | 1L << (5 + r.nextInt(4))) /* bits 8:5 */;
        });
        // the VMCS link pointer: not all ones, pointing at memory without the right revision id
        out.add(c -> c.with("VMCS_LINK_POINTER", 0x5000L + 0x1000L * r.nextInt(16)));
        return out;
    }
}
