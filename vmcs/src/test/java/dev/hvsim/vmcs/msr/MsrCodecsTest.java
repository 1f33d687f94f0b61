package dev.hvsim.vmcs.msr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.vmcs.data.CsvTable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/** The MSR codecs against vmx-capability-msrs.csv (SDM Vol. 3C Appendix A.1, A.6, A.9, A.10, A.11). */
class MsrCodecsTest {

    private static long b(boolean v) {
        return v ? 1 : 0;
    }

    /** Every field row of an MSR, mapped to the accessor that reads it. */
    private static final Map<VmxMsr, Map<String, ToLongFunction<Long>>> ACCESSORS = new LinkedHashMap<>();

    static {
        Map<String, ToLongFunction<Long>> basic = new LinkedHashMap<>();
        basic.put("VMCS revision identifier", r -> new VmxBasic(r).revisionId());
        basic.put("Always 0", r -> b(new VmxBasic(r).bit31()));
        basic.put("VMCS region size", r -> new VmxBasic(r).regionSize());
        basic.put("Physical-address width limited to 32 bits", r -> b(new VmxBasic(r).physicalAddressWidth32()));
        basic.put("Dual-monitor treatment of SMI/SMM supported", r -> b(new VmxBasic(r).dualMonitorTreatment()));
        basic.put("VMCS memory type", r -> new VmxBasic(r).memoryType());
        basic.put("INS/OUTS instruction information reported", r -> b(new VmxBasic(r).insOutsInformation()));
        basic.put("TRUE capability MSRs supported", r -> b(new VmxBasic(r).trueControls()));
        basic.put("No error-code consistency check on HW-exception injection",
                r -> b(new VmxBasic(r).noErrorCodeConsistencyCheck()));
        basic.put("Nested-exception support (FRED)", r -> b(new VmxBasic(r).nestedExceptionSupport()));
        ACCESSORS.put(VmxMsr.IA32_VMX_BASIC, basic);
        Map<String, ToLongFunction<Long>> misc = new LinkedHashMap<>();
        misc.put("VMX-preemption timer rate", r -> new VmxMisc(r).preemptionTimerRate());
        misc.put("Store EFER.LMA into \"IA-32e mode guest\" on VM exit", r -> b(new VmxMisc(r).storesLmaOnExit()));
        misc.put("Activity state HLT supported", r -> b(new VmxMisc(r).activityHlt()));
        misc.put("Activity state shutdown supported", r -> b(new VmxMisc(r).activityShutdown()));
        misc.put("Activity state wait-for-SIPI supported", r -> b(new VmxMisc(r).activityWaitForSipi()));
        misc.put("Intel PT usable in VMX operation", r -> b(new VmxMisc(r).intelPtInVmx()));
        misc.put("RDMSR can read IA32_SMBASE in SMM", r -> b(new VmxMisc(r).rdmsrSmbase()));
        misc.put("Number of CR3-target values supported", r -> new VmxMisc(r).cr3TargetCount());
        misc.put("Max MSR-list size", r -> new VmxMisc(r).msrListSizeField());
        misc.put("IA32_SMM_MONITOR_CTL bit 2 can be set", r -> b(new VmxMisc(r).smmMonitorCtlBit2()));
        misc.put("VMWRITE to any supported field (incl. VM-exit information)", r -> b(new VmxMisc(r).vmwriteAnyField()));
        misc.put("Injection with instruction length 0 allowed", r -> b(new VmxMisc(r).zeroLengthInjection()));
        misc.put("MSEG revision identifier", r -> new VmxMisc(r).msegRevisionId() & 0xffffffffL);
        ACCESSORS.put(VmxMsr.IA32_VMX_MISC, misc);
        Map<String, ToLongFunction<Long>> ept = new LinkedHashMap<>();
        ept.put("Execute-only EPT translations supported", r -> b(new EptVpidCap(r).executeOnly()));
        ept.put("4-level EPT page walk supported", r -> b(new EptVpidCap(r).pageWalk4()));
        ept.put("5-level EPT page walk supported", r -> b(new EptVpidCap(r).pageWalk5()));
        ept.put("EPT paging-structure memory type UC supported", r -> b(new EptVpidCap(r).memoryTypeUc()));
        ept.put("EPT paging-structure memory type WB supported", r -> b(new EptVpidCap(r).memoryTypeWb()));
        ept.put("2-MByte EPT pages (PDE) supported", r -> b(new EptVpidCap(r).pages2M()));
        ept.put("1-GByte EPT pages (PDPTE) supported", r -> b(new EptVpidCap(r).pages1G()));
        ept.put("INVEPT supported", r -> b(new EptVpidCap(r).invept()));
        ept.put("EPT accessed and dirty flags supported", r -> b(new EptVpidCap(r).accessedDirty()));
        ept.put("Advanced VM-exit information for EPT violations", r -> b(new EptVpidCap(r).advancedExitInfo()));
        ept.put("Supervisor shadow-stack control supported", r -> b(new EptVpidCap(r).supervisorShadowStack()));
        ept.put("Single-context INVEPT supported", r -> b(new EptVpidCap(r).inveptSingleContext()));
        ept.put("All-context INVEPT supported", r -> b(new EptVpidCap(r).inveptAllContext()));
        ept.put("INVVPID supported", r -> b(new EptVpidCap(r).invvpid()));
        ept.put("Individual-address INVVPID supported", r -> b(new EptVpidCap(r).invvpidIndividualAddress()));
        ept.put("Single-context INVVPID supported", r -> b(new EptVpidCap(r).invvpidSingleContext()));
        ept.put("All-context INVVPID supported", r -> b(new EptVpidCap(r).invvpidAllContext()));
        ept.put("Single-context-retaining-globals INVVPID supported",
                r -> b(new EptVpidCap(r).invvpidSingleContextRetainingGlobals()));
        ept.put("Maximum HLAT prefix size", r -> new EptVpidCap(r).maxHlatPrefixSize());
        ACCESSORS.put(VmxMsr.IA32_VMX_EPT_VPID_CAP, ept);
        ACCESSORS.put(VmxMsr.IA32_VMX_VMCS_ENUM, Map.of("Highest index value used in any VMCS field encoding",
                r -> new VmcsEnum(r).highestIndex()));
        ACCESSORS.put(VmxMsr.IA32_VMX_VMFUNC, Map.of("EPTP switching (VM function 0) may be enabled",
                r -> b(new VmFuncCap(r).eptpSwitching())));
    }

    @Test
    void theTableHasEveryRow() {
        assertThat(CsvTable.resource(VmxMsrCatalogue.RESOURCE).rows()).hasSize(75);
        assertThat(VmxMsrCatalogue.get().rowCount()).isEqualTo(75);
        assertThat(VmxMsr.IA32_VMX_BASIC.index()).isEqualTo(0x480);
        assertThat(VmxMsr.IA32_VMX_EXIT_CTLS2.index()).isEqualTo(0x493);
        assertThat(VmxMsr.IA32_FEATURE_CONTROL.index()).isEqualTo(0x3A);
        assertThat(VmxMsr.byIndex(0x48C)).isEqualTo(VmxMsr.IA32_VMX_EPT_VPID_CAP);
        assertThat(VmxMsr.byIndex(0x494)).isNull();
    }

    @Test
    void everyTableFieldHasAnAccessorThatReadsExactlyItsBits() {
        ACCESSORS.forEach((msr, accessors) -> {
            for (MsrField f : VmxMsrCatalogue.get().fields(msr)) {
                if (f.name().equals("(whole MSR)")) {
                    continue;
                }
                ToLongFunction<Long> a = accessors.get(f.name());
                assertThat(a).as("accessor for %s '%s'", msr, f.name()).isNotNull();
                long all = f.bits().mask() >>> f.bits().lo();
                assertThat(a.applyAsLong(f.bits().mask())).as("%s '%s' all ones", msr, f.name()).isEqualTo(all);
                assertThat(a.applyAsLong(~f.bits().mask())).as("%s '%s' others", msr, f.name()).isZero();
            }
            assertThat(accessors).hasSize((int) VmxMsrCatalogue.get().fields(msr).stream()
                    .filter(f -> !f.name().equals("(whole MSR)")).count());
        });
    }

    @Test
    void aRealIa32VmxBasicDecodes() {
        // a Skylake-class value: revision 4, 1 KiB regions, WB, dual-monitor, INS/OUTS info, TRUE MSRs
        VmxBasic b = new VmxBasic(0x00da040000000004L);
        assertThat(b.revisionId()).isEqualTo(4);
        assertThat(b.regionSize()).isEqualTo(1024);
        assertThat(b.memoryType()).isEqualTo(6);
        assertThat(b.dualMonitorTreatment()).isTrue();
        assertThat(b.insOutsInformation()).isTrue();
        assertThat(b.trueControls()).isTrue();
        assertThat(b.physicalAddressWidth32()).isFalse();
        assertThat(b.noErrorCodeConsistencyCheck()).isFalse();
    }

    @Test
    void miscDerivedValues() {
        VmxMisc m = new VmxMisc(5 | 1 << 6 | 4 << 16 | 1 << 25);
        assertThat(m.preemptionTimerRate()).isEqualTo(5);
        assertThat(m.activityHlt()).isTrue();
        assertThat(m.cr3TargetCount()).isEqualTo(4);
        assertThat(m.maxMsrListEntries()).isEqualTo(1024);
        assertThat(VmcsEnum.ofHighestIndex(25).raw()).isEqualTo(50);
        assertThat(new VmFuncCap(1).allowed1(0)).isTrue();
        assertThat(new VmFuncCap(1).allowed1(64)).isFalse();
    }

    @Test
    void unknownFieldNamesAreClearErrors() {
        assertThatThrownBy(() -> VmxMsrCatalogue.get().field(VmxMsr.IA32_VMX_BASIC, "Revision"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Revision'")
                .hasMessageContaining("IA32_VMX_BASIC");
    }
}
