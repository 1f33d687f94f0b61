package dev.hvsim.vmx;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Valid starting VMCS states for the intel-core capability set: each passes every VM-entry check of
 * {@link EntryChecks} with a 64-bit host (the processor in IA-32e mode at VMLAUNCH). Tests mutate one field of a
 * base and expect one rule to fail; {@code hvsim check-vmcs} starts from them.
 *
 * <ul>
 *   <li>{@code long-mode-guest}: a 64-bit guest (IA-32e mode guest, CS.L = 1, 4-level paging at CR3 1000H)</li>
 *   <li>{@code protected-mode-guest}: a 32-bit protected-mode guest with 32-bit paging (CR0.PG is fixed to 1 without
 *       unrestricted guest)</li>
 *   <li>{@code real-mode-guest}: a real-mode guest (CR0.PE = CR0.PG = 0) under "unrestricted guest" and "enable
 *       EPT" (SDM Vol. 3C 28.2.1.1, 28.3.1.1-2), EPTP 5000H (write-back, 4-level); the EPT tables themselves are
 *       not read by the checks</li>
 * </ul>
 */
public final class VmcsBases {
    public static final String LONG_MODE = "long-mode-guest", PROTECTED_MODE = "protected-mode-guest",
            REAL_MODE = "real-mode-guest";

    private VmcsBases() {}

    public static List<String> names() {
        return List.of(LONG_MODE, PROTECTED_MODE, REAL_MODE);
    }

    /** The base's fields in a readable order; IllegalArgumentException for an unknown name. */
    public static Map<VmcsField, Long> base(String name) {
        Map<String, Long> m = new LinkedHashMap<>();
        boolean lm;
        if (LONG_MODE.equals(name) || REAL_MODE.equals(name)) {
            lm = LONG_MODE.equals(name);
        } else if (PROTECTED_MODE.equals(name)) {
            lm = false;
        } else {
            throw new IllegalArgumentException("unknown base '" + name + "' (known: " + String.join(", ", names()) + ")");
        }
        controls(m, lm);
        host(m);
        guest(m, lm);
        if (REAL_MODE.equals(name)) {
            realMode(m);
        }
        Map<VmcsField, Long> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(VmcsFields.get().byName(k), v));
        return Collections.unmodifiableMap(out);
    }

    private static void controls(Map<String, Long> m, boolean lm) {
        m.put("PIN_BASED_VM_EXEC_CONTROL", 0x16L);                 // default1 bits only
        m.put("CPU_BASED_VM_EXEC_CONTROL", 0x04006172L | 1L << 7 | 1L << 24); // + HLT exiting, unconditional I/O exiting
        m.put("EXCEPTION_BITMAP", 0L);
        m.put("PAGE_FAULT_ERROR_CODE_MASK", 0L);
        m.put("PAGE_FAULT_ERROR_CODE_MATCH", 0L);
        m.put("CR3_TARGET_COUNT", 0L);
        m.put("CR0_GUEST_HOST_MASK", 0L);
        m.put("CR4_GUEST_HOST_MASK", 0L);
        m.put("CR0_READ_SHADOW", 0L);
        m.put("CR4_READ_SHADOW", 0L);
        m.put("VM_EXIT_CONTROLS", 0x36dfbL | 1L << 9);            // + host address-space size
        m.put("VM_EXIT_MSR_STORE_COUNT", 0L);
        m.put("VM_EXIT_MSR_LOAD_COUNT", 0L);
        m.put("VM_ENTRY_CONTROLS", 0x11fbL | (lm ? 1L << 9 : 0));   // + IA-32e mode guest
        m.put("VM_ENTRY_MSR_LOAD_COUNT", 0L);
        m.put("VM_ENTRY_INTR_INFO_FIELD", 0L);
        m.put("VMCS_LINK_POINTER", -1L);
    }

    /** "Unrestricted guest" with "enable EPT": CR0.PE = PG = 0, real-mode segments, the IVT at 0. */
    private static void realMode(Map<String, Long> m) {
        m.put("CPU_BASED_VM_EXEC_CONTROL", m.get("CPU_BASED_VM_EXEC_CONTROL") | 1L << 31); // activate secondary
        m.put("SECONDARY_VM_EXEC_CONTROL", 1L << 1 | 1L << 7);     // enable EPT, unrestricted guest
        m.put("EPT_POINTER", 0x5000L | 3 << 3 | 6);                 // WB, 4-level
        m.put("GUEST_CR0", 0x30L);                                  // NE, ET; PE = PG = 0
        m.put("GUEST_CR3", 0L);
        m.put("GUEST_CR4", 0x2000L);                                // VMXE
        m.put("GUEST_RSP", 0x8000L);
        m.put("GUEST_RIP", 0x7c00L);
        for (String sg : new String[] {"ES", "CS", "SS", "DS", "FS", "GS"}) {
            m.put("GUEST_" + sg + "_SELECTOR", 0L);
            m.put("GUEST_" + sg + "_BASE", 0L);
            m.put("GUEST_" + sg + "_LIMIT", 0xffffL);
            m.put("GUEST_" + sg + "_AR_BYTES", sg.equals("CS") ? 0x9bL : 0x93L); // 16-bit, DPL 0, accessed
        }
        m.put("GUEST_IDTR_BASE", 0L);
        m.put("GUEST_IDTR_LIMIT", 0x3ffL);
    }

    private static void host(Map<String, Long> m) {
        m.put("HOST_CR0", 0x80000031L);       // PG, NE, ET, PE
        m.put("HOST_CR3", 0x1000L);
        m.put("HOST_CR4", 0x2020L);           // VMXE, PAE
        m.put("HOST_ES_SELECTOR", 0x10L);
        m.put("HOST_CS_SELECTOR", 0x08L);
        m.put("HOST_SS_SELECTOR", 0x10L);
        m.put("HOST_DS_SELECTOR", 0x10L);
        m.put("HOST_FS_SELECTOR", 0L);
        m.put("HOST_GS_SELECTOR", 0L);
        m.put("HOST_TR_SELECTOR", 0x18L);
        m.put("HOST_FS_BASE", 0L);
        m.put("HOST_GS_BASE", 0L);
        m.put("HOST_TR_BASE", 0x3000L);
        m.put("HOST_GDTR_BASE", 0x2000L);
        m.put("HOST_IDTR_BASE", 0x2800L);
        m.put("HOST_IA32_SYSENTER_CS", 0L);
        m.put("HOST_IA32_SYSENTER_ESP", 0L);
        m.put("HOST_IA32_SYSENTER_EIP", 0L);
        m.put("HOST_RSP", 0x7000L);
        m.put("HOST_RIP", 0x400000L);
    }

    private static void guest(Map<String, Long> m, boolean lm) {
        m.put("GUEST_CR0", 0x80000031L);
        m.put("GUEST_CR3", 0x1000L);
        m.put("GUEST_CR4", lm ? 0x2020L : 0x2000L);
        m.put("GUEST_DR7", 0x400L);
        m.put("GUEST_RSP", 0x8000L);
        m.put("GUEST_RIP", 0x200000L);
        m.put("GUEST_RFLAGS", 0x2L);
        String[] segs = {"ES", "CS", "SS", "DS", "FS", "GS"};
        for (String sg : segs) {
            boolean cs = sg.equals("CS");
            m.put("GUEST_" + sg + "_SELECTOR", cs ? 0x08L : 0x10L);
            m.put("GUEST_" + sg + "_BASE", 0L);
            m.put("GUEST_" + sg + "_LIMIT", 0xffffffffL);
            // CS: type 11 (execute/read, accessed), S, P, G and L (64-bit) or D (32-bit); data: type 3, S, P, D/B, G
            m.put("GUEST_" + sg + "_AR_BYTES", cs ? (lm ? 0xa09bL : 0xc09bL) : 0xc093L);
        }
        m.put("GUEST_LDTR_SELECTOR", 0L);
        m.put("GUEST_LDTR_BASE", 0L);
        m.put("GUEST_LDTR_LIMIT", 0L);
        m.put("GUEST_LDTR_AR_BYTES", 0x10000L);  // unusable
        m.put("GUEST_TR_SELECTOR", 0x18L);
        m.put("GUEST_TR_BASE", 0x3000L);
        m.put("GUEST_TR_LIMIT", 0x67L);
        m.put("GUEST_TR_AR_BYTES", 0x8bL);       // busy 32/64-bit TSS, P
        m.put("GUEST_GDTR_BASE", 0x2000L);
        m.put("GUEST_GDTR_LIMIT", 0x3fL);
        m.put("GUEST_IDTR_BASE", 0x2800L);
        m.put("GUEST_IDTR_LIMIT", 0xfffL);
        m.put("GUEST_IA32_DEBUGCTL", 0L);
        m.put("GUEST_SYSENTER_CS", 0L);
        m.put("GUEST_SYSENTER_ESP", 0L);
        m.put("GUEST_SYSENTER_EIP", 0L);
        m.put("GUEST_INTERRUPTIBILITY_INFO", 0L);
        m.put("GUEST_ACTIVITY_STATE", 0L);
        m.put("GUEST_PENDING_DBG_EXCEPTIONS", 0L);
    }
}
