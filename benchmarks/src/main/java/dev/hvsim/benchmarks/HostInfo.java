package dev.hvsim.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JVM and CPU a benchmark ran on, for reports.
 *
 * @param jvm    VM name and runtime version, e.g. "OpenJDK 64-Bit Server VM 17.0.15+6"
 * @param cpu    the host CPU's model name (from /proc/cpuinfo on Linux, else the architecture)
 * @param cores  logical processors available to the JVM
 * @param os     operating system name and architecture
 */
public record HostInfo(String jvm, String cpu, int cores, String os) {

    /** Describes the running JVM and host. */
    public static HostInfo current() {
        String jvm = System.getProperty("java.vm.name", "?") + " " + System.getProperty("java.runtime.version",
                System.getProperty("java.version", "?"));
        String os = System.getProperty("os.name", "?") + " " + System.getProperty("os.arch", "?");
        return new HostInfo(jvm, cpuModel(), Runtime.getRuntime().availableProcessors(), os);
    }

    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try {
            if (Files.isReadable(cpuinfo)) {
                List<String> lines = Files.readAllLines(cpuinfo);
                for (String line : lines) {
                    if (line.startsWith("model name")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the architecture is still worth reporting
        }
        return System.getProperty("os.arch", "unknown CPU");
    }
}
