package dev.hvsim.x86core;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvsim.x86core.decode.Feature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A CPU model as data: vendor, CPUID leaves, physical- and linear-address widths, the latency table
 * and the undefined-flags policy. Loaded from {@code /dev/hvsim/x86core/profiles/NAME.json}.
 *
 * @param name              profile name as given on the command line
 * @param vendor            INTEL or AMD
 * @param description       one line for humans
 * @param maxPhysAddr       MAXPHYADDR (CPUID 8000_0008 EAX[7:0])
 * @param cpuid             CPUID leaves; leaves not listed read as zero (SDM Vol. 2A CPUID)
 * @param latency           cycles per latency class named by opcode rows; "default" for the rest
 * @param pageWalkReference cycles per paging-structure memory reference
 * @param tscPerCycle       TSC increments per core cycle (1 = TSC runs at the core clock)
 */
public record CpuProfile(String name, Vendor vendor, String description, int maxPhysAddr, List<CpuidLeaf> cpuid,
        Map<String, Integer> latency, int pageWalkReference, int tscPerCycle) {

    /** One CPUID leaf/subleaf; {@code subleaf} -1 means "any ECX". Values are hex strings in JSON. */
    public record CpuidLeaf(@JsonProperty("leaf") String leafHex, int subleaf, String eax, String ebx, String ecx,
            String edx) {
        public long leaf() { return parse(leafHex); }
        public int[] regs() {
            return new int[] {(int) parse(eax), (int) parse(ebx), (int) parse(ecx), (int) parse(edx)};
        }
    }

    private static final String[] BUILT_IN = {"intel-core", "amd-zen"};

    public static List<String> builtInNames() {
        return List.of(BUILT_IN);
    }

    /** Loads a built-in profile by name; throws IllegalArgumentException naming the known ones. */
    public static CpuProfile load(String name) {
        InputStream in = CpuProfile.class.getResourceAsStream("/dev/hvsim/x86core/profiles/" + name + ".json");
        if (in == null) {
            throw new IllegalArgumentException("unknown CPU profile '" + name + "' (known: "
                    + String.join(", ", BUILT_IN) + ")");
        }
        try (in) {
            return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
                    .readValue(in, CpuProfile.class);
        } catch (IOException e) {
            throw new UncheckedIOException("bad built-in profile " + name, e);
        }
    }

    /** The default profile of a vendor. */
    public static CpuProfile forVendor(Vendor v) {
        return load(v == Vendor.INTEL ? "intel-core" : "amd-zen");
    }

    /** CPUID output {EAX, EBX, ECX, EDX} for an exact leaf/subleaf, or null when the profile lacks it. */
    public int[] cpuidExact(long leaf, int subleaf) {
        for (CpuidLeaf l : cpuid) {
            if (l.leaf() == leaf && (l.subleaf() < 0 || l.subleaf() == subleaf)) {
                return l.regs();
            }
        }
        return null;
    }

    public boolean has(Feature f) {
        int[] r = cpuidExact(f.leaf & 0xffffffffL, f.subleaf); // extended leaves 8000_00xxH are negative ints
        return r != null && ((r[f.register] >>> f.bit) & 1) != 0;
    }

    /** Feature support indexed by {@link Feature#ordinal()}. */
    public boolean[] featureVector() {
        Feature[] all = Feature.values();
        boolean[] v = new boolean[all.length];
        for (Feature f : all) {
            v[f.ordinal()] = has(f);
        }
        return v;
    }

    public int cycles(String costClass) {
        Integer c = latency.get(costClass);
        if (c == null) {
            c = latency.get("default");
        }
        return c == null ? 1 : c;
    }

    /** Linear-address width: 57 with LA57, else 48. */
    public int linearAddressBits() {
        return has(Feature.LA57) ? 57 : 48;
    }

    public List<String> featureNames() {
        List<String> out = new ArrayList<>();
        for (Feature f : Feature.values()) {
            if (has(f)) {
                out.add(f.name().toLowerCase());
            }
        }
        return out;
    }

    public Map<String, Integer> latencyTable() {
        return new TreeMap<>(latency);
    }

    static long parse(String hex) {
        if (hex == null) {
            return 0;
        }
        long fast = parseHexFast(hex);
        if (fast != NOT_PLAIN_HEX) {
            return fast;
        }
        String s = hex.trim().toLowerCase();
        return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
    }

    private static final long NOT_PLAIN_HEX = Long.MIN_VALUE + 0x5eed;

    /**
     * "0x" followed by 1-15 hex digits, parsed without allocating (CPUID is read on VM entries and exits); anything
     * else gives {@link #NOT_PLAIN_HEX} and takes the general path.
     */
    private static long parseHexFast(String s) {
        int n = s.length();
        if (n < 3 || n > 17 || s.charAt(0) != '0' || (s.charAt(1) | 0x20) != 'x') {
            return NOT_PLAIN_HEX;
        }
        long v = 0;
        for (int i = 2; i < n; i++) {
            int d = Character.digit(s.charAt(i), 16);
            if (d < 0) {
                return NOT_PLAIN_HEX;
            }
            v = v << 4 | d;
        }
        return v;
    }
}
