package dev.hvsim.benchmarks;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts JMH from {@code mvn exec:java}, where the project's class path lives in a class loader
 * rather than in {@code java.class.path}: JMH's forked JVMs take their class path from that
 * property, so it is set from the loader's URLs first. {@code java -jar benchmarks.jar} needs none of
 * this and runs {@code org.openjdk.jmh.Main} directly.
 */
public final class JmhMain {
    private JmhMain() {}

    public static void main(String[] args) throws Exception {
        String cp = classPathOf(Thread.currentThread().getContextClassLoader());
        if (!cp.isEmpty()) {
            System.setProperty("java.class.path", cp);
        }
        org.openjdk.jmh.Main.main(args);
    }

    private static String classPathOf(ClassLoader loader) throws URISyntaxException {
        List<String> entries = new ArrayList<>();
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader) {
                for (URL u : ((URLClassLoader) l).getURLs()) {
                    if ("file".equals(u.getProtocol())) {
                        entries.add(Path.of(u.toURI()).toString());
                    }
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
