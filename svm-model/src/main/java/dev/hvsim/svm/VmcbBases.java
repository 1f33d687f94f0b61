package dev.hvsim.svm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Valid VMCBs for {@code hvsim check-vmcb} and tests, by VMCB field name of {@code vmcb-layout.csv}
 * ({@code control.NAME}, {@code save.NAME}); fields not named are 0. Each base passes every VMRUN rule on the
 * amd-zen profile. {@code long-mode-guest}: 64-bit flat guest with 4-level paging at CR3 = 0x100000;
 * {@code protected-mode-guest}: 32-bit flat guest without paging; {@code nested-paging-guest}: the long-mode guest with
 * nested paging on (NP_ENABLE, N_CR3 = 0x180000, G_PAT = the power-on PAT; APM Vol. 2 15.25.3, 15.25.4).
 */
public final class VmcbBases {
    public static final String LONG_MODE = "long-mode-guest", PROTECTED_MODE = "protected-mode-guest",
            NESTED_PAGING = "nested-paging-guest";
    public static final List<String> NAMES = List.of(LONG_MODE, PROTECTED_MODE, NESTED_PAGING);

    private VmcbBases() {}

    /** The base {@code name}; IllegalArgumentException naming the known bases otherwise. */
    public static Map<String, Long> base(String name) {
        Map<String, Long> m = new LinkedHashMap<>();
        boolean lm;
        switch (name) {
            case LONG_MODE: lm = true; break;
            case PROTECTED_MODE: lm = false; break;
            case NESTED_PAGING: lm = true; break;
            default: throw new IllegalArgumentException("unknown base '" + name + "' (" + String.join(", ", NAMES) + ")");
        }
        m.put("control.INTERCEPT_MISC2", 1L);                 // VMRUN intercept (word 4 bit 0)
        m.put("control.IOPM_BASE_PA", 0x10000L);
        m.put("control.MSRPM_BASE_PA", 0x14000L);
        m.put("control.GUEST_ASID", 1L);
        if (name.equals(NESTED_PAGING)) {
            m.put("control.NESTED_CTL", 1L);                  // NP_ENABLE
            m.put("control.N_CR3", 0x180000L);
            m.put("save.G_PAT", 0x0007040600070406L);        // the power-on PAT: WB WT UC- UC, twice
        }
        for (String s : new String[] {"ES", "SS", "DS"}) {
            m.put("save." + s + ".selector", 0x10L);
            m.put("save." + s + ".attrib", 0xc93L);        // P, DPL 0, data RW accessed, G, D/B
            m.put("save." + s + ".limit", 0xffffffffL);
        }
        m.put("save.CS.selector", 0x8L);
        m.put("save.CS.attrib", lm ? 0xa9bL : 0xc9bL);       // code XR accessed, G, L (64-bit) or D (32-bit)
        m.put("save.CS.limit", 0xffffffffL);
        m.put("save.GDTR.limit", 0x1fL);
        m.put("save.GDTR.base", 0x1000L);
        m.put("save.IDTR.limit", 0xfffL);
        m.put("save.IDTR.base", 0x2000L);
        m.put("save.EFER", lm ? 0x1d00L : 0x1000L);          // SVME (+ LME LMA NXE)
        m.put("save.CR4", lm ? 0x20L : 0L);                  // PAE
        m.put("save.CR3", lm ? 0x100000L : 0L);
        m.put("save.CR0", lm ? 0x80000031L : 0x31L);         // PE ET NE (+ PG)
        m.put("save.DR7", 0x400L);
        m.put("save.DR6", 0xffff0ff0L);
        m.put("save.RFLAGS", 2L);
        m.put("save.RIP", 0x200000L);
        m.put("save.RSP", 0x38000L);
        return Collections.unmodifiableMap(m);
    }
}
