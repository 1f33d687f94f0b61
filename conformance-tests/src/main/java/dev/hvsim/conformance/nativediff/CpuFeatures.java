package dev.hvsim.conformance.nativediff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The optional instruction-set features the generator may use. For native runs they must be
 * those of the host ({@link #host()}); without LZCNT, {@code F3 0F BD} decodes as BSR.
 * The generated cases for a seed depend on this set, so reports print it.
 */
public record CpuFeatures(Set<Feature> features) {
    /** A CPUID feature and its Linux {@code /proc/cpuinfo} flag name. */
    public enum Feature {
        /** LZCNT (CPUID 8000_0001h ECX.ABM/LZCNT[5]). */
        LZCNT("abm"),
        /** TZCNT (CPUID 7 EBX.BMI1[3]). */
        BMI1("bmi1"),
        /** POPCNT (CPUID 1 ECX[23]). */
        POPCNT("popcnt"),
        /** CMPXCHG16B (CPUID 1 ECX.CX16[13]). */
        CX16("cx16"),
        /** LAHF/SAHF in 64-bit mode (CPUID 8000_0001h ECX[0]). */
        LAHF_LM("lahf_lm");

        private final String cpuinfoName;

        Feature(String cpuinfoName) {
            this.cpuinfoName = cpuinfoName;
        }
    }

    /** Copies the set. */
    public CpuFeatures {
        features = features.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(features));
    }

    /** Every optional feature. */
    public static CpuFeatures all() {
        return new CpuFeatures(EnumSet.allOf(Feature.class));
    }

    /** No optional feature. */
    public static CpuFeatures none() {
        return new CpuFeatures(EnumSet.noneOf(Feature.class));
    }

    /** The host's features from {@code /proc/cpuinfo} (none if it cannot be read). */
    public static CpuFeatures host() {
        try {
            String flagsLine = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("flags")).findFirst().orElse("");
            Set<String> names = Set.copyOf(Arrays.asList(flagsLine.replaceFirst("^[^:]*:", "")
                    .trim().split("\\s+")));
            EnumSet<Feature> present = EnumSet.noneOf(Feature.class);
            for (Feature f : Feature.values()) {
                if (names.contains(f.cpuinfoName)) {
                    present.add(f);
                }
            }
            return new CpuFeatures(present);
        } catch (IOException e) {
            return none();
        }
    }

    /** Whether {@code f} is available; {@code null} (no feature needed) is always available. */
    public boolean has(Feature f) {
        return f == null || features.contains(f);
    }

    @Override
    public String toString() {
        return features.isEmpty() ? "[]" : EnumSet.copyOf(features).toString();
    }
}
