package dev.hvsim.vmcs.msr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvsim.vmcs.controls.ControlCatalogue;
import dev.hvsim.vmcs.controls.ControlWord;
import dev.hvsim.vmcs.data.CsvTable;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.decode.Feature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The VMX capability MSRs of one CPU profile, as data (SDM Vol. 3C Appendix A): what RDMSR of 0x480..0x493
 * returns, the codecs over those values, and the allowed settings of every control word.
 *
 * <p>A profile that does not advertise VMX (CPUID.1:ECX.VMX = 0) has {@link #none()}: no capability MSR
 * exists. The capability set a profile is meant to advertise is data in
 * {@code /dev/hvsim/vmcs/profiles/NAME-vmx.json}; {@link #target} reads it whether or not it is in force.
 */
public final class VmxCapabilities {

    private static final VmxCapabilities NONE = new VmxCapabilities("none", false, new EnumMap<>(VmxMsr.class));

    private final String source;
    private final boolean advertised;
    private final Map<VmxMsr, Long> msrs;
    /** {@link #controls} per control word, computed on first use: the set is immutable, and VM entry asks for each
     *  word on every VMLAUNCH/VMRESUME. */
    private final AllowedSettings[] controlsByWord = new AllowedSettings[ControlWord.values().length];

    private VmxCapabilities(String source, boolean advertised, Map<VmxMsr, Long> msrs) {
        this.source = source;
        this.advertised = advertised;
        this.msrs = Collections.unmodifiableMap(new EnumMap<>(msrs));
    }

    /** No VMX: every capability MSR is absent. */
    public static VmxCapabilities none() {
        return NONE;
    }

    /** A capability set from raw MSR values (absent MSRs are not in the map), marked advertised. */
    public static VmxCapabilities of(Map<VmxMsr, Long> values) {
        EnumMap<VmxMsr, Long> m = values.isEmpty() ? new EnumMap<>(VmxMsr.class) : new EnumMap<>(values);
        return new VmxCapabilities("explicit", true, m);
    }

    /**
     * The capability set the profile {@code profile} is meant to advertise, from
     * {@code /dev/hvsim/vmcs/profiles/PROFILE-vmx.json}, whether or not it is in force
     * ({@link #advertised()} says which). IllegalArgumentException when there is no such file.
     */
    public static VmxCapabilities target(String profile) {
        String path = "/dev/hvsim/vmcs/profiles/" + profile + "-vmx.json";
        InputStream in = VmxCapabilities.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalArgumentException("no VMX capability set for profile '" + profile + "' (" + path + ")");
        }
        try (in) {
            JsonNode root = new ObjectMapper().readTree(in);
            if (!profile.equals(root.path("profile").asText())) {
                throw new IllegalStateException(path + ": names profile '" + root.path("profile").asText() + "'");
            }
            EnumMap<VmxMsr, Long> m = new EnumMap<>(VmxMsr.class);
            for (Map.Entry<String, JsonNode> e : root.path("msrs").properties()) {
                VmxMsr msr;
                try {
                    msr = VmxMsr.valueOf(e.getKey());
                } catch (IllegalArgumentException ex) {
                    throw new IllegalStateException(path + ": unknown MSR " + e.getKey(), ex);
                }
                m.put(msr, CsvTable.number(e.getValue().asText()));
            }
            return new VmxCapabilities(path, root.path("advertised").asBoolean(false), m);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /**
     * The capability set in force for a CPU profile: its target set when the profile advertises VMX in
     * CPUID.1:ECX[5], else {@link #none()}. A profile that sets the CPUID bit without an advertised capability
     * set is an error in the data (IllegalStateException).
     */
    public static VmxCapabilities forProfile(CpuProfile profile) {
        if (!profile.has(Feature.VMX)) {
            return none();
        }
        VmxCapabilities t = target(profile.name());
        if (!t.advertised) {
            throw new IllegalStateException("profile " + profile.name()
                    + " sets CPUID.1:ECX.VMX but its VMX capability set is not marked advertised");
        }
        return t;
    }

    /** Where the values came from (a resource path, "explicit" or "none"). */
    public String source() {
        return source;
    }

    /** Whether this set is in force for its profile (false for a documented target not yet implemented). */
    public boolean advertised() {
        return advertised;
    }

    /** Whether any VMX capability is present (IA32_VMX_BASIC exists). */
    public boolean vmxSupported() {
        return msrs.containsKey(VmxMsr.IA32_VMX_BASIC);
    }

    /** The raw value held for {@code msr}, whether or not the MSR is architecturally readable (see {@link #rdmsr}). */
    public OptionalLong raw(VmxMsr msr) {
        Long v = msrs.get(msr);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /**
     * What RDMSR of {@code index} returns, or empty when the MSR does not exist under these capabilities
     * (RDMSR would #GP). Existence follows SDM Appendix A: TRUE_* only with IA32_VMX_BASIC[55];
     * PROCBASED_CTLS2 only with allowed-1 "activate secondary controls"; EPT_VPID_CAP only with allowed-1
     * "enable EPT" or "enable VPID"; VMFUNC only with allowed-1 "enable VM functions"; PROCBASED_CTLS3 only
     * with allowed-1 "activate tertiary controls"; EXIT_CTLS2 only with allowed-1 "activate secondary controls"
     * of the exit controls. IA32_FEATURE_CONTROL is not a capability MSR and is never answered here.
     */
    public OptionalLong rdmsr(long index) {
        VmxMsr msr = VmxMsr.byIndex(index);
        if (msr == null || msr == VmxMsr.IA32_FEATURE_CONTROL || !vmxSupported() || !exists(msr)) {
            return OptionalLong.empty();
        }
        return raw(msr);
    }

    private boolean exists(VmxMsr msr) {
        switch (msr) {
            case IA32_VMX_TRUE_PINBASED_CTLS:
            case IA32_VMX_TRUE_PROCBASED_CTLS:
            case IA32_VMX_TRUE_EXIT_CTLS:
            case IA32_VMX_TRUE_ENTRY_CTLS:
                return basic().trueControls();
            case IA32_VMX_PROCBASED_CTLS2:
                return legacy(ControlWord.PRIMARY_PROC).allowed1("activateSecondaryControls");
            case IA32_VMX_EPT_VPID_CAP:
                return controls(ControlWord.SECONDARY_PROC).allowed1("enableEpt")
                        || controls(ControlWord.SECONDARY_PROC).allowed1("enableVpid");
            case IA32_VMX_VMFUNC:
                return controls(ControlWord.SECONDARY_PROC).allowed1("enableVmFunctions");
            case IA32_VMX_PROCBASED_CTLS3:
                return legacy(ControlWord.PRIMARY_PROC).allowed1("activateTertiaryControls");
            case IA32_VMX_EXIT_CTLS2:
                return legacy(ControlWord.EXIT).allowed1("activateSecondaryControls");
            default:
                return true;
        }
    }

    private long value(VmxMsr msr) {
        Long v = msrs.get(msr);
        return v == null ? 0 : v;
    }

    /** IA32_VMX_BASIC (0 when absent). */
    public VmxBasic basic() {
        return new VmxBasic(value(VmxMsr.IA32_VMX_BASIC));
    }

    /** IA32_VMX_MISC (0 when absent). */
    public VmxMisc misc() {
        return new VmxMisc(value(VmxMsr.IA32_VMX_MISC));
    }

    /** IA32_VMX_EPT_VPID_CAP (0 when absent or not existing). */
    public EptVpidCap eptVpidCap() {
        return new EptVpidCap(rdmsr(VmxMsr.IA32_VMX_EPT_VPID_CAP.index()).orElse(0));
    }

    /** IA32_VMX_VMCS_ENUM (0 when absent). */
    public VmcsEnum vmcsEnum() {
        return new VmcsEnum(value(VmxMsr.IA32_VMX_VMCS_ENUM));
    }

    /** IA32_VMX_VMFUNC (0 when absent or not existing). */
    public VmFuncCap vmfunc() {
        return new VmFuncCap(rdmsr(VmxMsr.IA32_VMX_VMFUNC.index()).orElse(0));
    }

    /** CR0 fixed bits in VMX operation. */
    public FixedBits cr0Fixed() {
        return new FixedBits("CR0", value(VmxMsr.IA32_VMX_CR0_FIXED0), value(VmxMsr.IA32_VMX_CR0_FIXED1));
    }

    /** CR4 fixed bits in VMX operation. */
    public FixedBits cr4Fixed() {
        return new FixedBits("CR4", value(VmxMsr.IA32_VMX_CR4_FIXED0), value(VmxMsr.IA32_VMX_CR4_FIXED1));
    }

    /**
     * The allowed settings VM entry checks a control word against (SDM 27.2.1.1-27.2.1.3 with Appendix A):
     * the TRUE MSR for the pin-based, primary processor-based, exit and entry controls when IA32_VMX_BASIC[55]
     * is 1, else their legacy MSR; the secondary, tertiary and secondary-exit words from their MSRs when those
     * exist, else "every bit must be 0".
     */
    public AllowedSettings controls(ControlWord w) {
        AllowedSettings a = controlsByWord[w.ordinal()];
        if (a == null) {
            a = computeControls(w);
            controlsByWord[w.ordinal()] = a;
        }
        return a;
    }

    private AllowedSettings computeControls(ControlWord w) {
        if (basic().trueControls()) {
            switch (w) {
                case PIN_BASED: return ctls(w, VmxMsr.IA32_VMX_TRUE_PINBASED_CTLS);
                case PRIMARY_PROC: return ctls(w, VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS);
                case EXIT: return ctls(w, VmxMsr.IA32_VMX_TRUE_EXIT_CTLS);
                case ENTRY: return ctls(w, VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS);
                default: break;
            }
        }
        return legacy(w);
    }

    /** The allowed settings from the legacy (non-TRUE) MSR, in which every default1 bit must be 1. */
    public AllowedSettings legacy(ControlWord w) {
        switch (w) {
            case PIN_BASED: return ctls(w, VmxMsr.IA32_VMX_PINBASED_CTLS);
            case PRIMARY_PROC: return ctls(w, VmxMsr.IA32_VMX_PROCBASED_CTLS);
            case EXIT: return ctls(w, VmxMsr.IA32_VMX_EXIT_CTLS);
            case ENTRY: return ctls(w, VmxMsr.IA32_VMX_ENTRY_CTLS);
            case SECONDARY_PROC: return ctls(w, VmxMsr.IA32_VMX_PROCBASED_CTLS2);
            case TERTIARY_PROC: return allowed1(w, VmxMsr.IA32_VMX_PROCBASED_CTLS3);
            case SECONDARY_EXIT: return allowed1(w, VmxMsr.IA32_VMX_EXIT_CTLS2);
            default: throw new IllegalArgumentException(String.valueOf(w));
        }
    }

    private AllowedSettings ctls(ControlWord w, VmxMsr msr) {
        if (!vmxSupported() || !exists(msr) || !msrs.containsKey(msr)) {
            return AllowedSettings.nothing(w, msr);
        }
        return AllowedSettings.fromCtlsMsr(w, msr, msrs.get(msr));
    }

    private AllowedSettings allowed1(ControlWord w, VmxMsr msr) {
        if (!vmxSupported() || !exists(msr) || !msrs.containsKey(msr)) {
            return AllowedSettings.nothing(w, msr);
        }
        return AllowedSettings.fromAllowed1Msr(w, msr, msrs.get(msr));
    }

    /** Whether the defined control {@code javaName} of {@code w} may be 1 (see {@link #controls}). */
    public boolean allowed1(ControlWord w, String javaName) {
        return controls(w).allowed1(ControlCatalogue.get().bit(w, javaName).bit());
    }

    @Override
    public String toString() {
        return "VmxCapabilities[" + source + (advertised ? "" : ", not advertised") + ", " + msrs.size() + " MSRs]";
    }
}
