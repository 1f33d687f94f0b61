package dev.hvsim.vmx;

import static dev.hvsim.vmx.RuleFixtures.base;
import static dev.hvsim.vmx.RuleFixtures.check;
import static dev.hvsim.vmx.RuleFixtures.f;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.vmcs.VmcsField;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One test per implemented row of vmentry-checks.csv (SDM Vol. 3C 28.2-28.4): from a valid base, change what the
 * rule guards, expect the exact outcome (VMfailValid 7 / 8, exit reason 33 with its qualification, 34 with the entry
 * number) naming the rule; restore, expect "entered". The mutation column: {@code FIELD=value}, {@code FIELD+bit}
 * (set), {@code FIELD-bit} (clear), {@code mem:ADDR=qword}, {@code lma=0} (processor outside IA-32e mode),
 * {@code rich} (a capability set with more controls, for rules guarding controls the profile does not advertise).
 * A rule whose mutation necessarily breaks an earlier group too is checked in {@code all()} (last column "all").
 */
class EntryRulesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        CTRL-PIN-RESERVED          | long | PIN_BASED_VM_EXEC_CONTROL+8 |
        CTRL-PROC1-RESERVED        | long | CPU_BASED_VM_EXEC_CONTROL+0 |
        CTRL-PROC2-RESERVED        | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+15 |
        CTRL-PROC3-RESERVED        | long | rich CPU_BASED_VM_EXEC_CONTROL+17 TERTIARY_VM_EXEC_CONTROL+0 |
        CTRL-CR3-TARGET-COUNT      | long | CR3_TARGET_COUNT=5 |
        CTRL-IO-BITMAP-ADDR        | long | rich CPU_BASED_VM_EXEC_CONTROL+25 IO_BITMAP_A=0x1001 |
        CTRL-MSR-BITMAP-ADDR       | long | rich CPU_BASED_VM_EXEC_CONTROL+28 MSR_BITMAP=0x1004 |
        CTRL-VAPIC-ADDR            | long | rich CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x10 |
        CTRL-TPR-THRESHOLD-RSVD    | long | rich CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x5000 TPR_THRESHOLD=0x10 |
        CTRL-TPR-THRESHOLD-VTPR    | long | CPU_BASED_VM_EXEC_CONTROL+21 VIRTUAL_APIC_PAGE_ADDR=0x5000 TPR_THRESHOLD=3 mem:0x5080=0x20 |
        CTRL-NO-TPR-SHADOW         | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+4 |
        CTRL-NMI-VNMI              | long | PIN_BASED_VM_EXEC_CONTROL+5 |
        CTRL-VNMI-NMIWIN           | long | CPU_BASED_VM_EXEC_CONTROL+22 |
        CTRL-X2APIC-VS-APICACCESS  | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+4 SECONDARY_VM_EXEC_CONTROL+0 |
        CTRL-VID-EXTINT            | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+9 |
        CTRL-PI-VID                | long | rich PIN_BASED_VM_EXEC_CONTROL+7 |
        CTRL-PI-ACK                | long | rich PIN_BASED_VM_EXEC_CONTROL+7 |
        CTRL-VPID-NONZERO          | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+5 VIRTUAL_PROCESSOR_ID=0 |
        CTRL-PML-EPT               | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+17 |
        CTRL-UG-EPT                | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+7 |
        CTRL-MBEC-EPT              | long | rich CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+22 |
        CTRL-TSC-MULTIPLIER        | long | CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+25 TSC_MULTIPLIER=0 |
        CTRL-SHADOW-VMCS-BITMAPS   | long | CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+14 VMREAD_BITMAP=0x5000 VMWRITE_BITMAP=0x6008 |
        CTRL-VMFUNC-RSVD           | long | CPU_BASED_VM_EXEC_CONTROL+31 SECONDARY_VM_EXEC_CONTROL+13 VM_FUNCTION_CONTROL=2 |
        CTRL-VMFUNC-EPTP-SWITCH    | real | SECONDARY_VM_EXEC_CONTROL+13 VM_FUNCTION_CONTROL=1 EPTP_LIST_ADDRESS=0x5008 |
        CTRL-EPTP-MEMTYPE          | real | EPT_POINTER=0x501d |
        CTRL-EPTP-WALK             | real | EPT_POINTER=0x5016 |
        CTRL-EPTP-AD               | real | noad EPT_POINTER+6 |
        CTRL-EPTP-RSVD             | real | EPT_POINTER+8 |
        CTRL-EXIT-RESERVED         | long | VM_EXIT_CONTROLS+12 |
        CTRL-EXIT-PREEMPT-SAVE     | long | rich VM_EXIT_CONTROLS+22 |
        CTRL-EXIT-MSR-STORE        | long | VM_EXIT_MSR_STORE_COUNT=1 VM_EXIT_MSR_STORE_ADDR=0x5008 |
        CTRL-EXIT-MSR-LOAD         | long | VM_EXIT_MSR_LOAD_COUNT=1 VM_EXIT_MSR_LOAD_ADDR=0x5004 |
        CTRL-ENTRY-RESERVED        | long | VM_ENTRY_CONTROLS+13 |
        CTRL-ENTRY-SMM             | long | VM_ENTRY_CONTROLS+10 |
        CTRL-ENTRY-MSR-LOAD        | long | VM_ENTRY_MSR_LOAD_COUNT=1 VM_ENTRY_MSR_LOAD_ADDR=0x5001 |
        CTRL-INJ-TYPE              | long | VM_ENTRY_INTR_INFO_FIELD=0x80000120 |
        CTRL-INJ-TYPE              | long | VM_ENTRY_INTR_INFO_FIELD=0x80000700 |
        CTRL-INJ-VECTOR            | long | CPU_BASED_VM_EXEC_CONTROL+27 VM_ENTRY_INTR_INFO_FIELD=0x80000701 |
        CTRL-INJ-VECTOR            | long | VM_ENTRY_INTR_INFO_FIELD=0x80000203 |
        CTRL-INJ-ERRCODE-BIT       | long | VM_ENTRY_INTR_INFO_FIELD=0x8000030d |
        CTRL-INJ-RSVD              | long | VM_ENTRY_INTR_INFO_FIELD=0x80001b0d |
        CTRL-INJ-ERRCODE-VALUE     | long | VM_ENTRY_INTR_INFO_FIELD=0x80000b0d VM_ENTRY_EXCEPTION_ERROR_CODE=0x10000 |
        CTRL-INJ-INSTR-LEN         | long | VM_ENTRY_INTR_INFO_FIELD=0x80000403 VM_ENTRY_INSTRUCTION_LEN=16 |
        HOST-CR0-FIXED             | long | HOST_CR0-5 |
        HOST-CR4-FIXED             | long | HOST_CR4-13 |
        HOST-CR3-RSVD              | long | HOST_CR3=0x4000000000000000 |
        HOST-SYSENTER-CANON        | long | HOST_IA32_SYSENTER_EIP=0x8000000000000000 |
        HOST-PAT                   | long | VM_EXIT_CONTROLS+19 HOST_IA32_PAT=0x2 |
        HOST-EFER                  | long | VM_EXIT_CONTROLS+21 HOST_IA32_EFER=0x100 |
        HOST-SEL-RPL-TI            | long | HOST_DS_SELECTOR=0x13 |
        HOST-CS-NONNULL            | long | HOST_CS_SELECTOR=0 |
        HOST-TR-NONNULL            | long | HOST_TR_SELECTOR=0 |
        HOST-SS-NONNULL            | prot | lma=0 VM_EXIT_CONTROLS-9 HOST_SS_SELECTOR=0 |
        HOST-BASES-CANON           | long | HOST_GS_BASE=0x8000000000000000 |
        ASZ-OUTSIDE-IA32E          | long | lma=0 |
        ASZ-IN-IA32E               | long | VM_EXIT_CONTROLS-9 |
        ASZ-HOST64-PAE             | long | HOST_CR4-5 |
        ASZ-HOST32                 | prot | lma=0 VM_EXIT_CONTROLS-9 HOST_RIP=0x100000000 |
        GUEST-CR0-FIXED            | long | GUEST_CR0-5 |
        GUEST-CR0-PG-PE            | long | GUEST_CR0-0 |
        GUEST-CR4-FIXED            | long | GUEST_CR4-13 |
        GUEST-CR4-CET-WP           | long | GUEST_CR4+23 |
        GUEST-DR7                  | long | VM_ENTRY_CONTROLS+2 GUEST_DR7=0x100000400 |
        GUEST-DEBUGCTL             | long | VM_ENTRY_CONTROLS+2 GUEST_IA32_DEBUGCTL=0x4 |
        GUEST-SYSENTER-CANON       | long | GUEST_SYSENTER_ESP=0x8000000000000000 |
        GUEST-PAT                  | long | VM_ENTRY_CONTROLS+14 GUEST_IA32_PAT=0x2 |
        GUEST-EFER                 | long | VM_ENTRY_CONTROLS+15 GUEST_IA32_EFER=0 |
        GUEST-IA32E-PG-PAE         | long | GUEST_CR4-5 |
        GUEST-TR-TI                | long | GUEST_TR_SELECTOR=0x1c |
        GUEST-LDTR-TI              | long | GUEST_LDTR_AR_BYTES=0x82 GUEST_LDTR_SELECTOR=0x24 |
        GUEST-SS-RPL               | long | GUEST_SS_SELECTOR=0x13 |
        GUEST-V86-SEGS             | prot | GUEST_RFLAGS=0x20002 |
        GUEST-BASES-CANON          | long | GUEST_FS_BASE=0x8000000000000000 |
        GUEST-CS-TYPE              | long | GUEST_CS_AR_BYTES=0xa093 |
        GUEST-SS-TYPE              | long | GUEST_SS_AR_BYTES=0xc091 |
        GUEST-DATA-TYPE            | long | GUEST_DS_AR_BYTES=0xc092 |
        GUEST-S-BIT                | long | GUEST_DS_AR_BYTES=0xc083 |
        GUEST-CS-DPL               | long | GUEST_CS_AR_BYTES=0xa0bb |
        GUEST-SS-DPL               | long | GUEST_SS_AR_BYTES=0xc0b3 |
        GUEST-DATA-DPL             | long | GUEST_DS_SELECTOR=0x13 |
        GUEST-PRESENT              | long | GUEST_ES_AR_BYTES=0xc013 |
        GUEST-AR-RSVD              | long | GUEST_FS_AR_BYTES=0xc193 |
        GUEST-AR-GRAN              | long | GUEST_GS_LIMIT=0xffffe000 |
        GUEST-CS-LD                | long | GUEST_CS_AR_BYTES=0xe09b |
        GUEST-TR-TYPE              | long | GUEST_TR_AR_BYTES=0x83 |
        GUEST-LDTR-TYPE            | long | GUEST_LDTR_AR_BYTES=0x83 |
        GUEST-DT-BASE              | long | GUEST_IDTR_BASE=0x8000000000000000 |
        GUEST-DT-LIMIT             | long | GUEST_GDTR_LIMIT=0x10000 |
        GUEST-RIP                  | prot | GUEST_RIP=0x100000000 |
        GUEST-RFLAGS-RSVD          | long | GUEST_RFLAGS=0 |
        GUEST-RFLAGS-VM            | long | GUEST_RFLAGS=0x20002 |
        GUEST-RFLAGS-IF-INJ        | long | VM_ENTRY_INTR_INFO_FIELD=0x80000020 |
        GUEST-ACTIVITY-RANGE       | long | GUEST_ACTIVITY_STATE=4 |
        GUEST-ACTIVITY-HLT-DPL     | long | GUEST_ACTIVITY_STATE=1 GUEST_SS_AR_BYTES=0xc0f3 |
        GUEST-ACTIVITY-BLOCKING    | long | GUEST_ACTIVITY_STATE=1 GUEST_INTERRUPTIBILITY_INFO=2 |
        GUEST-ACTIVITY-INJ         | long | GUEST_ACTIVITY_STATE=1 VM_ENTRY_INTR_INFO_FIELD=0x80000306 |
        GUEST-ACTIVITY-SMM         | long | rich GUEST_ACTIVITY_STATE=3 VM_ENTRY_CONTROLS+10 | all
        GUEST-INTR-RSVD            | long | GUEST_INTERRUPTIBILITY_INFO=0x10 |
        GUEST-INTR-STI-MOVSS       | long | GUEST_INTERRUPTIBILITY_INFO=3 GUEST_RFLAGS=0x202 |
        GUEST-INTR-STI-IF          | long | GUEST_INTERRUPTIBILITY_INFO=1 |
        GUEST-INTR-EXTINT          | long | VM_ENTRY_INTR_INFO_FIELD=0x80000020 GUEST_RFLAGS=0x202 GUEST_INTERRUPTIBILITY_INFO=1 |
        GUEST-INTR-NMI-MOVSS       | long | VM_ENTRY_INTR_INFO_FIELD=0x80000202 GUEST_INTERRUPTIBILITY_INFO=2 |
        GUEST-INTR-NMI-STI         | long | VM_ENTRY_INTR_INFO_FIELD=0x80000202 GUEST_INTERRUPTIBILITY_INFO=1 GUEST_RFLAGS=0x202 |
        GUEST-INTR-SMI             | long | GUEST_INTERRUPTIBILITY_INFO=4 |
        GUEST-INTR-VNMI            | long | PIN_BASED_VM_EXEC_CONTROL+3 PIN_BASED_VM_EXEC_CONTROL+5 VM_ENTRY_INTR_INFO_FIELD=0x80000202 GUEST_INTERRUPTIBILITY_INFO=8 |
        GUEST-PENDING-DBG          | long | GUEST_PENDING_DBG_EXCEPTIONS=0x10 |
        GUEST-VMCS-LINK            | long | VMCS_LINK_POINTER=0x5000 |
        GUEST-PDPTE                | prot | GUEST_CR4=0x2020 GUEST_CR3=0x6000 mem:0x6000=0x7 |
        MSR-RSVD                   | long | VM_ENTRY_MSR_LOAD_COUNT=1 VM_ENTRY_MSR_LOAD_ADDR=0x5000 mem:0x5000=0x100000277 mem:0x5008=0x0007040600070406 |
        MSR-FS-GS-BASE             | long | VM_ENTRY_MSR_LOAD_COUNT=1 VM_ENTRY_MSR_LOAD_ADDR=0x5000 mem:0x5000=0xc0000100 |
        MSR-X2APIC                 | long | VM_ENTRY_MSR_LOAD_COUNT=1 VM_ENTRY_MSR_LOAD_ADDR=0x5000 mem:0x5000=0x808 |
        MSR-SMM-ONLY               | long | VM_ENTRY_MSR_LOAD_COUNT=1 VM_ENTRY_MSR_LOAD_ADDR=0x5000 mem:0x5000=0x9b |
        MSR-MODEL-SPECIFIC         | long | VM_ENTRY_MSR_LOAD_COUNT=1 VM_ENTRY_MSR_LOAD_ADDR=0x5000 mem:0x5000=0x79 |
        MSR-WRMSR-GP               | long | VM_ENTRY_MSR_LOAD_COUNT=2 VM_ENTRY_MSR_LOAD_ADDR=0x5000 mem:0x5000=0x277 mem:0x5008=0x0007040600070406 mem:0x5010=0x277 mem:0x5018=0x2 |
        """)
    void rule(String id, String baseName, String mutation, String scope) {
        EntryRule rule = EntryChecks.rules().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
        String name = baseName.equals("long") ? VmcsBases.LONG_MODE
                : baseName.equals("real") ? VmcsBases.REAL_MODE : VmcsBases.PROTECTED_MODE;
        RuleFixtures.Env env = new RuleFixtures.Env();
        Map<VmcsField, Long> vmcs = base(name);
        Map<VmcsField, Long> original = Map.copyOf(vmcs);
        for (String m : mutation.trim().split("\\s+")) {
            apply(m, vmcs, env);
        }
        EntryOutcome o = check(vmcs, env);
        List<String> all = o.all().stream().map(Violation::id).collect(Collectors.toList());
        assertThat(all).as("all() of %s", id).contains(id);
        if (scope == null) {
            List<String> deciding = o.violations().stream().map(Violation::id).collect(Collectors.toList());
            assertThat(deciding).as("deciding rules").contains(id);
            expectOutcome(rule, o, mutation);
        }
        // restore (the base, the processor back in IA-32e mode, no memory, same capabilities): entered
        RuleFixtures.Env clean = new RuleFixtures.Env();
        clean.caps = env.caps;
        assertThat(check(original, clean).kind()).as("restored").isEqualTo(EntryOutcome.Kind.ENTERED);
    }

    private static void expectOutcome(EntryRule rule, EntryOutcome o, String mutation) {
        switch (rule.kind()) {
            case CONTROL:
                assertThat(o).isInstanceOf(EntryOutcome.VmFailValid.class);
                assertThat(((EntryOutcome.VmFailValid) o).error()).isEqualTo(7);
                break;
            case HOST:
                assertThat(o).isInstanceOf(EntryOutcome.VmFailValid.class);
                assertThat(((EntryOutcome.VmFailValid) o).error()).isEqualTo(8);
                break;
            case GUEST:
                assertThat(o).isInstanceOf(EntryOutcome.EntryFailureExit.class);
                assertThat(((EntryOutcome.EntryFailureExit) o).reason()).isEqualTo(33);
                assertThat(((EntryOutcome.EntryFailureExit) o).qualification()).isEqualTo(rule.qualification());
                break;
            default:
                assertThat(o).isInstanceOf(EntryOutcome.EntryFailureExit.class);
                assertThat(((EntryOutcome.EntryFailureExit) o).reason()).isEqualTo(34);
                long entries = mutation.contains("VM_ENTRY_MSR_LOAD_COUNT=2") ? 2 : 1;
                assertThat(((EntryOutcome.EntryFailureExit) o).qualification()).isEqualTo(entries);
        }
    }

    private static void apply(String m, Map<VmcsField, Long> vmcs, RuleFixtures.Env env) {
        if (m.equals("rich")) {
            env.caps = RuleFixtures.RICH;
        } else if (m.equals("noad")) {
            env.caps = RuleFixtures.withoutEptAccessedDirty(); // IA32_VMX_EPT_VPID_CAP[21] = 0
        } else if (m.equals("lma=0")) {
            env.lma = false; // the processor executes VMLAUNCH outside IA-32e mode
        } else if (m.startsWith("mem:")) {
            String[] kv = m.substring(4).split("=");
            env.memory.put(Long.decode(kv[0]), Long.parseUnsignedLong(kv[1].substring(2), 16));
        } else if (m.contains("=")) {
            String[] kv = m.split("=");
            String v = kv[1];
            vmcs.put(f(kv[0]), v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v));
        } else {
            int i = Math.max(m.lastIndexOf('+'), m.lastIndexOf('-'));
            VmcsField fl = f(m.substring(0, i));
            long bit = 1L << Integer.parseInt(m.substring(i + 1));
            long cur = vmcs.getOrDefault(fl, 0L);
            vmcs.put(fl, m.charAt(i) == '+' ? cur | bit : cur & ~bit);
        }
    }

    /**
     * GUEST-ACTIVITY-INJ (28.3.1.5) over activity state x injected event: HLT takes external interrupts, NMIs, #DB,
     * #MC and pending MTF; shutdown NMIs and #MC; wait-for-SIPI nothing; active everything.
     */
    @ParameterizedTest(name = "activity {0} inject {1}")
    @CsvSource({
        "0, 0x80000306, true", "1, 0x80000020, true", "1, 0x80000202, true", "1, 0x80000301, true",
        "1, 0x80000312, true", "1, 0x80000700, true", "1, 0x80000306, false", "1, 0x80000403, false",
        "2, 0x80000202, true", "2, 0x80000312, true", "2, 0x80000020, false", "2, 0x80000301, false",
        "3, 0x80000202, false", "3, 0x80000020, false", "3, 0x00000306, true"})
    void activityStateInjection(int activity, String info, boolean allowed) {
        Map<VmcsField, Long> vmcs = base(VmcsBases.LONG_MODE);
        vmcs.put(f("GUEST_ACTIVITY_STATE"), (long) activity);
        vmcs.put(f("VM_ENTRY_INTR_INFO_FIELD"), Long.decode(info));
        vmcs.put(f("GUEST_RFLAGS"), 0x202L); // an external interrupt is injected only with IF = 1 (GUEST-RFLAGS-IF-INJ)
        vmcs.put(f("CPU_BASED_VM_EXEC_CONTROL"), vmcs.get(f("CPU_BASED_VM_EXEC_CONTROL")) | 1L << 27); // MTF: type 7
        EntryOutcome o = check(vmcs, new RuleFixtures.Env());
        List<String> all = o.all().stream().map(Violation::id).collect(Collectors.toList());
        if (allowed) {
            assertThat(all).isEmpty();
            assertThat(o.kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
        } else {
            assertThat(all).containsExactly("GUEST-ACTIVITY-INJ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {VmcsBases.LONG_MODE, VmcsBases.PROTECTED_MODE, VmcsBases.REAL_MODE})
    void eachBaseEnters(String name) {
        assertThat(check(base(name), new RuleFixtures.Env()).all()).isEmpty();
        assertThat(check(base(name), new RuleFixtures.Env()).kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
        RuleFixtures.Env rich = new RuleFixtures.Env();
        rich.caps = RuleFixtures.RICH;
        assertThat(check(base(name), rich).kind()).isEqualTo(EntryOutcome.Kind.ENTERED);
    }

    /** With "unrestricted guest" PE and PG escape the CR0 fixed bits, but PG without PE still fails (28.3.1.1). */
    @Test
    void unrestrictedGuestLeavesPeAndPgFreeButNotPgWithoutPe() {
        Map<VmcsField, Long> vmcs = base(VmcsBases.REAL_MODE);
        vmcs.put(f("GUEST_CR0"), 0x30L | 1L << 31);
        EntryOutcome o = check(vmcs, new RuleFixtures.Env());
        assertThat(o.violations()).extracting(Violation::id).containsExactly("GUEST-CR0-PG-PE");
        assertThat(((EntryOutcome.EntryFailureExit) o).reason()).isEqualTo(33);
        Map<VmcsField, Long> noUg = base(VmcsBases.REAL_MODE);
        noUg.put(f("SECONDARY_VM_EXEC_CONTROL"), 1L << 1);  // EPT without unrestricted guest: PE/PG fixed again
        assertThat(check(noUg, new RuleFixtures.Env()).violations()).extracting(Violation::id).contains("GUEST-CR0-FIXED");
        vmcs.put(f("GUEST_CR0"), 0x31L);                      // PE without PG: allowed
        assertThat(check(vmcs, new RuleFixtures.Env()).all()).extracting(Violation::id).doesNotContain("GUEST-CR0-FIXED",
                "GUEST-CR0-PG-PE");
    }

    @Test
    void controlFailuresWinOverHostAndGuestAndAllListsEveryViolation() {
        Map<VmcsField, Long> vmcs = base(VmcsBases.LONG_MODE);
        vmcs.put(f("PIN_BASED_VM_EXEC_CONTROL"), 0x116L);
        vmcs.put(f("HOST_CS_SELECTOR"), 0L);
        vmcs.put(f("GUEST_TR_SELECTOR"), 0x1cL);
        EntryOutcome o = check(vmcs, new RuleFixtures.Env());
        assertThat(o.violations()).extracting(Violation::id).containsExactly("CTRL-PIN-RESERVED");
        assertThat(o.all()).extracting(Violation::id)
                .containsExactly("CTRL-PIN-RESERVED", "HOST-CS-NONNULL", "GUEST-TR-TI");
    }
}
