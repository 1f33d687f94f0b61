package dev.hvsim.vmcs.msr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvsim.vmcs.VmcsField;
import dev.hvsim.vmcs.VmcsFields;
import dev.hvsim.vmcs.VmcsLayout;
import dev.hvsim.vmcs.controls.ControlBit;
import dev.hvsim.vmcs.controls.ControlCatalogue;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmcs.controls.DefaultClass;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.decode.Feature;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Per-profile capability sets (SDM Vol. 3C Appendix A) and the intel-core target set. */
class VmxCapabilitiesTest {

    private final VmxCapabilities target = VmxCapabilities.target("intel-core");
    /** The fuller set the profile is meant to grow into (test fixture), for the codec and existence rules. */
    private final VmxCapabilities full = VmxCapabilities.target("intel-core-full");
    private final CpuProfile intel = CpuProfile.load("intel-core");

    private Map<VmxMsr, Long> targetValues() {
        Map<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
        for (VmxMsr msr : VmxMsr.values()) {
            full.raw(msr).ifPresent(v -> m.put(msr, v));
        }
        return m;
    }

    @Test
    void theIntelProfileAdvertisesVmx() {
        assertThat(intel.has(Feature.VMX)).as("CPUID.1:ECX.VMX").isTrue();
        assertThat(target.advertised()).isTrue();
        VmxCapabilities inForce = VmxCapabilities.forProfile(intel);
        assertThat(inForce.vmxSupported()).isTrue();
        for (VmxMsr msr : VmxMsr.values()) {
            assertThat(inForce.rdmsr(msr.index())).as(msr.name()).isEqualTo(target.rdmsr(msr.index()));
        }
        assertThat(inForce.rdmsr(VmxMsr.IA32_VMX_PROCBASED_CTLS2.index()))
                .as("EPT, descriptor-table exiting, RDTSCP, VPID, WBINVD exiting, unrestricted guest, INVPCID, VM functions, VMCS shadowing, TSC scaling")
                .hasValue(0x02017cee00000000L);
        assertThat(inForce.eptVpidCap().invept()).isEqualTo(inForce.eptVpidCap().inveptSingleContext());
        assertThat(inForce.rdmsr(VmxMsr.IA32_VMX_VMFUNC.index())).as("EPTP switching only").hasValue(1L);
        assertThat(VmxCapabilities.forProfile(CpuProfile.load("amd-zen"))).isSameAs(VmxCapabilities.none());
        assertThat(full.advertised()).isFalse();
    }

    @Test
    void advertisedIffTheProfileSetsCpuidVmx() {
        // the switch the VMX issue flips: both sides or neither
        assertThat(target.advertised()).isEqualTo(intel.has(Feature.VMX));
        assertThatThrownBy(() -> VmxCapabilities.target("amd-zen")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("amd-zen");
    }

    @Test
    void basicMatchesHvsimsVmcsLayout() {
        VmxBasic b = target.basic();
        assertThat(b.revisionId()).isEqualTo(VmcsLayout.HVSIM_REVISION_ID);
        assertThat(VmcsLayout.forRevision(b.revisionId()).regionSize()).isEqualTo(b.regionSize());
        assertThat(b.bit31()).isFalse();
        assertThat(b.memoryType()).isEqualTo(6);
        assertThat(b.trueControls()).isTrue();
        assertThat(b.physicalAddressWidth32()).isFalse();
    }

    @Test
    void everyControlWordIsConsistentWithTheDefaultClasses() {
        consistentWithDefaultClasses(target);
        consistentWithDefaultClasses(full);
    }

    private static void consistentWithDefaultClasses(VmxCapabilities target) {
        ControlCatalogue cat = ControlCatalogue.get();
        for (ControlWord w : ControlWord.values()) {
            AllowedSettings legacy = target.legacy(w);
            AllowedSettings actual = target.controls(w);
            assertThat(legacy.mustBeOne() & ~legacy.mayBeOne()).as("%s allowed-0 within allowed-1", w).isZero();
            assertThat(actual.mustBeOne() & ~legacy.mustBeOne()).as("%s TRUE allowed-0 within legacy", w).isZero();
            assertThat(actual.mayBeOne()).as("%s TRUE allowed-1 == legacy", w).isEqualTo(legacy.mayBeOne());
            if (legacy.msr().name().endsWith("_CTLS") && w != ControlWord.SECONDARY_PROC) {
                assertThat(legacy.mustBeOne()).as("%s legacy allowed-0 = default1 class", w)
                        .isEqualTo(cat.default1Mask(w));
            }
            for (ControlBit b : cat.bits(w)) {
                if (b.reserved() && b.defaultClass() == DefaultClass.DEFAULT0) {
                    assertThat(actual.allowed1(b.bit())).as(b.describe()).isFalse();
                }
                if (b.reserved() && b.defaultClass() == DefaultClass.DEFAULT1) {
                    assertThat(actual.allowed0(b.bit())).as(b.describe()).isFalse();
                }
            }
        }
    }

    @Test
    void theProfileAdvertisesExactlyTheControlsVmxModelHonours() {
        assertThat(allowed1(target, ControlWord.PIN_BASED)).containsExactly("externalInterruptExiting", "nmiExiting",
                "virtualNmis", "activateVmxPreemptionTimer");
        assertThat(allowed1(target, ControlWord.PRIMARY_PROC)).containsExactly("interruptWindowExiting",
                "useTscOffsetting", "hltExiting", "invlpgExiting",
                "mwaitExiting", "rdpmcExiting", "rdtscExiting", "cr3LoadExiting", "cr3StoreExiting", "cr8LoadExiting",
                "cr8StoreExiting", "useTprShadow", "nmiWindowExiting", "movDrExiting", "unconditionalIoExiting",
                "useIoBitmaps", "monitorTrapFlag", "useMsrBitmaps", "monitorExiting", "pauseExiting",
                "activateSecondaryControls");
        assertThat(allowed1(target, ControlWord.SECONDARY_PROC)).containsExactly("enableEpt", "descriptorTableExiting",
                "enableRdtscp", "enableVpid", "wbinvdExiting", "unrestrictedGuest", "pauseLoopExiting", "rdrandExiting",
                "enableInvpcid", "enableVmFunctions", "vmcsShadowing", "rdseedExiting", "useTscScaling");
        assertThat(allowed1(target, ControlWord.EXIT)).containsExactly("saveDebugControls", "hostAddressSpaceSize",
                "acknowledgeInterruptOnExit", "saveIa32Pat", "loadIa32Pat", "saveIa32Efer", "loadIa32Efer",
                "saveVmxPreemptionTimerValue");
        assertThat(allowed1(target, ControlWord.ENTRY)).containsExactly("loadDebugControls", "ia32eModeGuest",
                "loadIa32Pat", "loadIa32Efer");
        assertThat(target.controls(ControlWord.PRIMARY_PROC).allowed0(15)).isTrue();
        assertThat(target.legacy(ControlWord.PRIMARY_PROC).allowed0(15)).isFalse();
    }

    @Test
    void theFullTargetAdvertisesTheseControls() {
        VmxCapabilities target = full;
        assertThat(allowed1(target, ControlWord.PIN_BASED)).containsExactly("externalInterruptExiting", "nmiExiting",
                "virtualNmis", "activateVmxPreemptionTimer");
        assertThat(allowed1(target, ControlWord.SECONDARY_PROC)).containsExactly("enableEpt", "descriptorTableExiting",
                "enableRdtscp", "enableVpid", "wbinvdExiting", "unrestrictedGuest", "pauseLoopExiting",
                "rdrandExiting", "enableInvpcid", "enableVmFunctions", "vmcsShadowing", "rdseedExiting",
                "useTscScaling");
        assertThat(allowed1(target, ControlWord.ENTRY)).containsExactly("loadDebugControls", "ia32eModeGuest",
                "loadIa32Pat", "loadIa32Efer");
        assertThat(allowed1(target, ControlWord.PRIMARY_PROC)).contains("hltExiting", "useMsrBitmaps",
                "activateSecondaryControls").doesNotContain("activateTertiaryControls");
        assertThat(allowed1(target, ControlWord.TERTIARY_PROC)).isEmpty();
        assertThat(allowed1(target, ControlWord.SECONDARY_EXIT)).isEmpty();
        // the TRUE MSRs let CR3-load/store exiting and save/load debug controls be 0, as on hardware
        assertThat(target.controls(ControlWord.PRIMARY_PROC).allowed0(15)).isTrue();
        assertThat(target.legacy(ControlWord.PRIMARY_PROC).allowed0(15)).isFalse();
    }

    private static List<String> allowed1(VmxCapabilities target, ControlWord w) {
        return ControlCatalogue.get().bits(w).stream().filter(b -> !b.reserved())
                .filter(b -> target.controls(w).allowed1(b.bit())).map(ControlBit::javaName)
                .collect(Collectors.toList());
    }

    @Test
    void instructionEnablingControlsOnlyForInstructionsTheProfileHas() {
        VmxCapabilities target = full;
        assertThat(target.allowed1(ControlWord.SECONDARY_PROC, "enableRdtscp")).isEqualTo(intel.has(Feature.RDTSCP));
        assertThat(target.allowed1(ControlWord.SECONDARY_PROC, "enableInvpcid")).isEqualTo(intel.has(Feature.INVPCID));
        assertThat(target.allowed1(ControlWord.SECONDARY_PROC, "rdrandExiting")).isEqualTo(intel.has(Feature.RDRAND));
        assertThat(target.allowed1(ControlWord.SECONDARY_PROC, "rdseedExiting")).isEqualTo(intel.has(Feature.RDSEED));
        int[] xsaveSub1 = intel.cpuidExact(0xd, 1);
        boolean xsaves = xsaveSub1 != null && (xsaveSub1[0] & 1 << 3) != 0; // CPUID.(EAX=0DH,ECX=1):EAX[3]
        assertThat(target.allowed1(ControlWord.SECONDARY_PROC, "enableXsavesXrstors")).isEqualTo(xsaves);
        assertThat(target.allowed1(ControlWord.PRIMARY_PROC, "mwaitExiting")).isEqualTo(intel.has(Feature.MONITOR));
    }

    @Test
    void fixedBitsMatchWhatTheProfileLetsSoftwareSet() {
        assertThat(target.cr0Fixed().fixed0()).isEqualTo(0x80000021L); // PE, NE, PG (SDM A.7)
        assertThat(target.cr4Fixed().fixed0()).isEqualTo(1L << 13);      // VMXE (SDM A.8)
        int[] l1 = intel.cpuidExact(1, 0);
        long expected = 1L << 2 | 1L << 8 | 1L << 13                     // TSD, PCE, VMXE
                | bit(intel.has(Feature.DE), 3) | bit(intel.has(Feature.PSE), 4) | bit(intel.has(Feature.PAE), 5)
                | bit((l1[3] & 2) != 0, 0) | bit((l1[3] & 2) != 0, 1) | bit((l1[3] & 1 << 7) != 0, 6)
                | bit(intel.has(Feature.PGE), 7) | bit(intel.has(Feature.FXSR), 9)
                | bit((l1[3] & 1 << 25) != 0, 10) | bit(intel.has(Feature.UMIP), 11) | bit(intel.has(Feature.LA57), 12)
                | bit((l1[2] & 1 << 6) != 0, 14) | bit(intel.has(Feature.FSGSBASE), 16)
                | bit(intel.has(Feature.PCID), 17) | bit(intel.has(Feature.XSAVE), 18)
                | bit(intel.has(Feature.SMEP), 20) | bit(intel.has(Feature.SMAP), 21) | bit(intel.has(Feature.PKU), 22);
        assertThat(Long.toHexString(target.cr4Fixed().fixed1())).isEqualTo(Long.toHexString(expected));
    }

    private static long bit(boolean on, int b) {
        return on ? 1L << b : 0;
    }

    @Test
    void inForceMiscIsWhatVmxModelImplements() {
        VmxMisc misc = target.misc();
        assertThat(misc.storesLmaOnExit()).isTrue();
        assertThat(misc.cr3TargetCount()).isEqualTo(4);
        assertThat(misc.activityHlt() && misc.activityShutdown() && misc.activityWaitForSipi()).isTrue();
        assertThat(misc.vmwriteAnyField()).isTrue();
        assertThat(target.basic().insOutsInformation()).isTrue();
        assertThat(misc.preemptionTimerRate()).isEqualTo(5);
    }

    @Test
    void miscAndEptCapsAreCoherent() {
        VmxCapabilities target = full;
        VmxMisc misc = target.misc();
        if (target.allowed1(ControlWord.SECONDARY_PROC, "unrestrictedGuest")) {
            assertThat(misc.storesLmaOnExit()).as("required with unrestricted guest (SDM A.6)").isTrue();
        }
        assertThat(misc.cr3TargetCount()).isEqualTo(4);
        assertThat(misc.activityHlt() && misc.activityShutdown() && misc.activityWaitForSipi()).isTrue();
        EptVpidCap ept = target.eptVpidCap();
        assertThat(ept.pageWalk4()).isTrue();
        assertThat(ept.memoryTypeWb()).isTrue();
        assertThat(ept.invept() && ept.inveptSingleContext() && ept.inveptAllContext()).isTrue();
        assertThat(ept.invvpid()).isEqualTo(target.allowed1(ControlWord.SECONDARY_PROC, "enableVpid"));
        assertThat(target.vmfunc().eptpSwitching()).isTrue();
        assertThat(target.rdmsr(VmxMsr.IA32_VMX_PROCBASED_CTLS3.index())).isEmpty();
        assertThat(target.rdmsr(VmxMsr.IA32_VMX_EXIT_CTLS2.index())).isEmpty();
    }

    @Test
    void vmcsEnumReportsTheHighestIndexOfTheFieldsThatExist() {
        int highest = 0;
        for (VmcsField f : VmcsFields.get().all()) {
            if (f.existence().holds(target)) {
                highest = Math.max(highest, f.encoding().index());
            }
        }
        assertThat(target.vmcsEnum().highestIndex()).isEqualTo(highest);
    }

    @Test
    void msrExistenceFollowsAppendixA() {
        Map<VmxMsr, Long> m = targetValues();
        assertThat(VmxCapabilities.of(m).rdmsr(0x48E)).isPresent();
        assertThat(VmxCapabilities.of(m).rdmsr(0x3A)).as("feature control is not a capability MSR").isEmpty();
        // without BASIC[55] the TRUE MSRs do not exist and the legacy MSRs rule
        m.put(VmxMsr.IA32_VMX_BASIC, m.get(VmxMsr.IA32_VMX_BASIC) & ~(1L << 55));
        VmxCapabilities noTrue = VmxCapabilities.of(m);
        assertThat(noTrue.rdmsr(0x48D)).isEmpty();
        assertThat(noTrue.rdmsr(0x490)).isEmpty();
        assertThat(noTrue.controls(ControlWord.PRIMARY_PROC).msr()).isEqualTo(VmxMsr.IA32_VMX_PROCBASED_CTLS);
        assertThat(noTrue.controls(ControlWord.PRIMARY_PROC).allowed0(15)).isFalse();
        // without "activate secondary controls" the secondary word and what hangs off it vanish
        m.put(VmxMsr.IA32_VMX_PROCBASED_CTLS, m.get(VmxMsr.IA32_VMX_PROCBASED_CTLS) & ~(1L << 63));
        VmxCapabilities noSecondary = VmxCapabilities.of(m);
        assertThat(noSecondary.rdmsr(0x48B)).isEmpty();
        assertThat(noSecondary.controls(ControlWord.SECONDARY_PROC).mayBeOne()).isZero();
        assertThat(noSecondary.rdmsr(0x48C)).isEmpty();
        assertThat(noSecondary.rdmsr(0x491)).isEmpty();
        assertThat(VmcsFields.get().byName("EPT_POINTER").existsUnder(noSecondary)).isFalse();
        assertThat(VmcsFields.get().byName("EPT_POINTER").existsUnder(full)).isTrue();
        assertThat(VmcsFields.get().byName("EPT_POINTER").existsUnder(target)).isTrue();
        assertThat(VmcsFields.get().byName("EPTP_LIST_ADDRESS").existsUnder(target)).as("EPTP switching").isTrue();
        assertThat(VmcsFields.get().byName("EPTP_LIST_ADDRESS").existsUnder(noSecondary)).isFalse();
    }
}
