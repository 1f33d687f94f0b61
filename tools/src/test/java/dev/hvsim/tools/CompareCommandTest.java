package dev.hvsim.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir
    Path dir;

    @Test
    void dump() throws Exception {
        Path html = dir.resolve("c.html");
        Cli c = Cli.run("compare", "compare-demo", "--html", html.toString());
        System.out.println(c);
        System.out.println(Files.readString(html).length());
    }
}
