package dev.hvsim.vmx;

import static dev.hvsim.vmx.EntryRule.control;

import dev.hvsim.vmcs.controls.ControlWord;
import java.util.List;

/**
 * Checks on the VMX controls (SDM Vol. 3C 28.2.1: 28.2.1.1 VM-execution, 28.2.1.2 VM-exit, 28.2.1.3 VM-entry
 * control fields). A violation fails VM entry with VMfailValid(7).
 */
final class ControlRules {
    private ControlRules() {}

    private static boolean reserved(EntryState s, ControlWord w, long value) {
        return !s.context().caps().controls(w).allows(value);
    }

    /** Non-zero count: 16-byte aligned and the last byte within the physical-address width (28.2.1.2). */
    private static boolean badMsrArea(EntryState s, long addr, long count) {
        return count != 0 && ((addr & 0xf) != 0 || !s.inPhys(addr) || !s.inPhys(addr + count * 16 - 1));
    }

    /** EPTP bits 2:0 (SDM Vol. 3C 25.6.11, 28.2.1.1): UC (0) with EPT_VPID_CAP[8], WB (6) with [14]. */
    private static boolean eptpMemoryTypeOk(EntryState s) {
        int mt = (int) (s.get(F.EPT_POINTER) & 7);
        return mt == 0 && s.context().caps().eptVpidCap().memoryTypeUc() || mt == 6 && s.context().caps().eptVpidCap().memoryTypeWb();
    }

    /** EPTP bits 5:3: page-walk length minus 1; 3 with EPT_VPID_CAP[6], 4 with [7]. */
    private static boolean eptpWalkOk(EntryState s) {
        int len = (int) (s.get(F.EPT_POINTER) >>> 3 & 7);
        return len == 3 && s.context().caps().eptVpidCap().pageWalk4() || len == 4 && s.context().caps().eptVpidCap().pageWalk5();
    }

    /** EPTP bits 11:8, bit 7 without EPT_VPID_CAP[23] (DEVIATIONS.md, ept), bits 63:MAXPHYADDR. */
    private static boolean eptpReservedBits(EntryState s) {
        long e = s.get(F.EPT_POINTER);
        return (e & 0xf00) != 0 || (e & 0x80) != 0 && !s.context().caps().eptVpidCap().supervisorShadowStack() || !s.inPhys(e);
    }

    private static boolean hasErrorCode(int vector) {
        return vector == 8 || vector >= 10 && vector <= 14 || vector == 17 || vector == 21;
    }

    static final List<EntryRule> EXECUTION = List.of(
        control("CTRL-PIN-RESERVED", "28.2.1.1", "PIN_BASED_VM_EXEC_CONTROL",
            "Set the pin-based controls within IA32_VMX_(TRUE_)PINBASED_CTLS: allowed-0 bits set, allowed-1 bits only.",
            s -> reserved(s, ControlWord.PIN_BASED, s.pin())),
        control("CTRL-PROC1-RESERVED", "28.2.1.1", "CPU_BASED_VM_EXEC_CONTROL",
            "Set the primary processor-based controls within IA32_VMX_(TRUE_)PROCBASED_CTLS.",
            s -> reserved(s, ControlWord.PRIMARY_PROC, s.proc())),
        control("CTRL-PROC2-RESERVED", "28.2.1.1", "SECONDARY_VM_EXEC_CONTROL",
            "With \"activate secondary controls\" set, use only secondary controls IA32_VMX_PROCBASED_CTLS2 allows.",
            s -> s.proc(31) && reserved(s, ControlWord.SECONDARY_PROC, s.proc2())),
        control("CTRL-PROC3-RESERVED", "28.2.1.1", "TERTIARY_VM_EXEC_CONTROL CPU_BASED_VM_EXEC_CONTROL",
            "With \"activate tertiary controls\" set, use only tertiary controls IA32_VMX_PROCBASED_CTLS3 allows.",
            s -> s.proc(17) && reserved(s, ControlWord.TERTIARY_PROC,
                    s.get(dev.hvsim.vmcs.VmcsFields.get().byName("TERTIARY_VM_EXEC_CONTROL")))),
        control("CTRL-CR3-TARGET-COUNT", "28.2.1.1", "CR3_TARGET_COUNT",
            "Use a CR3-target count no larger than IA32_VMX_MISC[24:16].",
            s -> s.get(F.CR3_TARGET_COUNT) > s.context().caps().misc().cr3TargetCount()),
        control("CTRL-IO-BITMAP-ADDR", "28.2.1.1", "IO_BITMAP_A IO_BITMAP_B",
            "With \"use I/O bitmaps\", give 4-KiB-aligned I/O-bitmap addresses within the physical-address width.",
            s -> s.proc(25) && (!s.pageAddrOk(s.get(F.IO_BITMAP_A)) || !s.pageAddrOk(s.get(F.IO_BITMAP_B)))),
        control("CTRL-MSR-BITMAP-ADDR", "28.2.1.1", "MSR_BITMAP",
            "With \"use MSR bitmaps\", give a 4-KiB-aligned MSR-bitmap address within the physical-address width.",
            s -> s.proc(28) && !s.pageAddrOk(s.get(F.MSR_BITMAP))),
        control("CTRL-VAPIC-ADDR", "28.2.1.1", "VIRTUAL_APIC_PAGE_ADDR",
            "With \"use TPR shadow\", give a 4-KiB-aligned virtual-APIC address within the physical-address width.",
            s -> s.proc(21) && !s.pageAddrOk(s.get(F.VIRTUAL_APIC_PAGE_ADDR))),
        control("CTRL-TPR-THRESHOLD-RSVD", "28.2.1.1", "TPR_THRESHOLD",
            "With \"use TPR shadow\" and no virtual-interrupt delivery, clear TPR-threshold bits 31:4.",
            s -> s.proc(21) && !s.proc2(9) && (s.get(F.TPR_THRESHOLD) & ~0xfL) != 0),
        control("CTRL-TPR-THRESHOLD-VTPR", "28.2.1.1", "TPR_THRESHOLD VIRTUAL_APIC_PAGE_ADDR",
            "With \"use TPR shadow\" and neither \"virtualize APIC accesses\" nor \"virtual-interrupt delivery\", keep "
                + "TPR-threshold bits 3:0 at or below VTPR bits 7:4 (byte 80H of the virtual-APIC page).",
            s -> s.proc(21) && !s.proc2(0) && !s.proc2(9) && s.pageAddrOk(s.get(F.VIRTUAL_APIC_PAGE_ADDR))
                    && (s.get(F.TPR_THRESHOLD) & 0xf)
                        > (s.context().memory().read(s.get(F.VIRTUAL_APIC_PAGE_ADDR) + VmxExtension.VTPR, 1) >>> 4 & 0xf)),
        control("CTRL-NO-TPR-SHADOW", "28.2.1.1", "CPU_BASED_VM_EXEC_CONTROL SECONDARY_VM_EXEC_CONTROL",
            "Without \"use TPR shadow\", clear \"virtualize x2APIC mode\", \"APIC-register virtualization\" and "
                + "\"virtual-interrupt delivery\".",
            s -> !s.proc(21) && (s.proc2(4) || s.proc2(8) || s.proc2(9))),
        control("CTRL-NMI-VNMI", "28.2.1.1", "PIN_BASED_VM_EXEC_CONTROL",
            "Set \"NMI exiting\" when \"virtual NMIs\" is set.",
            s -> !s.pin(3) && s.pin(5)),
        control("CTRL-VNMI-NMIWIN", "28.2.1.1", "PIN_BASED_VM_EXEC_CONTROL CPU_BASED_VM_EXEC_CONTROL",
            "Set \"virtual NMIs\" when \"NMI-window exiting\" is set.",
            s -> !s.pin(5) && s.proc(22)),
        control("CTRL-X2APIC-VS-APICACCESS", "28.2.1.1", "SECONDARY_VM_EXEC_CONTROL",
            "Do not set both \"virtualize x2APIC mode\" and \"virtualize APIC accesses\".",
            s -> s.proc2(4) && s.proc2(0)),
        control("CTRL-VID-EXTINT", "28.2.1.1", "SECONDARY_VM_EXEC_CONTROL PIN_BASED_VM_EXEC_CONTROL",
            "Set \"external-interrupt exiting\" when \"virtual-interrupt delivery\" is set.",
            s -> s.proc2(9) && !s.pin(0)),
        control("CTRL-PI-VID", "28.2.1.1", "PIN_BASED_VM_EXEC_CONTROL SECONDARY_VM_EXEC_CONTROL",
            "Set \"virtual-interrupt delivery\" when \"process posted interrupts\" is set.",
            s -> s.pin(7) && !s.proc2(9)),
        control("CTRL-PI-ACK", "28.2.1.1", "PIN_BASED_VM_EXEC_CONTROL VM_EXIT_CONTROLS",
            "Set \"acknowledge interrupt on exit\" when \"process posted interrupts\" is set.",
            s -> s.pin(7) && !s.exit(15)),
        control("CTRL-VPID-NONZERO", "28.2.1.1", "VIRTUAL_PROCESSOR_ID",
            "With \"enable VPID\", use a VPID other than 0.",
            s -> s.proc2(5) && s.get(F.VIRTUAL_PROCESSOR_ID) == 0),
        control("CTRL-PML-EPT", "28.2.1.1", "SECONDARY_VM_EXEC_CONTROL",
            "Set \"enable EPT\" when \"enable PML\" is set.",
            s -> s.proc2(17) && !s.proc2(1)),
        control("CTRL-EPTP-MEMTYPE", "28.2.1.1", "EPT_POINTER",
            "With \"enable EPT\", give EPTP bits 2:0 a memory type IA32_VMX_EPT_VPID_CAP supports (0 UC, 6 WB).",
            s -> s.proc2(1) && !eptpMemoryTypeOk(s)),
        control("CTRL-EPTP-WALK", "28.2.1.1", "EPT_POINTER",
            "With \"enable EPT\", set EPTP bits 5:3 to 3 (4-level), or 4 (5-level) when EPT_VPID_CAP[7] allows it.",
            s -> s.proc2(1) && !eptpWalkOk(s)),
        control("CTRL-EPTP-AD", "28.2.1.1", "EPT_POINTER",
            "With \"enable EPT\", clear EPTP bit 6 (accessed/dirty flags) unless IA32_VMX_EPT_VPID_CAP[21] is set.",
            s -> s.proc2(1) && (s.get(F.EPT_POINTER) & 1L << 6) != 0 && !s.context().caps().eptVpidCap().accessedDirty()),
        control("CTRL-EPTP-RSVD", "28.2.1.1", "EPT_POINTER",
            "With \"enable EPT\", clear EPTP bits 11:8, bit 7 (without supervisor shadow-stack control) and the "
                + "bits beyond the physical-address width.",
            s -> s.proc2(1) && eptpReservedBits(s)),
        control("CTRL-UG-EPT", "28.2.1.1", "SECONDARY_VM_EXEC_CONTROL",
            "Set \"enable EPT\" when \"unrestricted guest\" is set.",
            s -> s.proc2(7) && !s.proc2(1)),
        control("CTRL-MBEC-EPT", "28.2.1.1", "SECONDARY_VM_EXEC_CONTROL",
            "Set \"enable EPT\" when \"mode-based execute control for EPT\" is set.",
            s -> s.proc2(22) && !s.proc2(1)),
        control("CTRL-VMFUNC-RSVD", "28.2.1.1", "VM_FUNCTION_CONTROL",
            "With \"enable VM functions\", set only VM-function controls IA32_VMX_VMFUNC allows.",
            s -> s.proc2(13) && (s.get(F.VM_FUNCTION_CONTROL) & ~s.context().caps().vmfunc().raw()) != 0),
        control("CTRL-VMFUNC-EPTP-SWITCH", "28.2.1.1", "VM_FUNCTION_CONTROL EPTP_LIST_ADDRESS SECONDARY_VM_EXEC_CONTROL",
            "With EPTP switching (VM-function control 0), set \"enable EPT\" and give a 4-KiB-aligned EPTP-list "
                + "address within the physical-address width.",
            s -> s.proc2(13) && (s.get(F.VM_FUNCTION_CONTROL) & 1) != 0
                    && (!s.proc2(1) || !s.pageAddrOk(s.get(F.EPTP_LIST_ADDRESS)))),
        control("CTRL-SHADOW-VMCS-BITMAPS", "28.2.1.1", "VMREAD_BITMAP VMWRITE_BITMAP",
            "With \"VMCS shadowing\", give 4-KiB-aligned VMREAD- and VMWRITE-bitmap addresses within the "
                + "physical-address width.",
            s -> s.proc2(14) && (!s.pageAddrOk(s.get(F.VMREAD_BITMAP)) || !s.pageAddrOk(s.get(F.VMWRITE_BITMAP)))),
        // UNVERIFIED row (Bochs only; DEVIATIONS.md): a zero multiplier would freeze the guest's TSC at the offset
        control("CTRL-TSC-MULTIPLIER", "28.2.1.1", "TSC_MULTIPLIER",
            "With \"use TSC scaling\", give a TSC multiplier other than 0.",
            s -> s.proc2(25) && s.get(F.TSC_MULTIPLIER) == 0));

    static final List<EntryRule> EXIT = List.of(
        control("CTRL-EXIT-RESERVED", "28.2.1.2", "VM_EXIT_CONTROLS",
            "Set the VM-exit controls within IA32_VMX_(TRUE_)EXIT_CTLS.",
            s -> reserved(s, ControlWord.EXIT, s.exitCtl())),
        control("CTRL-EXIT-PREEMPT-SAVE", "28.2.1.2", "PIN_BASED_VM_EXEC_CONTROL VM_EXIT_CONTROLS",
            "Clear \"save VMX-preemption timer value\" unless \"activate VMX-preemption timer\" is set.",
            s -> !s.pin(6) && s.exit(22)),
        control("CTRL-EXIT-MSR-STORE", "28.2.1.2", "VM_EXIT_MSR_STORE_ADDR VM_EXIT_MSR_STORE_COUNT",
            "Give a 16-byte-aligned VM-exit MSR-store area that lies within the physical-address width.",
            s -> badMsrArea(s, s.get(F.VM_EXIT_MSR_STORE_ADDR), s.get(F.VM_EXIT_MSR_STORE_COUNT))),
        control("CTRL-EXIT-MSR-LOAD", "28.2.1.2", "VM_EXIT_MSR_LOAD_ADDR VM_EXIT_MSR_LOAD_COUNT",
            "Give a 16-byte-aligned VM-exit MSR-load area that lies within the physical-address width.",
            s -> badMsrArea(s, s.get(F.VM_EXIT_MSR_LOAD_ADDR), s.get(F.VM_EXIT_MSR_LOAD_COUNT))));

    static final List<EntryRule> ENTRY = List.of(
        control("CTRL-ENTRY-RESERVED", "28.2.1.3", "VM_ENTRY_CONTROLS",
            "Set the VM-entry controls within IA32_VMX_(TRUE_)ENTRY_CTLS.",
            s -> reserved(s, ControlWord.ENTRY, s.entryCtl())),
        control("CTRL-ENTRY-SMM", "28.2.1.3", "VM_ENTRY_CONTROLS",
            "Outside SMM, clear \"entry to SMM\" and \"deactivate dual-monitor treatment\".",
            s -> s.entry(10) || s.entry(11)),
        control("CTRL-ENTRY-MSR-LOAD", "28.2.1.3", "VM_ENTRY_MSR_LOAD_ADDR VM_ENTRY_MSR_LOAD_COUNT",
            "Give a 16-byte-aligned VM-entry MSR-load area that lies within the physical-address width.",
            s -> badMsrArea(s, s.get(F.VM_ENTRY_MSR_LOAD_ADDR), s.get(F.VM_ENTRY_MSR_LOAD_COUNT))),
        control("CTRL-INJ-TYPE", "28.2.1.3", "VM_ENTRY_INTR_INFO_FIELD",
            "Inject an event of type 0, 2, 3, 4, 5 or 6 (type 1 is reserved; 7 needs \"monitor trap flag\").",
            s -> s.injecting() && (s.injectionType() == 1 || s.injectionType() == 7 && !s.proc(27))),
        control("CTRL-INJ-VECTOR", "28.2.1.3", "VM_ENTRY_INTR_INFO_FIELD",
            "Use vector 2 for an NMI, 0-31 for a hardware exception and 0 for an other event (MTF).",
            s -> s.injecting() && (s.injectionType() == 2 && s.injectionVector() != 2
                    || s.injectionType() == 3 && s.injectionVector() > 31
                    || s.injectionType() == 7 && s.injectionVector() != 0)),
        control("CTRL-INJ-ERRCODE-BIT", "28.2.1.3", "VM_ENTRY_INTR_INFO_FIELD GUEST_CR0",
            "Set \"deliver error code\" exactly for hardware exceptions 8, 10-14, 17, 21 with guest CR0.PE = 1.",
            s -> s.injecting() && ((s.get(F.VM_ENTRY_INTR_INFO_FIELD) >>> 11 & 1) != 0)
                    != ((!s.unrestricted() || (s.guestCr0() & 1) != 0) && s.injectionType() == 3
                        && hasErrorCode(s.injectionVector()))),
        control("CTRL-INJ-RSVD", "28.2.1.3", "VM_ENTRY_INTR_INFO_FIELD",
            "Clear bits 30:12 of the VM-entry interruption-information field.",
            s -> s.injecting() && (s.get(F.VM_ENTRY_INTR_INFO_FIELD) & 0x7ffff000L) != 0),
        control("CTRL-INJ-ERRCODE-VALUE", "28.2.1.3", "VM_ENTRY_EXCEPTION_ERROR_CODE",
            "Clear bits 31:16 of the VM-entry exception error code.",
            s -> s.injecting() && (s.get(F.VM_ENTRY_INTR_INFO_FIELD) >>> 11 & 1) != 0
                    && (s.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000L) != 0),
        control("CTRL-INJ-INSTR-LEN", "28.2.1.3", "VM_ENTRY_INSTRUCTION_LEN",
            "For a software interrupt or exception, give an instruction length of 1-15 "
                + "(0 only when IA32_VMX_MISC[30] allows it).",
            s -> s.injecting() && s.injectionType() >= 4 && s.injectionType() <= 6
                    && (s.get(F.VM_ENTRY_INSTRUCTION_LEN) > 15
                        || s.get(F.VM_ENTRY_INSTRUCTION_LEN) == 0 && !s.context().caps().misc().zeroLengthInjection())));
}
