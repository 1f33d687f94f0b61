package dev.hvsim.tools;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** {@code hvsim --version}: the project version (from the build) and the Java runtime. */
final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() throws IOException {
        return new String[] {"hvsim " + version(),
            "Java " + System.getProperty("java.runtime.version", System.getProperty("java.version")) + " ("
                + System.getProperty("java.vm.name") + ")"};
    }

    /** The project version the tools jar was built from. */
    static String version() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return p.getProperty("version", "(unknown version)");
    }
}
